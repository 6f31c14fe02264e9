"""The command line as a new user drives it, one subprocess per command: set up, a consultation from draft to
archive with a frozen instant per step, reading it back as JSON, the audit, the form rules and the rotation without
a database, refusals (one line on stderr naming the field, the documented exit code, nothing written), and running
from another working directory."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config.yaml"
EXAMPLES = ROOT / "examples"
HZ = str(Path(sys.executable).with_name("huizhen"))
pytestmark = pytest.mark.e2e

Run = subprocess.CompletedProcess[str]


class Hz:
    """`huizhen` with HUIZHEN_CONFIG, HUIZHEN_DATABASE_URL, and per call HUIZHEN_USER / HUIZHEN_NOW."""

    def __init__(self, db_url: str | None, *, config: Path = CONFIG, cwd: Path = ROOT) -> None:
        self.db_url, self.config, self.cwd = db_url, config, cwd

    def env(self, user: str | None, now: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUIZHEN_")}
        env["HUIZHEN_CONFIG"] = str(self.config)
        if self.db_url is not None:
            env["HUIZHEN_DATABASE_URL"] = self.db_url
        if user:
            env["HUIZHEN_USER"] = user
        if now:
            env["HUIZHEN_NOW"] = now
        return env

    def __call__(self, *args: str, user: str | None = None, now: str | None = None) -> Run:
        return subprocess.run([HZ, *args], capture_output=True, text=True, env=self.env(user, now), cwd=self.cwd,
                              timeout=120)

    def many(self, calls: Sequence[tuple[Sequence[str], str | None, str | None]]) -> list[Run]:
        """Several independent commands at once (reads, or refusals): (args, user, now) each."""
        procs = [(list(args), subprocess.Popen([HZ, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                               text=True, env=self.env(user, now), cwd=self.cwd))
                 for args, user, now in calls]
        done = []
        for args, p in procs:
            out, err = p.communicate(timeout=120)
            done.append(subprocess.CompletedProcess([HZ, *args], p.returncode, out, err))
        return done

    def ok(self, *args: str, user: str | None = None, now: str | None = None) -> Run:
        r = self(*args, user=user, now=now)
        assert r.returncode == 0, (args, r.returncode, r.stdout[-1500:], r.stderr[-1500:])
        return r

    def last(self, *args: str, user: str | None = None, now: str | None = None) -> str:
        return self.ok(*args, user=user, now=now).stdout.strip().splitlines()[-1]

    def json(self, *args: str, user: str | None = None, now: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", user=user, now=now).stdout)


def refused(r: Run, code: int, field: str) -> None:
    """A refusal: the documented exit code and exactly one line on stderr, naming the field."""
    lines = r.stderr.strip().splitlines()
    assert r.returncode == code, (r.args, r.returncode, r.stdout, r.stderr)
    assert len(lines) == 1, (r.args, r.stderr)
    assert field in lines[0], (r.args, lines[0])


def case_file(tmp_path: Path, name: str, change: Any) -> Path:
    data = yaml.safe_load((EXAMPLES / "case.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


# --- the whole lifecycle ------------------------------------------------------------------------------------------


def set_up(hz: Hz) -> list[str]:
    """init, then people added by the admin: independent commands, run side by side to keep the suite quick.
    Returns the experts' ids in the order of their pools (SH, JS, ZJ); x1–x3 are their users in that order."""
    r = hz.ok("init", "--admin", "admin")
    assert "admin user admin created" in r.stdout
    people = [(["users", "add", name, "--role", "liaison", "--institution", inst, "--email", f"{name}@example.org"],
               "admin", None) for name, inst in (("sh", "SH"), ("js", "JS"))]
    people.append((["users", "add", "auditor", "--role", "auditor"], "admin", None))
    experts = [(["experts", "add", "--name", f"专家{i}", "--field", field, "--employer", f"单位{i}", "--title",
                 "高级工程师", "--province", prov], "admin", None)
               for i, (field, prov) in enumerate((("机械安全", "SH"), ("电气安全", "JS"), ("儿童用品", "ZJ")), start=1)]
    runs = hz.many(people + experts)
    for r in runs:
        assert r.returncode == 0, (r.args, r.stderr)
    assert [r.stdout.strip().splitlines()[-1] for r in runs[:3]] == ["sh", "js", "auditor"]
    # The id alone on the last line, in the order of the pools (SH, JS, ZJ): the three ran side by side, so which
    # of them got E0001 is not known in advance.
    ids = [r.stdout.strip().splitlines()[-1] for r in runs[3:]]
    assert all(re.fullmatch(r"E\d{4}", eid) for eid in ids) and sorted(ids) == ["E0001", "E0002", "E0003"], ids
    runs = hz.many([(["users", "add", f"x{i}", "--role", "expert", "--expert", eid], "admin", None)
                    for i, eid in enumerate(ids, start=1)])
    for r in runs:
        assert r.returncode == 0, (r.args, r.stderr)
    return ids


