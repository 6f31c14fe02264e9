"""The admin's work on the command line (issue 14, issue 12 Art. 3), for real in a subprocess: the same use cases as
the pages, the same refusals (the field as its flag), the same trail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_web import hz

pytestmark = pytest.mark.e2e

YEAR_2027 = "year: 2027\nnotice: 测试用通知（非官方）\nholidays:\n  - {date: 2027-01-01, name: 元旦}\n"


def test_users_experts_calendar_and_the_trail_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hz.db'}"
    assert hz(db, "init", "--admin", "admin").returncode == 0
    for name in ("sh1", "sh2"):
        done = hz(db, "users", "add", name, "--role", "liaison", "--institution", "SH", "--display-name", "联络员",
                  "--phone", "021-1234567", user="admin")
        assert done.returncode == 0, done.stderr
    third = hz(db, "users", "add", "sh3", "--role", "liaison", "--institution", "SH", user="admin")
    assert third.returncode == 5 and "--institution" in third.stderr and "at most 2" in third.stderr
    assert hz(db, "users", "add", "aud", "--role", "auditor", user="admin").returncode == 0
    role = hz(db, "users", "update", "aud", "--role", "liaison", "--institution", "SH", user="admin")
    assert role.returncode == 5 and "--institution" in role.stderr
    assert hz(db, "users", "disable", "sh2", user="admin").returncode == 0
    assert hz(db, "users", "update", "aud", "--role", "liaison", "--institution", "SH", user="admin").returncode == 0
    back = hz(db, "users", "enable", "sh2", user="admin")
    assert back.returncode == 5 and "--institution" in back.stderr
    refused = hz(db, "case", "list", user="sh2")
    assert refused.returncode == 3 and "disabled" in refused.stderr
    me = hz(db, "users", "me", "--email", "aud@example.org", user="aud")
    assert me.returncode == 0 and json.loads(me.stdout)["email"] == "aud@example.org"
    reset = hz(db, "users", "reset-password", "aud", user="admin")
    assert reset.returncode == 0 and len(reset.stdout.strip()) >= 12 and "shown once" in reset.stderr
    added = hz(db, "experts", "add", "--name", "王工", "--field", "电气", "--employer", "某院", "--title", "高工",
               "--province", "ZJ", user="admin")
    eid = added.stdout.strip().splitlines()[-1]
    assert hz(db, "experts", "edit", eid, "--title", "正高", user="admin").returncode == 0
    missing = hz(db, "experts", "edit", "E9999", "--title", "正高", user="admin")
    assert missing.returncode == 2 and "EXPERT_ID" in missing.stderr
    assert hz(db, "experts", "deactivate", eid, user="admin").returncode == 0
    (pool,) = json.loads(hz(db, "experts", "list", "--json", user="admin").stdout)
    assert pool["title"] == "正高" and pool["active"] is False
    year = tmp_path / "2027.yaml"
    year.write_text(YEAR_2027, encoding="utf-8")
    preview = hz(db, "calendar", "load", str(year), "--preview", user="admin")
    assert preview.returncode == 0 and "nothing written" in preview.stdout
    assert hz(db, "calendar", "load", str(year), user="admin").returncode == 0
    log = json.loads(hz(db, "users", "log", "--json", user="admin").stdout)
    actions = [(r["action"], r["target"]) for r in log]
    assert actions[0] == ("calendar_load", "2027")
    for expected in [("user_add", "sh1"), ("user_disable", "sh2"), ("user_update", "aud"),
                     ("profile_update", "aud"), ("password_reset", "aud"), ("expert_add", eid),
                     ("expert_edit", eid), ("expert_deactivate", eid)]:
        assert expected in actions
    assert sum(1 for a in actions if a == ("calendar_load", "2027")) == 1  # the preview wrote nothing
    terms = json.loads(hz(db, "rotation", "terms", "--json", user="admin").stdout)
    assert sum(1 for t in terms if t["current"]) == 1
