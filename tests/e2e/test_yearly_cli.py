"""The yearly account through the real `huizhen` console script, as a new user drives it: fees, the statement, the
yearly report, the retention list, appraisal, hold, release and purge, and `audit verify` afterwards. The case
itself is brought to its archive in-process (the lifecycle's own CLI test covers that path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import World, run_to
from test_cli import Hz, refused

pytestmark = pytest.mark.e2e

AFTER = "2031-10-15T10:00:00+08:00"  # the day after a case archived on 2026-10-14 may be destroyed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL: the integration suites cover it
def test_fees_report_and_retention_on_the_command_line(world: World, db_url: str, tmp_path: Path) -> None:
    hz = Hz(db_url)
    n = run_to(world, "archived")
    e1, e2 = world.experts[:2]
    now = "2026-10-15T10:00:00+08:00"

    r = hz.ok("fee", "record", n, "--expert", e1, "--amount", "1500.00", "--paid-on", "2026-10-15", user="sh", now=now)
    assert f"fee of {e1}: 1500.00 CNY, paid on 2026-10-15 recorded" in r.stdout
    fee = hz.json("fee", "record", n, "--expert", "专家2", "--amount", "800", user="sh", now=now)
    assert {k: fee[k] for k in ("case", "expert", "amount", "currency", "paid_on", "payer")} == {
        "case": n, "expert": e2, "amount": "800.00", "currency": "CNY", "paid_on": None, "payer": "SH"}
    refused(hz("fee", "record", n, "--expert", world.experts[2], "--amount", "1500.005", user="sh", now=now), 2,
            "--amount")
    refused(hz("fee", "record", n, "--expert", world.experts[2], "--amount", "100", user="auditor", now=now), 3,
            "auditor")
    hz.ok("fee", "correct", n, "--expert", e2, "--paid-on", "2026-10-16", "--reason", "已转账",
          user="sh", now="2026-10-16T10:00:00+08:00")
    fees = hz.json("fee", "list", n, user="js")
    assert [(f["expert"], f["amount"], f["paid_on"], f["status"]) for f in fees] == [
        (e1, "1500.00", "2026-10-15", "paid"), (e2, "800.00", "2026-10-16", "paid")]

    r = hz.ok("fee", "list", n, user="sh")
    assert "1500.00" in r.stdout and "已支付" in r.stdout and "2 fee(s)" in r.stderr
    r = hz.ok("fee", "statement", "--institution", "SH", "--year", "2026", "--out", str(tmp_path / "st"), user="sh")
    assert "合计 2300.00 元" in r.stdout and r.stdout.strip().splitlines()[-1].endswith("fees-SH-2026.xlsx")
    st = hz.json("fee", "statement", "--institution", "SH", "--year", "2026", "--out", str(tmp_path / "st"),
                 user="sh")
    assert st["totals"] == {"fees": 2, "total": "2300.00", "paid": "2300.00", "unpaid": "0.00", "currency": "CNY"}
    assert Path(st["files"]["csv"]).is_file() and Path(st["files"]["xlsx"]).is_file()

    rep = hz.json("report", "year", "2026", "--out", str(tmp_path / "rep"), user="auditor",
                  now="2027-01-10T10:00:00+08:00")
    assert rep["opened"]["total"] == 1 and rep["closed"]["by_lead"]["JS"] == 1
    assert rep["outcomes"]["investigate"] == 1 and rep["fees"]["by_institution"]["SH"]["total"] == "2300.00"
    # submitted 09-24, decided 10-14: 25, 28, 29, 30 Sep, 9, 10 (调休), 12, 13, 14 Oct = 9 working days
    assert rep["cycle_time"]["values"] == [9]
    for file in [rep["files"]["markdown"], rep["files"]["json"], *rep["files"]["charts"].values()]:
        assert (tmp_path / "rep" / file).is_file(), file
    assert json.loads((tmp_path / "rep" / "report-2026.json").read_text(encoding="utf-8"))["outcomes"] == rep["outcomes"]
    r = hz.ok("report", "year", "2026", "--institution", "sh", "--out", str(tmp_path / "rep"), user="sh")
    assert (tmp_path / "rep" / "report-2026-SH.md").is_file() and "受理 1 件" in r.stdout
    refused(hz("report", "year", "2026", "--institution", "GD", user="sh"), 2, "--institution")

    rows = hz.json("retention", "list", user="admin", now=AFTER)
    assert [(x["number"], x["retention_until"], x["expired"], x["eligible"]) for x in rows] == [
        (n, "2031-10-14", True, False)]
    r = hz.ok("retention", "list", user="admin", now=AFTER)
    assert n in r.stdout and "2031-10-14" in r.stdout
    r = hz.ok("retention", "purge", user="admin", now=AFTER)  # nothing appraised yet: says so, exits 0
    assert "nothing eligible" in r.stdout and "not appraised" in r.stderr

    hz.ok("retention", "hold", n, "--reason", "消费者诉讼进行中", user="admin", now=AFTER)
    hz.ok("retention", "appraise", n, "--approver", "王主任", "--note", "保管期满，经鉴定同意销毁", user="admin",
          now=AFTER)
    refused(hz("retention", "appraise", n, "--approver", "王主任", "--note", "同意", user="sh", now=AFTER), 3, "admin")
    r = hz("retention", "purge", n, user="admin", now=AFTER)
    assert r.returncode == 5 and "under a legal hold: 消费者诉讼进行中" in r.stderr
    hz.ok("retention", "release", n, user="admin", now=AFTER)
    history = hz.json("case", "history", n, user="auditor")
    assert [e["type"] for e in history[-3:]] == ["LegalHoldPlaced", "DisposalAppraised", "LegalHoldReleased"]

    out = hz.json("retention", "purge", "--out", str(tmp_path / "d"), user="admin", now=AFTER)
    assert [p["number"] for p in out["purged"]] == [n] and out["batch"] == "2031-001" and out["refused"] == []
    assert Path(out["files"]["csv"]).name == "destruction-list-2031-001.csv" and Path(out["files"]["pdf"]).is_file()
    assert out["purged"][0]["final_event_hash"] == history[-1]["hash"]
    verified = hz.json("audit", "verify", user="auditor")
    assert verified["ok"] is True and verified["findings"] == []
    r = hz.ok("retention", "purge", user="admin", now=AFTER)
    assert "nothing eligible" in r.stdout
    r = hz.ok("retention", "purge", n, user="admin", now=AFTER)
    assert "already purged" in r.stdout
    assert [t["number"] for t in hz.json("retention", "list", "--purged", user="auditor")] == [n]
    assert "2031-001" in hz.ok("retention", "list", "--purged", user="auditor").stdout
    again = hz.ok("retention", "destruction-list", "2031-001", "--out", str(tmp_path / "again"), user="admin")
    assert (tmp_path / "again" / "destruction-list-2031-001.pdf").is_file() and "1 case(s)" in again.stdout
