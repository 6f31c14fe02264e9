"""The auditor's view over SQLite and PostgreSQL: a real database tampered with behind the application's back
(SQLAlchemy Core on app.engine), and `verify_audit` naming each problem by case and event; replay at past instants;
the exported chain."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import World, load_example, opinion, run_to
from sqlalchemy import delete, select, update

from storage import tables as t
from storage.chain import GENESIS, canonical_json, event_hash
from workflow import usecases as uc
from workflow.errors import NotFound

ev = t.events.c


def tamper(world: World, stmt: Any) -> None:
    with world.app.engine.begin() as conn:
        conn.execute(stmt)


def row(world: World, number: str, seq: int) -> dict[str, Any]:
    with world.app.engine.connect() as conn:
        return dict(conn.execute(select(t.events).where(ev.case_number == number, ev.seq == seq)).mappings().one())


def findings(world: World) -> list[str]:
    return uc.verify_audit(world.svc, "auditor")


def names(found: list[str], number: str, seq: int) -> list[str]:
    """The findings that name this case and this event."""
    pattern = re.compile(rf"\bevent {seq}\b")
    return [f for f in found if number in f and pattern.search(f)]


@pytest.fixture
def cases(world: World) -> dict[str, str]:
    """An archived case (17 events), and a bystander in convening that no finding may name."""
    archived = run_to(world, "archived")
    bystander = run_to(world, "convening")
    assert findings(world) == []
    return {"archived": archived, "bystander": bystander}


def assert_only_about(found: list[str], number: str, bystander: str) -> None:
    assert found, "the audit found nothing"
    assert all(number in f for f in found), found
    assert not any(bystander in f for f in found), found


# --- a clean database ---------------------------------------------------------------------------------------------


def test_clean_database_has_no_findings(world: World) -> None:
    svc = world.svc
    run_to(world, "archived")
    run_to(world, "drafted")
    withdrawn = run_to(world, "awaiting_experts")
    world.clock.advance(hours=1)
    uc.withdraw(svc, "sh", withdrawn, "撤回")
    attention = run_to(world, "continued_attention", opinions=[opinion("uncertain", 2, 3)] * 3)
    world.clock.advance(hours=1)
    uc.issue_minutes(svc, "js", attention)
    world.clock.advance(days=2)
    uc.track(svc, "sh", attention, "跟踪")
    world.clock.advance(days=2)
    uc.reopen(svc, "sh", attention, "重开")
    assert findings(world) == []
    assert len(uc.list_cases(svc, "auditor")) == 5
    for c in uc.list_cases(svc, "auditor"):
        assert uc.verify_audit(svc, "auditor", c["number"]) == []
    with pytest.raises(NotFound):
        uc.verify_audit(svc, "auditor", "YRD-2026-9999")


# --- edits ----------------------------------------------------------------------------------------------------


def test_edited_payload_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["archived"]
    original = row(world, n, 4)  # PanelFormed
    assert original["type"] == "PanelFormed"
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 4)
           .values(payload=original["payload"].replace(world.experts[2], world.experts[4])))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert any("edited" in f for f in names(found, n, 4)), found
    # Putting it back makes the audit clean again: the finding was about that edit only.
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 4).values(payload=original["payload"]))
    assert findings(world) == []


def test_edited_payload_that_keeps_the_same_meaning_is_still_named(world: World, cases: dict[str, str]) -> None:
    """Whitespace in the stored JSON changes nothing on replay, but the bytes are what the hash signs."""
    n = cases["archived"]
    original = row(world, n, 2)
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 2)
           .values(payload=original["payload"].replace(":", ": ")))
    found = findings(world)
    assert names(found, n, 2), found
    assert_only_about(found, n, cases["bystander"])


def test_edited_actor_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["archived"]
    assert row(world, n, 11)["actor"] == "js"  # CaseConvened
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 11).values(actor="sh"))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert any("edited" in f for f in names(found, n, 11)), found


@pytest.mark.parametrize("column", ["occurred_at", "recorded_at", "schema_version", "type"])
def test_edited_column_is_named(world: World, cases: dict[str, str], column: str) -> None:
    n = cases["archived"]
    original = row(world, n, 8)  # the second AnalysisRecorded
    changed: dict[str, Any] = {
        "occurred_at": original["occurred_at"] + timedelta(seconds=1),
        "recorded_at": original["recorded_at"] - timedelta(days=1),
        "schema_version": original["schema_version"] + 1,
        "type": "OpinionRecorded",
    }
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 8).values({column: changed[column]}))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert names(found, n, 8), found


def test_edited_payload_with_its_hash_recomputed_is_named_at_the_next_event(world: World,
                                                                             cases: dict[str, str]) -> None:
    """A forger who re-hashes the edited event still breaks the link from the event after it."""
    n = cases["archived"]
    r = row(world, n, 10)  # CaseReferred
    payload = json.loads(r["payload"])
    payload["reason"] = "伪造的理由"
    text = canonical_json(payload)
    forged = event_hash(case_number=n, seq=10, type_=r["type"], schema_version=r["schema_version"], actor=r["actor"],
                        occurred_at=r["occurred_at"], recorded_at=r["recorded_at"], payload=text,
                        prev_hash=r["prev_hash"])
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == 10).values(payload=text, hash=forged))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert any("previous hash" in f for f in names(found, n, 11)), found


# --- deletions and reordering ----------------------------------------------------------------------------------


def test_deleted_middle_event_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["archived"]
    tamper(world, delete(t.events).where(ev.case_number == n, ev.seq == 7))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert any("missing" in f for f in names(found, n, 7)), found


def test_deleted_first_event_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["archived"]
    tamper(world, delete(t.events).where(ev.case_number == n, ev.seq == 1))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert names(found, n, 1), found


def test_deleted_last_event_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["archived"]
    last = uc.show_case(world.svc, "auditor", n)["version"]
    assert row(world, n, last)["type"] == "CaseArchived"
    tamper(world, delete(t.events).where(ev.case_number == n, ev.seq == last))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert names(found, n, last), found


def test_deleted_last_event_of_a_young_case_is_named(world: World, cases: dict[str, str]) -> None:
    n = cases["bystander"]  # convening, 10 events
    tamper(world, delete(t.events).where(ev.case_number == n, ev.seq == 10))
    found = findings(world)
    assert_only_about(found, n, cases["archived"])
    assert names(found, n, 10), found


@pytest.mark.parametrize(("a", "b"), [(7, 8), (2, 3), (16, 17)])
def test_two_swapped_events_are_named(world: World, cases: dict[str, str], a: int, b: int) -> None:
    n = cases["archived"]
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == a).values(seq=-1))
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == b).values(seq=a))
    tamper(world, update(t.events).where(ev.case_number == n, ev.seq == -1).values(seq=b))
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    assert names(found, n, a), found
    assert names(found, n, b), found


# --- the case row -------------------------------------------------------------------------------------------------


def _doctor_snapshot(world: World, number: str, change: Callable[[dict[str, Any]], None]) -> None:
    with world.app.engine.connect() as conn:
        snap = json.loads(conn.execute(select(t.cases.c.snapshot).where(t.cases.c.number == number)).scalar_one())
    change(snap)
    tamper(world, update(t.cases).where(t.cases.c.number == number).values(snapshot=canonical_json(snap)))


@pytest.mark.parametrize(("field", "change"), [
    ("status", lambda s: s.update(status="decided")),
    ("outcome", lambda s: s.update(outcome="no_investigation")),
    ("conclusions.defect", lambda s: s["conclusions"].update(defect="no")),
    ("panel", lambda s: s["panel"].reverse()),
    ("deadlines", lambda s: s["deadlines"][0].update(due_at="2026-10-20T16:00:00+00:00")),
])
def test_doctored_case_snapshot_differs_from_its_replay(world: World, cases: dict[str, str], field: str,
                                                       change: Callable[[dict[str, Any]], None]) -> None:
    n = cases["archived"]
    last = uc.show_case(world.svc, "auditor", n)["version"]
    _doctor_snapshot(world, n, change)
    found = findings(world)
    assert_only_about(found, n, cases["bystander"])
    hits = names(found, n, last)
    assert any(field.split(".")[0] in f for f in hits), found


# --- replay at past instants --------------------------------------------------------------------------------------


def test_replay_at_instants_between_events_shows_the_earlier_states(world: World) -> None:
    """Drive a case step by step, keeping what `show_case` said at each step's instant; replay at that instant, and
    at any instant before the next event, gives the same case."""
    svc, ex, clk = world.svc, world.experts, world.clock
    shown: list[tuple[str, dict[str, Any]]] = []

    def at(when: str, fn: Callable[[], Any]) -> None:
        clk.set(when)
        fn()
        shown.append((when, uc.show_case(svc, "auditor", number)))

    clk.set("2026-09-24T10:00:00+08:00")
    number = uc.new_case(svc, "sh", load_example("case.yaml")).number
    shown.append(("2026-09-24T10:00:00+08:00", uc.show_case(svc, "auditor", number)))
    at("2026-09-24T10:04:00+08:00", lambda: uc.verify(svc, "sh", number, "核实"))  # Art. 7: before applying
    at("2026-09-24T10:05:00+08:00", lambda: uc.submit(svc, "sh", number))
    at("2026-09-28T09:30:00+08:00", lambda: uc.form_panel(svc, "sh", number, ex[:3]))
    at("2026-09-28T09:40:00+08:00", lambda: uc.attach(svc, "sh", number, "r.txt", b"report", "test_report"))
    at("2026-09-29T10:00:00+08:00", lambda: uc.dispatch(svc, "sh", number))
    for i, e in enumerate(ex[:3], start=1):
        at(f"2026-10-08T16:0{i}:00+08:00", lambda i=i, e=e: uc.record_analysis(svc, f"x{i}", number, e, "分析"))
    at("2026-10-09T09:00:00+08:00", lambda: uc.refer(svc, "sh", number))
    at("2026-10-09T10:00:00+08:00", lambda: uc.schedule_meeting(  # Art. 8(4): convening needs a meeting
        svc, "js", number, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议"))
    at("2026-10-14T14:00:00+08:00", lambda: uc.convene(svc, "js", number))
    for i, e in enumerate(ex[:3], start=1):
        at(f"2026-10-14T15:0{i}:00+08:00", lambda i=i, e=e: uc.record_opinion(svc, f"x{i}", number, e, opinion()))
    at("2026-10-14T16:00:00+08:00", lambda: uc.decide(svc, "js", number))
    at("2026-10-15T10:00:00+08:00", lambda: uc.issue_minutes(svc, "js", number))
    at("2026-10-16T10:00:00+08:00", lambda: uc.archive(svc, "js", number))
    clk.set("2026-11-01T10:00:00+08:00")

    before = [e["seq"] for e in uc.history(svc, "auditor", number)]
    for when, then in shown:
        instant = datetime.fromisoformat(when)
        replayed = uc.replay_at(svc, "auditor", number, instant)
        assert replayed == then, when
        # One second later nothing has happened yet, except that the reader's instant moved.
        later = uc.replay_at(svc, "auditor", number, instant + timedelta(seconds=1))
        assert (later["status"], later["version"]) == (then["status"], then["version"]), when
    assert [s["status"] for _, s in shown] == [
        "drafted", "drafted", "preliminary_review", "preliminary_review", "preliminary_review",
        "awaiting_experts", "awaiting_experts", "awaiting_experts", "awaiting_experts", "convening", "convening",
        "convened",
        "convened", "convened", "convened", "decided", "decided", "archived"]
    # Issuing the minutes mails them to the other institutions' liaisons; each delivery is an event of its own.
    events = uc.history(svc, "auditor", number)
    deliveries = sum(1 for e in events if e["type"] == "DeliveryRecorded")
    assert deliveries >= 1
    versions = [s["version"] for _, s in shown]
    assert versions == [*range(1, 17), 17 + deliveries, 18 + deliveries]

    mid = uc.replay_at(svc, "auditor", number, datetime.fromisoformat("2026-10-09T12:00:00+08:00"))
    assert (mid["status"], mid["version"], mid["lead"]) == ("convening", 11, "JS")  # referred, then scheduled
    assert [(d["kind"], d["status"]) for d in mid["deadlines"]] == [("expert_analysis", "met"), ("convening", "armed")]
    # T2 ran out at 2026-10-16 00:00: a replay at an instant after that (had it not been convened) shows it overdue;
    # here it was convened on the 14th, so a replay on the 13th shows it armed and not yet overdue.
    d13 = uc.replay_at(svc, "auditor", number, datetime.fromisoformat("2026-10-13T12:00:00+08:00"))
    assert d13["status"] == "convening" and d13["deadlines"][1]["overdue"] is False
    assert uc.replay_at(svc, "auditor", number, None)["status"] == "archived"
    with pytest.raises(NotFound):
        uc.replay_at(svc, "auditor", number, datetime.fromisoformat("2026-09-24T09:59:59+08:00"))
    assert [e["seq"] for e in uc.history(svc, "auditor", number)] == before  # replay writes nothing


def test_replay_shows_an_open_timer_overdue_after_its_due_instant(world: World) -> None:
    n = run_to(world, "awaiting_experts")  # T1 due 2026-10-10 00:00 Beijing time
    world.clock.set("2026-10-12T09:00:00+08:00")
    before = uc.replay_at(world.svc, "auditor", n, datetime.fromisoformat("2026-10-09T23:59:59+08:00"))
    after = uc.replay_at(world.svc, "auditor", n, datetime.fromisoformat("2026-10-10T00:00:00+08:00"))
    assert before["deadlines"][0]["overdue"] is False and after["deadlines"][0]["overdue"] is True
    assert before["version"] == after["version"]


# --- the exported chain ---------------------------------------------------------------------------------------


def test_export_events_is_a_hash_chain(world: World) -> None:
    n = run_to(world, "archived")
    exported = uc.export_events(world.svc, "auditor", n)
    assert exported == uc.history(world.svc, "auditor", n)
    assert [e["seq"] for e in exported] == list(range(1, len(exported) + 1))
    assert exported[0]["prev_hash"] == GENESIS
    for prev, cur in zip(exported, exported[1:], strict=False):
        assert cur["prev_hash"] == prev["hash"], cur["seq"]
    keyring = world.app.services.uow.keyring  # type: ignore[attr-defined]
    for e in exported:
        assert e["key_id"] == keyring.current_id  # new events are keyed: only the audit key's holder recomputes
        recomputed = event_hash(
            case_number=e["case"], seq=e["seq"], type_=e["type"], schema_version=e["schema_version"],
            actor=e["actor"], occurred_at=datetime.fromisoformat(e["occurred_at"]),
            recorded_at=datetime.fromisoformat(e["recorded_at"]), payload=canonical_json(e["payload"]),
            prev_hash=e["prev_hash"], key=keyring.secret(e["key_id"]))
        assert recomputed == e["hash"], e["seq"]
    assert len({e["hash"] for e in exported}) == len(exported)
    with world.app.engine.connect() as conn:
        last_hash = conn.execute(select(t.cases.c.last_hash).where(t.cases.c.number == n)).scalar_one()
    assert exported[-1]["hash"] == last_hash
    # Chains of different cases are independent: each starts from the genesis hash.
    other = run_to(world, "drafted")
    assert uc.export_events(world.svc, "auditor", other)[0]["prev_hash"] == GENESIS
    with pytest.raises(NotFound):
        uc.export_events(world.svc, "auditor", "YRD-2026-9999")


@pytest.mark.parametrize(("column", "value"), [
    ("status", "archived"),      # `case list --status` filters on this column
    ("lead", "AH"),              # reminders for T2 go to the lead named by this column
    ("outcome", "investigate"),
    ("version", 9),
    ("last_hash", "f" * 64),
])
def test_doctored_case_row_column_is_named(world: World, cases: dict[str, str], column: str, value: Any) -> None:
    """The case row is more than its snapshot: its indexed columns are what lists and reminders read, so a replay
    that disagrees with them is a finding too."""
    n = cases["bystander"]  # convening, lead JS, no outcome, version 10
    tamper(world, update(t.cases).where(t.cases.c.number == n).values({column: value}))
    found = findings(world)
    assert_only_about(found, n, cases["archived"])
    assert any(re.search(r"\bevent \d+\b", f) for f in found), found
