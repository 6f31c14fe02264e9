"""Retention (Art. 9) over SQLite and PostgreSQL: the retention end of a closed case, the list, the appraisal and
legal holds in the history, a purge that refuses what it must (and then changes nothing), destroys an expired,
appraised case (rows gone, tombstone kept, destruction list written, `audit verify` clean), is a no-op the second
time, keeps a blob another case still uses, and is all-or-nothing per case."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import World, load_example, run_to
from sqlalchemy import delete, func, inspect, select, update

from states.errors import DomainError, GuardFailed, InvalidInput, InvalidTransition
from storage import tables as t
from storage.uow import SqlRetentionStore
from workflow import accounts
from workflow import usecases as uc
from workflow.errors import NotPermitted

TABLES = (t.cases, t.events, t.deadlines, t.reminders, t.inbox, t.blobs, t.tombstones, t.counters)


def field_of(exc: DomainError) -> str | None:
    """The input an error is about. Messages from states/ that still start with a CLI flag (`--note: ...`, before
    that room names its fields) are read the same way."""
    if exc.field:
        return exc.field
    old = re.match(r"^--([a-z-]+): ", exc.message)
    return old.group(1).replace("-", "_") if old else None


def db_state(world: World) -> dict[str, list[tuple[str, ...]]]:
    out: dict[str, list[tuple[str, ...]]] = {}
    with world.app.engine.connect() as conn:
        for table in TABLES:
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in conn.execute(select(table)).all())
    return out


def rows_of(world: World, number: str) -> dict[str, int]:
    with world.app.engine.connect() as conn:
        def n(table: Any, col: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table).where(col == number)).scalar_one())

        return {"cases": n(t.cases, t.cases.c.number), "events": n(t.events, t.events.c.case_number),
                "deadlines": n(t.deadlines, t.deadlines.c.case_number),
                "reminders": n(t.reminders, t.reminders.c.case_number), "inbox": n(t.inbox, t.inbox.c.case_number)}


def blob_exists(world: World, sha: str) -> bool:
    with world.app.engine.connect() as conn:
        return conn.execute(select(t.blobs.c.sha256).where(t.blobs.c.sha256 == sha)).first() is not None


@pytest.fixture
def closed(world: World) -> dict[str, str]:
    """Two archived cases (2026-10-14, both with the same material) a withdrawn one (2026-09-29), an open one."""
    archived = run_to(world, "archived")
    twin = run_to(world, "archived")
    withdrawn = run_to(world, "awaiting_experts")
    world.clock.set("2026-09-29T15:00:00+08:00")
    uc.withdraw(world.svc, "sh", withdrawn, "申请撤回")
    open_case = run_to(world, "convening")
    return {"archived": archived, "twin": twin, "withdrawn": withdrawn, "open": open_case}


def test_retention_end_and_the_list(world: World, closed: dict[str, str]) -> None:
    world.clock.set("2027-01-04T10:00:00+08:00")
    rows = {r["number"]: r for r in accounts.retention_list(world.svc, "admin")}
    assert set(rows) == {closed["archived"], closed["twin"], closed["withdrawn"]}  # the open case has no end yet
    a = rows[closed["archived"]]
    assert (a["closed_on"], a["retention_until"], a["disposable_from"]) == ("2026-10-14", "2031-10-14", "2031-10-15")
    assert (a["expired"], a["appraised"], a["held"], a["eligible"]) == (False, False, False, False)
    assert a["problems"][0].startswith("not expired: kept until 2031-10-14 (5 years from 2026-10-14)")
    assert uc.show_case(world.svc, "sh", closed["archived"])["retention_until"] == "2031-10-14"
    assert "retention_until" not in uc.show_case(world.svc, "sh", closed["open"])
    w = rows[closed["withdrawn"]]
    assert (w["status"], w["closed_on"], w["retention_until"]) == ("withdrawn", "2026-09-29", "2031-09-29")
    # soonest first
    assert [r["number"] for r in accounts.retention_list(world.svc, "auditor")][0] == closed["withdrawn"]
    with pytest.raises(NotPermitted):
        accounts.retention_list(world.svc, "x1")


def test_leap_day_retention_ends_on_28_february(world: World) -> None:
    world.clock.set("2028-02-29T10:00:00+08:00")
    n = uc.new_case(world.svc, "zj", load_example("case.yaml")).number
    uc.withdraw(world.svc, "zj", n, "草稿作废")
    (row,) = accounts.retention_list(world.svc, "admin")
    assert (row["closed_on"], row["retention_until"], row["disposable_from"]) == (
        "2028-02-29", "2033-02-28", "2033-03-01")


def test_appraisal_and_holds_are_history(world: World, closed: dict[str, str]) -> None:
    svc, n = world.svc, closed["archived"]
    world.clock.set("2031-10-15T09:00:00+08:00")
    for who in ("sh", "js", "auditor", "x1"):
        with pytest.raises(NotPermitted, match="admin"):
            accounts.appraise(svc, who, n, "王主任", "同意销毁")
        with pytest.raises(NotPermitted):
            accounts.place_hold(svc, who, n, "诉讼")
    with pytest.raises(InvalidTransition, match="convening"):
        accounts.appraise(svc, "admin", closed["open"], "王主任", "同意销毁")
    with pytest.raises(InvalidTransition):
        accounts.place_hold(svc, "admin", closed["open"], "诉讼")
    for call, field in ((lambda: accounts.appraise(svc, "admin", n, " ", "同意销毁"), "approver"),
                        (lambda: accounts.appraise(svc, "admin", n, "王主任", ""), "note"),
                        (lambda: accounts.place_hold(svc, "admin", n, " "), "reason")):
        with pytest.raises(InvalidInput) as refused:
            call()
        assert field_of(refused.value) == field
    with pytest.raises(GuardFailed, match="no legal hold"):
        accounts.release_hold(svc, "admin", n)

    accounts.appraise(svc, "admin", n, "王主任", "保管期满，经鉴定同意销毁")
    world.clock.advance(minutes=1)
    accounts.place_hold(svc, "admin", n, "消费者诉讼进行中")
    with pytest.raises(GuardFailed, match="already under a legal hold"):
        accounts.place_hold(svc, "admin", n, "又一起诉讼")
    world.clock.advance(minutes=1)
    case = accounts.release_hold(svc, "admin", n)
    assert case.active_hold() is None and case.status == "archived"
    shown = uc.show_case(svc, "auditor", n)
    assert shown["retention"]["appraisal"]["approver"] == "王主任"
    assert shown["retention"]["holds"][0]["reason"] == "消费者诉讼进行中"
    assert shown["retention"]["holds"][0]["released_by"] == "admin"
    types = [e["type"] for e in uc.history(svc, "auditor", n)][-3:]
    assert types == ["DisposalAppraised", "LegalHoldPlaced", "LegalHoldReleased"]
    assert uc.verify_audit(svc, "auditor") == []


def test_purge_refuses_what_it_must_and_changes_nothing(world: World, closed: dict[str, str]) -> None:
    svc, a, w = world.svc, closed["archived"], closed["withdrawn"]
    world.clock.set("2027-03-01T10:00:00+08:00")
    accounts.appraise(svc, "admin", a, "王主任", "同意销毁")  # appraised early: still kept until its end
    world.clock.set("2031-10-14T23:59:00+08:00")  # the last day of a's retention
    before = db_state(world)
    result = accounts.purge(svc, "admin", [a, w, closed["open"], "YRD-2026-9999"])
    assert result.purged == [] and result.batch is None
    reasons = {r["number"]: r["reasons"] for r in result.refused}
    assert reasons[a] == ["not expired: kept until 2031-10-14 (5 years from 2026-10-14); disposable from 2031-10-15"]
    assert reasons[w] == ["not appraised: the disposal appraisal is not recorded"]
    assert reasons[closed["open"]] == ["not closed: it is convening (待会诊); only an archived or withdrawn case "
                                       "is destroyed"]
    assert reasons["YRD-2026-9999"] == ["case YRD-2026-9999 does not exist"]
    assert db_state(world) == before
    # held: refused even though expired and appraised
    world.clock.set("2031-10-15T09:00:00+08:00")
    accounts.place_hold(svc, "admin", a, "消费者诉讼进行中")
    before = db_state(world)
    result = accounts.purge(svc, "admin")  # no names: every appraised or expired closed case
    assert result.purged == []
    reasons = {r["number"]: r["reasons"] for r in result.refused}
    assert reasons[a] == ["under a legal hold: 消费者诉讼进行中"]
    assert closed["open"] not in reasons  # without names, open cases are not candidates
    assert db_state(world) == before
    with pytest.raises(NotPermitted):
        accounts.purge(svc, "auditor")
    assert db_state(world) == before


def test_purge_destroys_an_expired_appraised_case(world: World, closed: dict[str, str], tmp_path: Path) -> None:
    from huizhen.yearly_render import write_destruction_list

    svc, a, twin = world.svc, closed["archived"], closed["twin"]
    shared = uc.show_case(svc, "auditor", a)["materials"][0]["sha256"]
    assert uc.show_case(svc, "auditor", twin)["materials"][0]["sha256"] == shared  # the same test report
    assert rows_of(world, a)["reminders"] > 0 and rows_of(world, a)["inbox"] > 0  # the minutes went out
    with world.app.engine.connect() as conn:
        raw = conn.execute(select(t.reminders.c.attachments).where(
            t.reminders.c.case_number == a, t.reminders.c.attachments.is_not(None))).scalars().all()
    own = {att["sha256"] for r in raw for att in json.loads(r)}  # the minutes' DOCX/PDF mailed for this case only
    assert own and all(blob_exists(world, sha) for sha in own)
    world.clock.set("2031-10-15T09:00:00+08:00")
    accounts.appraise(svc, "admin", a, "王主任", "保管期满，经鉴定同意销毁")
    history = uc.history(svc, "auditor", a)
    world.clock.set("2031-10-15T10:00:00+08:00")
    dry = accounts.purge(svc, "admin", [a], dry_run=True)
    assert [p["number"] for p in dry.purged] == [a] and dry.batch is None
    assert rows_of(world, a)["cases"] == 1

    result = accounts.purge(svc, "admin", [a])
    assert result.batch == "2031-001" and result.refused == []
    (tomb,) = result.purged
    assert rows_of(world, a) == {"cases": 0, "events": 0, "deadlines": 0, "reminders": 0, "inbox": 0}
    assert blob_exists(world, shared)  # the twin still uses it
    assert not any(blob_exists(world, sha) for sha in own)  # nobody else does
    assert tomb["number"] == a and tomb["product_name"] == "儿童电动滑板车" and tomb["outcome"] == "investigate"
    assert tomb["status"] == "archived" and tomb["approver"] == "王主任" and tomb["retention_until"] == "2031-10-14"
    assert tomb["final_event_hash"] == history[-1]["hash"] and tomb["events"] == len(history)
    assert tomb["purged_at"] == "2031-10-15T10:00:00+08:00" and tomb["purged_by"] == "admin"
    assert tomb["terminal_at"].startswith("2026-10-14T") and tomb["opened_at"].startswith("2026-09-24T")
    assert uc.verify_audit(svc, "auditor") == []
    assert uc.verify_audit(svc, "auditor", a) == []  # a purged case verifies as its tombstone
    with pytest.raises(Exception, match="does not exist"):
        uc.show_case(svc, "auditor", a)

    # the destruction list, from the tombstones (it can be drawn again at any time)
    rows = accounts.destruction_list(svc, "admin", "2031-001")
    files = write_destruction_list("2031-001", rows, world.app.settings.members, tmp_path)
    text = Path(files["csv"]).read_text(encoding="utf-8-sig")
    (line,) = list(csv.DictReader(io.StringIO(text)))
    assert (line["number"], line["approver"], line["retention_until"], line["outcome"]) == (
        a, "王主任", "2031-10-14", "investigate")
    from pypdf import PdfReader

    pdf = "".join(page.extract_text() for page in PdfReader(files["pdf"]).pages)
    assert "档案销毁清单" in pdf and a in pdf and "王主任" in pdf and "2031-10-14" in pdf

    # a second purge is a no-op
    before = db_state(world)
    again = accounts.purge(svc, "admin", [a])
    assert again.purged == [] and again.refused == [] and again.already[0]["batch"] == "2031-001"
    assert accounts.purge(svc, "admin").purged == []
    assert db_state(world) == before

    # the twin purged too: the shared test report stays while the withdrawn and the open case still use it
    world.clock.advance(minutes=5)
    accounts.appraise(svc, "admin", twin, "王主任", "同意销毁")
    second = accounts.purge(svc, "admin")
    assert [p["number"] for p in second.purged] == [twin] and second.batch == "2031-002"
    assert blob_exists(world, shared)
    assert [r["number"] for r in accounts.retention_list(svc, "auditor", purged=True)] == [a, twin]
    assert uc.verify_audit(svc, "auditor") == []


def test_a_tombstone_tampered_with_or_a_case_deleted_behind_the_back_is_named(world: World,
                                                                           closed: dict[str, str]) -> None:
    svc, a = world.svc, closed["archived"]
    world.clock.set("2031-10-15T09:00:00+08:00")
    accounts.appraise(svc, "admin", a, "王主任", "同意销毁")
    accounts.appraise(svc, "admin", closed["withdrawn"], "王主任", "同意销毁")
    result = accounts.purge(svc, "admin")
    assert {p["number"] for p in result.purged} == {a, closed["withdrawn"]}
    assert uc.verify_audit(svc, "auditor") == []
    with world.app.engine.begin() as conn:
        conn.execute(update(t.tombstones).where(t.tombstones.c.number == a).values(approver="李四"))
    found = uc.verify_audit(svc, "auditor")
    assert any(a in f and "content does not match its hash" in f for f in found), found
    with world.app.engine.begin() as conn:
        conn.execute(delete(t.tombstones).where(t.tombstones.c.number == a))
    found = uc.verify_audit(svc, "auditor")
    assert any(a in f and "neither a case nor a tombstone" in f for f in found), found
    assert any("previous hash does not match" in f for f in found), found
    # a whole case deleted without a purge is named too
    twin = closed["twin"]
    with world.app.engine.begin() as conn:
        for table, col in ((t.deadlines, t.deadlines.c.case_number), (t.events, t.events.c.case_number),
                           (t.cases, t.cases.c.number)):
            conn.execute(delete(table).where(col == twin))
    assert any(twin in f and "neither a case nor a tombstone" in f for f in uc.verify_audit(svc, "auditor"))


def test_a_purge_that_fails_half_way_leaves_the_case_whole(world: World, closed: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    svc, a = world.svc, closed["archived"]
    world.clock.set("2031-10-15T09:00:00+08:00")
    accounts.appraise(svc, "admin", a, "王主任", "同意销毁")
    before = db_state(world)

    def crash(self: SqlRetentionStore, row: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("power cut")

    monkeypatch.setattr(SqlRetentionStore, "add_tombstone", crash)
    with pytest.raises(RuntimeError):
        accounts.purge(svc, "admin", [a])
    assert db_state(world) == before  # the deletions were rolled back with the missing tombstone
    monkeypatch.undo()
    assert [p["number"] for p in accounts.purge(svc, "admin", [a]).purged] == [a]
    assert uc.verify_audit(svc, "auditor") == []


def test_the_migration_creates_the_tombstones_table_as_declared(world: World) -> None:
    columns = {c["name"] for c in inspect(world.app.engine).get_columns("tombstones")}
    assert columns == {c.name for c in t.tombstones.columns}
