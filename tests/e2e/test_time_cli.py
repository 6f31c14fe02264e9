"""The time commands as a new user drives them: calendar arithmetic without a database, a year file loaded by an
admin that moves an open deadline, sweeps that print what they sent, the reminder ledger and the inbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HZ = str(Path(sys.executable).with_name("huizhen"))
pytestmark = pytest.mark.e2e


def hz(*args: str, user: str | None = None, now: str | None = None, db: str | None = None,
       cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
    env["HUIZHEN_CONFIG"] = str(ROOT / "config.yaml")
    env["HUIZHEN_DATABASE_URL"] = db or "sqlite:////nonexistent/huizhen-test/none.db"
    if user:
        env["HUIZHEN_USER"] = user
    if now:
        env["HUIZHEN_NOW"] = now
    return subprocess.run([HZ, *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [("2026-09-29", 3, "2026-10-09"), ("2026-09-18", 3, "2026-09-22"), ("2026-02-12", 5, "2026-02-26"),
     ("2026-10-03", 3, "2026-10-10"), ("2025-12-31", 3, "2026-01-06")],
)
def test_calendar_due_needs_no_database(start: str, n: int, due: str) -> None:
    r = hz("calendar", "due", start, str(n), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"start", "working_days", "due", "due_at", "provisional", "skipped"} <= set(data)
    assert (data["start"], data["working_days"], data["due"], data["provisional"]) == (start, n, due, False)


def test_december_start_crossing_into_2027_is_provisional_and_skips_new_year() -> None:
    r = hz("calendar", "due", "2026-12-29", "3", "--json")
    data = json.loads(r.stdout)
    assert data["due"] == "2027-01-04" and data["provisional"] is True
    assert data["due_at"] == "2027-01-05T00:00:00+08:00"
    assert {"date": "2027-01-01", "reason": "元旦"} in data["skipped"]
    r = hz("calendar", "is-workday", "2027-01-01", "--json")
    assert json.loads(r.stdout)["workday"] is False
    assert hz("calendar", "is-workday", "2026-09-20").stdout.startswith("yes")


def test_calendar_status_warns_in_november_about_next_year() -> None:
    r = hz("calendar", "status", now="2026-11-02T10:00:00+08:00")
    assert r.returncode == 0
    assert "WARNING" in r.stderr and "2027" in r.stderr
    r = hz("calendar", "status", now="2026-06-02T10:00:00+08:00")
    assert "WARNING" not in r.stderr


def test_bad_calendar_input_is_one_line_naming_the_field() -> None:
    r = hz("calendar", "due", "2026-13-01", "3")
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "START" in r.stderr
    r = hz("calendar", "due", "2026-10-01", "0")
    assert r.returncode == 2 and "N" in r.stderr


def test_year_file_load_moves_deadline_and_sweeps_remind_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'hz.db'}"
    assert hz("init", "--admin", "admin", db=db).returncode == 0
    for name, inst in (("sh", "SH"), ("js", "JS")):
        assert hz("users", "add", name, "--role", "liaison", "--institution", inst, user="admin", db=db).returncode == 0
    ids = [hz("experts", "add", "--name", f"专家{i}", "--field", "机械", "--employer", "院", "--title", "高工",
              "--province", "SH", user="admin", db=db).stdout.strip().splitlines()[-1] for i in range(3)]
    at = "2026-12-28T10:00:00+08:00"
    case = hz("case", "new", str(ROOT / "examples/case.yaml"), user="sh", now=at, db=db).stdout.strip().splitlines()[-1]
    for args in (("verify", case, "--note", "ok"), ("submit", case), ("panel", case, *ids),
                 ("attach", case, str(ROOT / "examples/test-report.txt"))):
        r = hz("case", *args, user="sh", now=at, db=db)
        assert r.returncode == 0, r.stderr
    assert hz("case", "dispatch", case, user="sh", now="2026-12-29T10:00:00+08:00", db=db).returncode == 0
    shown = json.loads(hz("case", "show", case, "--json", user="sh", now=at, db=db).stdout)
    (t1,) = shown["deadlines"]
    assert (t1["kind"], t1["provisional"], t1["due_at"]) == ("expert_analysis", True, "2027-01-05T00:00:00+08:00")

    year = tmp_path / "2027.yaml"
    year.write_text(
        "year: 2027\nnotice: 测试通知\nholidays:\n  - {from: 2027-01-01, to: 2027-01-04, name: 元旦}\nworkdays: []\n",
        encoding="utf-8")
    refused = hz("calendar", "load", str(year), user="sh", now="2026-12-30T09:00:00+08:00", db=db)
    assert refused.returncode == 3
    bad = tmp_path / "bad.yaml"
    bad.write_text("year: 2027\nnotice: x\nworkdays:\n  - {date: 2027-02-15, name: 调休}\n", encoding="utf-8")
    r = hz("calendar", "load", str(bad), user="admin", now="2026-12-30T09:00:00+08:00", db=db)
    assert r.returncode == 2 and "workdays[0]" in r.stderr
    r = hz("calendar", "load", str(year), user="admin", now="2026-12-30T09:00:00+08:00", db=db)
    assert r.returncode == 0, r.stderr
    assert "1 open deadline(s) moved" in r.stdout
    shown = json.loads(hz("case", "show", case, "--json", user="sh", now=at, db=db).stdout)
    assert [(d["status"], d["provisional"], d["due_at"]) for d in shown["deadlines"]] == [
        ("superseded", True, "2027-01-05T00:00:00+08:00"), ("armed", False, "2027-01-06T00:00:00+08:00")]
    history = json.loads(hz("case", "history", case, "--json", user="sh", now=at, db=db).stdout)
    assert history[-1]["type"] == "DeadlinesRecomputed"
    # The calendar commands now see the loaded year too.
    assert json.loads(hz("calendar", "due", "2026-12-29", "3", "--json", db=db).stdout)["due"] == "2027-01-05"

    first = hz("scheduler", "sweep", user="admin", now="2027-01-05T09:30:00+08:00", db=db)
    assert first.returncode == 0 and "sent before reminder" in first.stdout and "to sh by inbox" in first.stdout
    again = hz("scheduler", "sweep", user="admin", now="2027-01-05T09:35:00+08:00", db=db)
    assert "nothing due" in again.stdout
    rows = json.loads(hz("reminders", "list", "--case", case, "--json", user="admin", db=db).stdout)
    assert [(r["deadline_kind"], r["reminder_kind"], r["recipient"], r["channel"]) for r in rows] == [
        ("expert_analysis", "before", "sh", "inbox")]
    assert rows[0]["sent_at"]
    inbox = json.loads(hz("inbox", "--json", user="sh", db=db).stdout)
    # Beside the day's checkpoint (sent to every liaison, issue 15), one reminder about the case.
    inbox = [i for i in inbox if i["case"]]
    assert len(inbox) == 1 and case in inbox[0]["subject"]