def history_len(hz: Hz, number: str) -> int:
    return len(hz.json("case", "history", number, user="auditor"))


def drive_lifecycle(hz: Hz, tmp_path: Path, *, refusals: bool) -> None:
    ids = set_up(hz)
    shown_at: dict[str, dict[str, Any]] = {}  # instant → what `case show --json` said then

    if refusals:
        unknown = case_file(tmp_path, "unknown-key.yaml", lambda d: d.update(colour="red"))
        gd = case_file(tmp_path, "gd.yaml", lambda d: d["product"].update(registered_province="GD"))
        r1, r2 = hz.many([(["case", "new", str(unknown)], "sh", "2026-09-24T09:00:00+08:00"),
                          (["case", "new", str(gd)], "sh", "2026-09-24T09:00:00+08:00")])
        refused(r1, 2, "colour")
        refused(r2, 2, "product.registered_province")
        assert "GD" in r2.stderr

    t0 = "2026-09-24T10:00:00+08:00"
    number = hz.last("case", "new", str(EXAMPLES / "case.yaml"), user="sh", now=t0)
    assert number == "YRD-2026-0001"  # the refused files consumed no number
    shown_at[t0] = hz.json("case", "show", number, user="sh", now=t0)
    assert (shown_at[t0]["status"], shown_at[t0]["version"]) == ("drafted", 1)
    # Art. 7: the preliminary verification comes before the application; without it submit refuses (exit 5).
    r = hz("case", "submit", number, user="sh", now="2026-09-24T10:02:00+08:00")
    refused(r, 5, "huizhen case verify")
    assert history_len(hz, number) == 1
    hz.ok("case", "verify", number, "--note", "核实检测报告原件与样品一致", user="sh", now="2026-09-24T10:04:00+08:00")
    hz.ok("case", "submit", number, user="sh", now="2026-09-24T10:05:00+08:00")

    if refusals:
        at = "2026-09-25T15:00:00+08:00"
        runs = hz.many([
            (["case", "submit", number], "auditor", at),
            (["case", "decide", number], "js", at),
            (["case", "panel", number, "E9999", ids[0], ids[1]], "sh", at),
            (["case", "verify", number, "--note", "核实"], "sh", "2026-09-25T15:00:00"),
        ])
        refused(runs[0], 3, "auditor")
        refused(runs[1], 5, "preliminary_review")
        refused(runs[2], 2, "EXPERT_ID")
        assert "E9999" in runs[2].stderr
        refused(runs[3], 2, "HUIZHEN_NOW")
        assert history_len(hz, number) == 3

    # In preliminary review the verification may still be added to (an addition in the history).
    hz.ok("case", "verify", number, "--note", "补充：另有3例同型号摔伤", user="sh", now="2026-09-25T15:00:00+08:00")
    hz.ok("case", "panel", number, *ids, user="sh", now="2026-09-28T09:30:00+08:00")
    hz.ok("case", "attach", number, str(EXAMPLES / "test-report.txt"), "--kind", "test_report", user="sh",
          now="2026-09-28T09:40:00+08:00")
    t_dispatch = "2026-09-29T10:00:00+08:00"
    r = hz.ok("case", "dispatch", number, user="sh", now=t_dispatch)
    assert "now awaiting_experts" in r.stdout and "2026-10-10 00:00" in r.stdout
    shown = shown_at[t_dispatch] = hz.json("case", "show", number, user="sh", now=t_dispatch)
    (t1,) = shown["deadlines"]
    assert {k: t1[k] for k in ("kind", "due_at", "provisional", "overdue", "status")} == {
        "kind": "expert_analysis", "due_at": "2026-10-10T00:00:00+08:00", "provisional": False, "overdue": False,
        "status": "armed"}

    # The three experts reply at the same moment: three writers on one case, each waits its turn.
    runs = hz.many([(["case", "analysis", number, "--expert", eid, "--text", "初步分析：锁止销脱出风险真实存在。"],
                     f"x{i}", "2026-10-08T16:00:00+08:00") for i, eid in enumerate(ids, start=1)])
    for r in runs:
        assert r.returncode == 0, (r.args, r.stderr)
    t_refer = "2026-10-09T09:00:00+08:00"
    hz.ok("case", "refer", number, user="sh", now=t_refer)
    shown_at[t_refer] = hz.json("case", "show", number, user="js", now=t_refer)
    assert shown_at[t_refer]["status"] == "convening"
    # Art. 5 / 8(4): the online meeting is scheduled first; at it, the lead records attendance and statements.
    hz.ok("case", "schedule", number, "--at", "2026-10-14T14:00:00+08:00", "--platform", "腾讯会议", user="js",
          now="2026-10-09T15:00:00+08:00")
    hz.ok("case", "convene", number, user="js", now="2026-10-14T14:00:00+08:00")
    hz.ok("case", "attendance", number, "--institution", "sh", "--staff", "王芳", "--staff", "李强", user="js",
          now="2026-10-14T14:20:00+08:00")
    hz.ok("case", "attendance", number, "--institution", "zj", "--absent", user="js", now="2026-10-14T14:20:00+08:00")
    hz.ok("case", "statement", number, "--expert", ids[0], "--text", "锁止销在颠簸时脱出。", user="js",
          now="2026-10-14T14:25:00+08:00")

    if refusals:
        bad = tmp_path / "bad-opinion.yaml"
        data = yaml.safe_load((EXAMPLES / "opinion-defect.yaml").read_text(encoding="utf-8"))
        data.update(severity=5, likelihood=0)
        bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        before = history_len(hz, number)
        r = hz("case", "opinion", number, str(bad), "--expert", ids[0], user="x1", now="2026-10-14T14:30:00+08:00")
        refused(r, 2, "severity")
        assert history_len(hz, number) == before

    files = ["opinion-defect.yaml", "opinion-defect.yaml", "opinion-uncertain.yaml"]
    runs = hz.many([(["case", "opinion", number, str(EXAMPLES / name), "--expert", eid], f"x{i}",
                     "2026-10-14T15:00:00+08:00") for i, (eid, name) in enumerate(zip(ids, files, strict=True), start=1)])
    for eid, name, r in zip(ids, files, runs, strict=True):
        assert r.returncode == 0, (r.args, r.stderr)
        signed = json.loads(r.stdout)
        assert signed["case"] == number and signed["expert"] == eid
        assert signed["defect"] == ("yes" if name == "opinion-defect.yaml" else "uncertain")
    t_decide = "2026-10-14T16:00:00+08:00"
    r = hz.ok("case", "decide", number, user="js", now=t_decide)
    assert "now decided" in r.stdout
    shown_at[t_decide] = hz.json("case", "show", number, user="js", now=t_decide)
    hz.ok("case", "minutes", number, user="js", now="2026-10-15T10:00:00+08:00")
    hz.ok("case", "archive", number, user="js", now="2026-10-16T10:00:00+08:00")

    now = "2026-10-16T11:00:00+08:00"
    final = hz.json("case", "show", number, user="auditor", now=now)
    assert final["number"] == number and final["status"] == "archived" and final["outcome"] == "investigate"
    assert (final["applicant"], final["lead"]) == ("SH", "JS")
    assert final["panel"] == ids
    assert final["conclusions"] == {"defect": "yes", "investigate": True, "attention": False}
    assert [(d["kind"], d["status"], d["overdue"], d["provisional"]) for d in final["deadlines"]] == [
        ("expert_analysis", "met", False, False), ("convening", "met", False, False)]
    assert final["minutes"]["cc"] == ["SH", "ZJ", "AH"]

    reads = hz.many(
        [(["case", "list", "--status", "archived", "--json"], "auditor", now),
         (["case", "history", number, "--json"], "auditor", now),
         (["audit", "verify"], "auditor", now),
         (["audit", "export", number, "--format", "jsonl"], "auditor", now),
         (["audit", "export", number, "--format", "csv"], "auditor", now)]
        + [(["audit", "replay", number, "--at", at, "--json"], "auditor", now) for at in shown_at]
    )
    for r in reads:
        assert r.returncode == 0, (r.args, r.stdout[-800:], r.stderr[-800:])
    listed, history, verified, jsonl, csv_out, *replays = reads

    assert [c["number"] for c in json.loads(listed.stdout)] == [number]
    events = json.loads(history.stdout)
    assert isinstance(events, list) and len(events) == final["version"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    stamps = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert stamps == sorted(stamps)
    assert events[0]["type"] == "CaseOpened" and events[-1]["type"] == "CaseArchived"
    assert "every hash recomputed" in verified.stdout

    for (at, then), r in zip(shown_at.items(), replays, strict=True):
        replayed = json.loads(r.stdout)
        assert (replayed["status"], replayed["version"]) == (then["status"], then["version"]), at
        assert replayed == then, at

    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [e["seq"] for e in lines] == [e["seq"] for e in events]
    assert lines[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(lines, lines[1:], strict=False))
    assert [e["hash"] for e in lines] == [e["hash"] for e in events]
    rows = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert list(rows[0]) == ["case", "seq", "type", "schema_version", "actor", "occurred_at", "recorded_at",
                             "payload", "prev_hash", "hash"]
    assert [(int(r["seq"]), r["type"], r["hash"]) for r in rows] == [(e["seq"], e["type"], e["hash"]) for e in events]
    assert json.loads(rows[0]["payload"])["number"] == number


def test_lifecycle_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    """SQLite in tmp_path (with the refusals along the way), and the same lifecycle on PostgreSQL."""
    drive_lifecycle(Hz(db_url), tmp_path, refusals=db_url.startswith("sqlite"))


# --- without a database ------------------------------------------------------------------------------------------


def test_form_check_and_rotation_need_no_database_and_no_user(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    hz = Hz(f"sqlite:///{absent / 'none.db'}", cwd=tmp_path)
    runs = hz.many([
        (["form", "check", str(EXAMPLES / "opinion-defect.yaml"), "--json"], None, None),
        (["form", "check", str(EXAMPLES / "opinion-uncertain.yaml"), "--json"], None, None),
        (["rotation", "lead", "2026-03-01"], None, None),
        (["rotation", "lead", "2028-12-31"], None, None),
    ])
    for r in runs:
        assert r.returncode == 0, (r.args, r.stderr)
    assert json.loads(runs[0].stdout) == {"defect": "yes", "investigate": True, "attention": False}
    assert json.loads(runs[1].stdout) == {"defect": "uncertain", "investigate": False, "attention": True}
    assert runs[2].stdout.strip() == "JS"
    assert runs[3].stdout.strip() == "AH"
    assert not absent.exists()  # no database was opened (opening a SQLite file creates its folder)

    bad = tmp_path / "bad.yaml"
    data = yaml.safe_load((EXAMPLES / "opinion-defect.yaml").read_text(encoding="utf-8"))
    data.update(severity=5, likelihood=0)
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r1, r2 = hz.many([(["form", "check", str(bad), "--json"], None, None),
                      (["rotation", "lead", "2026-02-30"], None, None)])
    refused(r1, 2, "severity")
    refused(r2, 2, "DATE")
    assert not absent.exists()


# --- another working directory ---------------------------------------------------------------------------------


def test_runs_from_another_working_directory_with_the_repo_config(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    hz = Hz(f"sqlite:///{tmp_path / 'db' / 'hz.db'}", cwd=elsewhere)
    hz.ok("init", "--admin", "admin")
    hz.ok("users", "add", "sh", "--role", "liaison", "--institution", "SH", user="admin")
    at = "2026-09-24T10:00:00+08:00"
    number = hz.last("case", "new", str(EXAMPLES / "case.yaml"), user="sh", now=at)
    shown = hz.json("case", "show", number, user="sh", now=at)
    assert shown["status"] == "drafted" and shown["product"]["registered_province"] == "SH"
    # A file named on the command line is relative to where you are, not to the config.
    refused(hz("case", "new", "examples/case.yaml", user="sh", now=at), 2, "FILE")
    assert list(elsewhere.iterdir()) == []  # nothing written where the command ran (no var/, no log, no db)


def test_relative_paths_in_the_config_resolve_against_its_folder(tmp_path: Path) -> None:
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (site / "official-years").mkdir(parents=True)
    elsewhere.mkdir()
    config = site / "config.yaml"
    config.write_text(CONFIG.read_text(encoding="utf-8"), encoding="utf-8")  # the repo's file, relative paths intact
    (site / "official-years" / "2027.yaml").write_text(
        "year: 2027\nnotice: 测试用通知\nholidays:\n  - {from: 2027-01-01, to: 2027-01-04, name: 元旦}\nworkdays: []\n",
        encoding="utf-8")
    hz = Hz(None, config=config, cwd=elsewhere)  # no HUIZHEN_DATABASE_URL: the config's var/huizhen.db
    r = hz.ok("init", "--admin", "admin")
    assert (site / "var" / "huizhen.db").is_file(), r.stdout
    assert str(site / "var" / "huizhen.db") in r.stdout
    due = hz.json("calendar", "due", "2026-12-29", "3")
    # The year file in the config's official-years/ is found: 2027 is official, not estimated.
    assert (due["due"], due["provisional"]) == ("2027-01-05", False)
    assert list(elsewhere.iterdir()) == []


# --- `system` is nobody ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_system_is_an_unknown_user_to_every_command_and_no_user_may_take_the_name(db_url: str,
                                                                                    tmp_path: Path) -> None:
    """HUIZHEN_USER=system is refused like any unknown name (exit 3, nothing written), by every command that acts
    or reads as someone; `users add system` is refused. (Needs the use-case helper's Actor of issue 11.)"""
    hz = Hz(db_url)
    hz.ok("init", "--admin", "admin")
    hz.ok("users", "add", "sh", "--role", "liaison", "--institution", "SH", user="admin")
    hz.ok("experts", "add", "--name", "专家1", "--field", "机械安全", "--employer", "单位1", "--title", "高级工程师",
          "--province", "SH", user="admin")
    number = hz.last("case", "new", str(EXAMPLES / "case.yaml"), user="sh")
    before = len(hz.json("case", "history", number, user="admin"))
    out_dir = tmp_path / "out"
    commands: list[list[str]] = [
        ["case", "show", number], ["case", "list"], ["case", "history", number],
        ["case", "new", str(EXAMPLES / "case.yaml")], ["case", "submit", number],
        ["case", "verify", number, "--note", "系统"], ["case", "withdraw", number, "--reason", "系统"],
        ["docs", "form", number, "--expert", "E0001", "--out", str(out_dir / "f.pdf")],
        ["docs", "minutes", number, "--out", str(out_dir / "m.pdf")],
        ["audit", "verify"], ["audit", "replay", number], ["audit", "export", number],
        ["audit", "dossier", number, "--out", str(out_dir / "d.zip")],
        ["fee", "list", number], ["fee", "statement", "--institution", "SH", "--year", "2026", "--out", str(out_dir)],
        ["report", "year", "2026", "--out", str(out_dir)], ["retention", "list"],
        ["users", "list"], ["users", "add", "y", "--role", "auditor"], ["users", "tokens", "sh"],
        ["users", "token", "sh"], ["experts", "list"],
        ["experts", "add", "--name", "专家2", "--field", "电气安全", "--employer", "单位2", "--title", "工程师",
         "--province", "SH"],
        ["reminders", "list"],
    ]
    for r in hz.many([(args, "system", None) for args in commands]):
        refused(r, 3, "system")
    assert not out_dir.exists() or not any(out_dir.iterdir())  # no paper, dossier or report was written
    assert len(hz.json("case", "history", number, user="admin")) == before
    assert [c["number"] for c in hz.json("case", "list", user="admin")] == [number]
    for name in ("system", "SYSTEM", "系统"):
        r = hz("users", "add", name, "--role", "admin", user="admin")
        refused(r, 2, "NAME")
    assert [u["name"] for u in hz.json("users", "list", user="admin")] == ["admin", "sh"]


def test_a_joint_decision_alone_waits_for_another_institution_s_concurrence(tmp_path: Path) -> None:
    """Art. 4(3) on the command line: verify, submit refused (exit 5), js concurs, submit goes through."""
    hz = Hz(f"sqlite:///{tmp_path / 'joint.db'}")
    set_up(hz)
    joint = case_file(tmp_path, "joint.yaml", lambda d: (d["product"].update(production_province="SH",
                                                                             registered_province="SH"),
                                                         d.update(basis={"joint_decision": "长三角联席会议决定"})))
    at = "2026-09-24T10:00:00+08:00"
    number = hz.last("case", "new", str(joint), user="sh", now=at)
    hz.ok("case", "verify", number, "--note", "核实无误", user="sh", now="2026-09-24T10:01:00+08:00")
    r = hz("case", "submit", number, user="sh", now="2026-09-24T10:02:00+08:00")
    refused(r, 5, "case concur")
    refused(hz("case", "concur", number, "--note", " ", user="js", now="2026-09-24T10:03:00+08:00"), 2, "--note")
    assert hz("case", "concur", number, "--note", "自己", user="sh", now="2026-09-24T10:03:00+08:00").returncode == 3
    hz.ok("case", "concur", number, "--note", "江苏同意共同开展", user="js", now="2026-09-24T10:04:00+08:00")
    hz.ok("case", "submit", number, user="sh", now="2026-09-24T10:05:00+08:00")
    types = [e["type"] for e in hz.json("case", "history", number, user="auditor")]
    assert types == ["CaseOpened", "VerificationRecorded", "ConcurrenceRecorded", "CaseSubmitted"]


def test_nominations_answers_and_a_kept_conflict_on_the_command_line(tmp_path: Path) -> None:
    """Art. 8(1) (issue 12): sh and js nominate from their own pools (js refused for SH's expert, naming
    EXPERT_ID), the panel is formed, x1 declares a conflict, dispatch is refused (exit 5) until sh keeps x1."""
    hz = Hz(f"sqlite:///{tmp_path / 'panel.db'}")
    e1, e2, e3 = set_up(hz)  # pools: SH, JS, ZJ
    number = hz.last("case", "new", str(EXAMPLES / "case.yaml"), user="sh", now="2026-09-24T10:00:00+08:00")
    hz.ok("case", "verify", number, "--note", "核实无误", user="sh", now="2026-09-24T10:01:00+08:00")
    hz.ok("case", "submit", number, user="sh", now="2026-09-24T10:02:00+08:00")
    refused(hz("case", "nominate", number, e1, user="js", now="2026-09-24T10:03:00+08:00"), 2, "EXPERT_ID")
    hz.ok("case", "nominate", number, e2, "--note", "电气安全", user="js", now="2026-09-24T10:04:00+08:00")
    hz.ok("case", "nominate", number, e1, user="sh", now="2026-09-24T10:05:00+08:00")
    hz.ok("case", "panel", number, e1, e2, e3, user="sh", now="2026-09-24T10:06:00+08:00")
    hz.ok("case", "attach", number, str(EXAMPLES / "case.yaml"), user="sh", now="2026-09-24T10:07:00+08:00")
    refused(hz("case", "respond", number, "--accept", "--relation", "related", "--employer", " ", user="x1",
               now="2026-09-24T10:08:00+08:00"), 2, "--employer")
    hz.ok("case", "respond", number, "--accept", "--relation", "曾任该企业顾问", user="x1",
          now="2026-09-24T10:09:00+08:00")
    hz.ok("case", "respond", number, "--accept", user="x2", now="2026-09-24T10:10:00+08:00")
    r = hz("case", "dispatch", number, user="sh", now="2026-09-24T10:11:00+08:00")
    refused(r, 5, "--expert")
    assert "huizhen case keep-expert" in r.stderr
    refused(hz("case", "keep-expert", number, "--expert", e1, user="sh", now="2026-09-24T10:12:00+08:00"), 2,
            "--reason")
    hz.ok("case", "keep-expert", number, "--expert", e1, "--reason", "顾问关系已终止", user="sh",
          now="2026-09-24T10:13:00+08:00")
    hz.ok("case", "dispatch", number, user="sh", now="2026-09-24T10:14:00+08:00")
    shown = hz.json("case", "show", number, user="js")
    assert shown["responses"][e1]["relation_text"] == "曾任该企业顾问" and shown["kept"][e1]["reason"] == "顾问关系已终止"
    assert [n["institution"] for n in shown["nominations"]] == ["JS", "SH"]
    assert "申报关系：曾任该企业顾问" in hz.ok("case", "show", number, user="js").stdout
