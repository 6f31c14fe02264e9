"""The case lifecycle through the use cases, over SQLite and PostgreSQL: drafted → archived, continued attention
(track, conclude, reopen), withdraw from each state that allows it, the shape of `case show`, the deadline rows,
and refusals that write nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from conftest import World, load_example, opinion, run_to
from sqlalchemy import select

from states.errors import Conflict, GuardFailed, InvalidInput, InvalidTransition
from storage import tables as t
from workflow import usecases as uc
from workflow.errors import NotFound, NotPermitted

DEADLINE_COLUMNS = ("id", "kind", "start_at", "working_days", "due_at", "due_date", "calendar_version",
                    "provisional", "status", "explanation", "resolved_at", "supersedes")
INSTANT_COLUMNS = ("start_at", "due_at", "resolved_at")


# --- helpers --------------------------------------------------------------------------------------------------


def db_state(world: World) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the tables a case command may write, as comparable tuples."""
    out: dict[str, list[tuple[str, ...]]] = {}
    with world.app.engine.connect() as conn:
        for table in (t.events, t.cases, t.deadlines, t.counters, t.blobs, t.users, t.experts):
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(repr(v) for v in row) for row in rows)
    return out


def event_count(world: World) -> int:
    with world.app.engine.connect() as conn:
        return len(conn.execute(select(t.events.c.id)).all())


def deadline_rows(world: World, number: str) -> list[dict[str, Any]]:
    with world.app.engine.connect() as conn:
        rows = conn.execute(
            select(t.deadlines).where(t.deadlines.c.case_number == number).order_by(t.deadlines.c.id)
        ).mappings()
        return [dict(r) for r in rows]


def assert_deadline_rows_match(world: World, number: str) -> list[dict[str, Any]]:
    """The deadlines table holds exactly the case's deadlines, field for field."""
    shown = uc.show_case(world.svc, "auditor", number)["deadlines"]
    rows = deadline_rows(world, number)
    assert [r["id"] for r in rows] == sorted(d["id"] for d in shown)
    by_id = {d["id"]: d for d in shown}
    for row in rows:
        d = by_id[row["id"]]
        assert row["case_number"] == number
        for col in DEADLINE_COLUMNS:
            want = d[col]
            if col in INSTANT_COLUMNS and want is not None:
                want = datetime.fromisoformat(want)
            assert row[col] == want, (row["id"], col, row[col], want)
    return shown


def types_of(world: World, number: str) -> list[str]:
    return [e["type"] for e in uc.history(world.svc, "auditor", number) if e["type"] != "DeliveryRecorded"]


def step(world: World, number: str, at: str | None, fn: Callable[[], Any], status: str) -> dict[str, Any]:
    """Run one command at an instant, then check: status, version +1 (one event), deadline rows in step."""
    before = uc.show_case(world.svc, "auditor", number)["version"]
    if at:
        world.clock.set(at)
    fn()
    shown = uc.show_case(world.svc, "auditor", number)
    assert shown["status"] == status
    assert shown["version"] == before + 1
    assert_deadline_rows_match(world, number)
    return shown


# --- the whole lifecycle ----------------------------------------------------------------------------------------


def test_whole_lifecycle_drafted_to_archived(world: World) -> None:
    svc, ex = world.svc, world.experts
    world.clock.set("2026-09-24T10:00:00+08:00")
    case = uc.new_case(svc, "sh", load_example("case.yaml"))
    n = case.number
    assert n == "YRD-2026-0001"
    shown = uc.show_case(svc, "sh", n)
    assert (shown["status"], shown["version"], shown["applicant"], shown["lead"]) == ("drafted", 1, "SH", None)
    assert shown["cross_province"] is True and shown["deadlines"] == [] and shown["outcome"] is None
    assert deadline_rows(world, n) == []

    # Art. 7: the preliminary verification before the application.
    step(world, n, "2026-09-24T10:04:00+08:00", lambda: uc.verify(svc, "sh", n, "核实无误"), "drafted")
    shown = step(world, n, "2026-09-24T10:05:00+08:00", lambda: uc.submit(svc, "sh", n), "preliminary_review")
    assert shown["lead"] == "JS"
    assert shown["submitted_at"] and datetime.fromisoformat(shown["submitted_at"]) == world.clock.now()
    shown = step(world, n, "2026-09-28T09:30:00+08:00", lambda: uc.form_panel(svc, "sh", n, ex[:3]),
                 "preliminary_review")
    assert shown["panel"] == ex[:3]
    shown = step(world, n, "2026-09-28T09:40:00+08:00",
                 lambda: uc.attach(svc, "sh", n, "report.txt", b"test report", "test_report"), "preliminary_review")
    assert [(m["filename"], m["kind"], m["size"]) for m in shown["materials"]] == [("report.txt", "test_report", 11)]

    # T1: 3 working days from the dispatch, across the National Day holiday.
    shown = step(world, n, "2026-09-29T10:00:00+08:00", lambda: uc.dispatch(svc, "sh", n), "awaiting_experts")
    (t1,) = shown["deadlines"]
    assert (t1["kind"], t1["status"], t1["working_days"], t1["provisional"], t1["overdue"]) == (
        "expert_analysis", "armed", 3, False, False)
    assert t1["due_at"] == "2026-10-10T00:00:00+08:00" and t1["due_date"] == "2026-10-09"
    for i, e in enumerate(ex[:3], start=1):
        world.clock.advance(minutes=1)
        step(world, n, None, lambda i=i, e=e: uc.record_analysis(svc, f"x{i}", n, e, "分析意见"), "awaiting_experts")

    # `overdue` is computed at the reader's instant; reading changes nothing.
    world.clock.set("2026-10-09T23:59:59+08:00")
    assert uc.show_case(svc, "sh", n)["deadlines"][0]["overdue"] is False
    world.clock.set("2026-10-10T00:00:00+08:00")
    assert uc.show_case(svc, "sh", n)["deadlines"][0]["overdue"] is True

    shown = step(world, n, "2026-10-09T09:00:00+08:00", lambda: uc.refer(svc, "sh", n), "convening")
    t1, t2 = shown["deadlines"]
    assert (t1["status"], t1["overdue"], t1["resolved_at"]) == ("met", False, "2026-10-09T09:00:00+08:00")
    assert (t2["kind"], t2["status"], t2["working_days"], t2["due_at"]) == (
        "convening", "armed", 5, "2026-10-16T00:00:00+08:00")

    step(world, n, "2026-10-09T10:00:00+08:00", lambda: uc.schedule_meeting(  # Art. 8(4): a meeting first
        svc, "js", n, datetime.fromisoformat("2026-10-14T14:00:00+08:00"), "腾讯会议"), "convening")
    shown = step(world, n, "2026-10-14T14:00:00+08:00", lambda: uc.convene(svc, "js", n), "convened")
    assert [d["status"] for d in shown["deadlines"]] == ["met", "met"]
    assert shown["convened_at"] is not None
    for i, e in enumerate(ex[:3], start=1):
        world.clock.advance(minutes=1)
        step(world, n, None, lambda i=i, e=e: uc.record_opinion(svc, f"x{i}", n, e, opinion()), "convened")
    shown = step(world, n, "2026-10-14T16:00:00+08:00", lambda: uc.decide(svc, "js", n), "decided")
    assert shown["outcome"] == "investigate"
    assert shown["conclusions"] == {"defect": "yes", "investigate": True, "attention": False}
    assert shown["tally"]["forms"] == 3 and shown["tally"]["defect"] == {"yes": 3, "no": 0, "uncertain": 0}
    assert len(shown["deadlines"]) == 2  # no tracking timer for a decided case

    world.clock.set("2026-10-15T10:00:00+08:00")
    uc.issue_minutes(svc, "js", n)
    shown = uc.show_case(svc, "auditor", n)
    assert shown["status"] == "decided" and shown["minutes"]["cc"] == ["SH", "ZJ", "AH"]
    assert shown["minutes"]["host"] == "JS" and shown["minutes"]["decision"] == "investigate"
    assert shown["minutes"]["issued_by"] == "js"
    world.clock.set("2026-10-16T10:00:00+08:00")
    uc.archive(svc, "js", n)
    shown = uc.show_case(svc, "auditor", n)
    assert shown["status"] == "archived" and shown["outcome"] == "investigate"
    assert datetime.fromisoformat(shown["closed_at"]) == world.clock.now()
    assert_deadline_rows_match(world, n)

    assert types_of(world, n) == [
        "CaseOpened", "VerificationRecorded", "CaseSubmitted", "PanelFormed", "MaterialAttached",
        "MaterialsDispatched", "AnalysisRecorded", "AnalysisRecorded", "AnalysisRecorded", "CaseReferred",
        "MeetingScheduled", "CaseConvened", "OpinionRecorded", "OpinionRecorded", "OpinionRecorded", "CaseDecided", "MinutesIssued",
        "CaseArchived",
    ]
    history = uc.history(svc, "auditor", n)
    assert len(history) == shown["version"] and [e["seq"] for e in history] == list(range(1, len(history) + 1))
    # Archived is read-only.
    with pytest.raises(InvalidTransition):
        uc.attach(svc, "sh", n, "late.txt", b"late", "other")
    with pytest.raises(InvalidTransition):
        uc.withdraw(svc, "sh", n, "太晚了")
    assert uc.verify_audit(svc, "auditor") == []


# --- continued attention ------------------------------------------------------------------------------------------


UNSURE = opinion("uncertain", 2, 3, public_opinion_risk=True)


def test_continued_attention_track_then_conclude(world: World) -> None:
    svc = world.svc
    n = run_to(world, "continued_attention", opinions=[UNSURE] * 3)
    shown = uc.show_case(svc, "sh", n)
    assert shown["status"] == "continued_attention" and shown["outcome"] == "continued_attention"
    assert shown["conclusions"] == {"defect": "uncertain", "investigate": False, "attention": True}
    tracking = shown["deadlines"][-1]
    assert (tracking["kind"], tracking["status"], tracking["working_days"], tracking["overdue"]) == (
        "tracking", "armed", 20, False)
    assert datetime.fromisoformat(tracking["start_at"]) == datetime.fromisoformat(shown["decided_at"])
    assert_deadline_rows_match(world, n)

    # Closing needs the minutes, and a reason; a decided-state archive does not apply here.
    world.clock.advance(minutes=30)
    with pytest.raises(GuardFailed, match="minutes"):
        uc.conclude(svc, "sh", n, "跟踪结束")
    with pytest.raises(InvalidTransition):
        uc.archive(svc, "js", n)
    world.clock.advance(hours=1)
    uc.issue_minutes(svc, "js", n)
    assert uc.show_case(svc, "sh", n)["minutes"]["decision"] == "continued_attention"

    world.clock.advance(days=5)
    shown = step(world, n, None, lambda: uc.track(svc, "sh", n, "企业已提交整改方案"), "continued_attention")
    first, second = shown["deadlines"][-2:]
    assert (first["kind"], first["status"]) == ("tracking", "met")
    assert (second["kind"], second["status"], second["working_days"]) == ("tracking", "armed", 20)
    assert shown["tracking"][-1]["note"] == "企业已提交整改方案" and shown["tracking"][-1]["by"] == "sh"
    with pytest.raises(InvalidInput):
        uc.track(svc, "sh", n, "   ")

    world.clock.advance(days=5)
    with pytest.raises(GuardFailed, match="reason"):
        uc.conclude(svc, "sh", n, "  ")
    shown = step(world, n, None, lambda: uc.conclude(svc, "sh", n, "跟踪结束，企业已召回"), "archived")
    assert shown["closing_reason"] == "跟踪结束，企业已召回" and shown["outcome"] == "continued_attention"
    assert [d["status"] for d in shown["deadlines"] if d["kind"] == "tracking"] == ["met", "met"]
    assert not any(d["status"] == "armed" for d in shown["deadlines"])
    assert types_of(world, n)[-4:] == ["CaseDecided", "MinutesIssued", "TrackingNoted", "CaseConcluded"]
    assert uc.verify_audit(svc, "auditor") == []


def test_defect_uncertain_without_a_majority_ends_in_continued_attention(world: World) -> None:
    """Two forms out of three (one absent): one investigate cell, one attention cell — no strict majority for
    either; the defect vote is uncertain, so the panel's opinion is continued attention."""
    svc, ex = world.svc, world.experts
    n = run_to(world, "convened")
    world.clock.advance(minutes=1)
    uc.record_opinion(svc, "x1", n, ex[0], opinion("uncertain", 4, 8))
    world.clock.advance(minutes=1)
    uc.record_opinion(svc, "x2", n, ex[1], opinion("uncertain", 2, 3))
    with pytest.raises(GuardFailed, match=ex[2]):
        uc.decide(svc, "js", n)
    world.clock.advance(minutes=1)
    uc.record_absence(svc, "js", n, ex[2], "出差")
    world.clock.advance(minutes=1)
    uc.decide(svc, "js", n)
    shown = uc.show_case(svc, "auditor", n)
    assert shown["status"] == "continued_attention" and shown["outcome"] == "continued_attention"
    assert shown["conclusions"] == {"defect": "uncertain", "investigate": False, "attention": False}
    assert shown["absences"] == {ex[2]: "出差"}
    assert shown["deadlines"][-1]["kind"] == "tracking"
    assert_deadline_rows_match(world, n)


def test_reopen_creates_a_linked_drafted_case_with_the_same_product_data(world: World) -> None:
    svc = world.svc
    n = run_to(world, "continued_attention", opinions=[UNSURE] * 3)
    world.clock.advance(hours=1)
    with pytest.raises(GuardFailed, match="minutes"):
        uc.reopen(svc, "sh", n, "出现新伤害报告")
    uc.issue_minutes(svc, "js", n)
    world.clock.advance(days=2)
    before = db_state(world)
    with pytest.raises(GuardFailed, match="reason"):
        uc.reopen(svc, "sh", n, "")
    assert db_state(world) == before  # the new case number was not consumed either

    old_shown = uc.show_case(svc, "sh", n)
    world.clock.advance(days=1)
    old, new = uc.reopen(svc, "sh", n, "出现新伤害报告")
    assert new.number == "YRD-2026-0002"
    assert old.status == "archived" and old.linked_to == new.number and old.closing_reason == "出现新伤害报告"
    after_old = uc.show_case(svc, "auditor", n)
    assert after_old["status"] == "archived" and after_old["linked_to"] == new.number
    assert [d["status"] for d in after_old["deadlines"] if d["kind"] == "tracking"] == ["met"]
    assert_deadline_rows_match(world, n)

    fresh = uc.show_case(svc, "sh", new.number)
    assert fresh["status"] == "drafted" and fresh["version"] == 1
    assert fresh["linked_from"] == n and fresh["linked_to"] is None
    assert fresh["applicant"] == "SH" and fresh["lead"] is None
    for key in ("product", "sources", "source_other", "basis", "cross_province"):
        assert fresh[key] == old_shown[key], key
    assert fresh["panel"] == [] and fresh["opinions"] == {} and fresh["deadlines"] == []
    assert deadline_rows(world, new.number) == []
    (opened,) = uc.history(svc, "auditor", new.number)
    assert opened["type"] == "CaseOpened" and opened["actor"] == "sh" and opened["payload"]["linked_from"] == n
    assert types_of(world, n)[-1] == "CaseReopened"

    # The new case is a complete draft: verified (Art. 7), it can be submitted as it is.
    world.clock.advance(minutes=5)
    uc.verify(svc, "sh", new.number, "重新核实")
    assert uc.submit(svc, "sh", new.number).status == "preliminary_review"
    assert uc.verify_audit(svc, "auditor") == []


# --- withdraw --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["drafted", "preliminary_review", "awaiting_experts"])
def test_withdraw_from_each_allowed_state(world: World, state: str) -> None:
    svc = world.svc
    n = run_to(world, state)
    armed_before = [d["id"] for d in uc.show_case(svc, "sh", n)["deadlines"] if d["status"] == "armed"]
    assert armed_before == ([f"{n}/D1"] if state == "awaiting_experts" else [])
    world.clock.advance(hours=1)
    before = db_state(world)
    with pytest.raises(GuardFailed, match="reason"):
        uc.withdraw(svc, "sh", n, "  ")
    # JS does not see SH's draft: it answers as a missing case (issue 15); later JS sees it but may not withdraw.
    with pytest.raises(NotFound if state == "drafted" else NotPermitted):
        uc.withdraw(svc, "js", n, "牵头机构撤回")
    assert db_state(world) == before

    shown = step(world, n, None, lambda: uc.withdraw(svc, "sh", n, "企业已主动召回"), "withdrawn")
    assert shown["closing_reason"] == "企业已主动召回"
    assert datetime.fromisoformat(shown["closed_at"]) == world.clock.now()
    assert all(d["status"] == "cancelled" for d in shown["deadlines"])
    assert all(d["resolved_at"] for d in shown["deadlines"])
    assert types_of(world, n)[-1] == "CaseWithdrawn"

    # Terminal: nothing moves it any more; withdrawing again is "someone already did this".
    with pytest.raises(Conflict):
        uc.withdraw(svc, "sh", n, "再次撤回")
    with pytest.raises(InvalidTransition):
        uc.attach(svc, "sh", n, "x.txt", b"x", "other")
    with pytest.raises(InvalidTransition):
        uc.submit(svc, "sh", n)
    assert uc.verify_audit(svc, "auditor") == []


@pytest.mark.parametrize("state", ["convening", "convened", "decided", "continued_attention", "archived"])
def test_withdraw_is_refused_after_the_referral(world: World, state: str) -> None:
    ops = [UNSURE] * 3 if state == "continued_attention" else None
    n = run_to(world, state, opinions=ops)
    before = db_state(world)
    world.clock.advance(hours=1)
    with pytest.raises(InvalidTransition):
        uc.withdraw(world.svc, "sh", n, "想撤回")
    assert db_state(world) == before


# --- what `case show` looks like --------------------------------------------------------------------------------


def test_show_case_shape(world: World) -> None:
    n = run_to(world, "convening")
    shown = uc.show_case(world.svc, "sh", n)
    for key in ("number", "status", "outcome", "applicant", "lead", "panel", "conclusions", "deadlines", "version"):
        assert key in shown, key
    assert shown["number"] == n and isinstance(shown["version"], int) and shown["version"] == 11
    assert shown["status"] == "convening" and shown["outcome"] is None and shown["conclusions"] is None
    assert (shown["applicant"], shown["lead"]) == ("SH", "JS")
    assert shown["panel"] == world.experts[:3]
    assert len(shown["deadlines"]) == 2
    for d in shown["deadlines"]:
        for key in ("kind", "due_at", "provisional", "overdue", "status"):
            assert key in d, key
        assert d["kind"] in ("expert_analysis", "convening", "tracking")
        assert isinstance(d["provisional"], bool) and isinstance(d["overdue"], bool)
        assert d["status"] in ("armed", "met", "missed", "cancelled", "superseded")
        assert datetime.fromisoformat(d["due_at"]).utcoffset().total_seconds() == 8 * 3600  # Beijing time
    assert [d["kind"] for d in shown["deadlines"]] == ["expert_analysis", "convening"]
    # Past T2's due instant, the open timer shows as overdue; the met one never does.
    world.clock.set("2026-10-16T00:00:00+08:00")
    late = uc.show_case(world.svc, "js", n)["deadlines"]
    assert [(d["status"], d["overdue"]) for d in late] == [("met", False), ("armed", True)]
    listed = uc.list_cases(world.svc, "js")
    assert [c["number"] for c in listed] == [n] and listed[0]["deadlines"][1]["overdue"] is True


def test_deadline_rows_follow_the_case_through_every_state(world: World) -> None:
    svc = world.svc
    n = run_to(world, "continued_attention", opinions=[UNSURE] * 3)
    shown = assert_deadline_rows_match(world, n)
    assert [(d["kind"], d["status"]) for d in shown] == [
        ("expert_analysis", "met"), ("convening", "met"), ("tracking", "armed")]
    world.clock.advance(hours=1)
    uc.issue_minutes(svc, "js", n)
    for note in ("第一次跟踪", "第二次跟踪"):
        world.clock.advance(days=3)
        uc.track(svc, "sh", n, note)
        assert_deadline_rows_match(world, n)
    rows = deadline_rows(world, n)
    assert [(r["kind"], r["status"]) for r in rows] == [
        ("expert_analysis", "met"), ("convening", "met"), ("tracking", "met"), ("tracking", "met"),
        ("tracking", "armed")]
    assert all(r["due_at"].tzinfo is not None for r in rows)
    world.clock.advance(days=1)
    uc.conclude(svc, "sh", n, "结束")
    assert [r["status"] for r in deadline_rows(world, n)] == ["met"] * 5
    assert_deadline_rows_match(world, n)


# --- refusals write nothing ---------------------------------------------------------------------------------


def _bad_opinion() -> dict[str, Any]:
    op = opinion()
    op["severity"], op["likelihood"] = 5, 0
    return op


Refusal = tuple[str, str, type[Exception], Callable[[World, str], Any]]
# (label, state the case is in, the error, the command). Each command is refused and must write nothing.
REFUSALS: list[Refusal] = [
    ("wrong state: decide while convening", "convening", InvalidTransition, lambda w, n: uc.decide(w.svc, "js", n)),
    ("wrong state: dispatch while convening", "convening", InvalidTransition,
     lambda w, n: uc.dispatch(w.svc, "sh", n)),
    ("wrong state: record an opinion before the meeting", "convening", InvalidTransition,
     lambda w, n: uc.record_opinion(w.svc, "x1", n, w.experts[0], opinion())),
    ("wrong state: panel after dispatch", "awaiting_experts", InvalidTransition,
     lambda w, n: uc.form_panel(w.svc, "sh", n, w.experts[:3])),
    ("wrong state: attach to a decided case (blob rolled back)", "decided", InvalidTransition,
     lambda w, n: uc.attach(w.svc, "sh", n, "new.txt", b"brand new bytes", "other")),
    ("guard: archive before the minutes", "decided", GuardFailed, lambda w, n: uc.archive(w.svc, "js", n)),
    ("guard: decide with no forms", "convened", GuardFailed, lambda w, n: uc.decide(w.svc, "js", n)),
    ("guard: refer with analyses missing", "awaiting_experts", GuardFailed, lambda w, n: uc.refer(w.svc, "sh", n)),
    ("guard: submit a draft without a basis", "drafted-no-basis", GuardFailed,
     lambda w, n: uc.submit(w.svc, "sh", n)),
    ("guard: panel of two", "preliminary_review", GuardFailed,
     lambda w, n: uc.form_panel(w.svc, "sh", n, w.experts[:2])),
    ("bad input: severity 5, likelihood 0", "convened", InvalidInput,
     lambda w, n: uc.record_opinion(w.svc, "x1", n, w.experts[0], _bad_opinion())),
    ("bad input: empty verification note", "preliminary_review", InvalidInput,
     lambda w, n: uc.verify(w.svc, "sh", n, "   ")),
    ("bad input: unknown expert on the panel", "preliminary_review", InvalidInput,
     lambda w, n: uc.form_panel(w.svc, "sh", n, [w.experts[0], w.experts[1], "E9999"])),
    ("bad input: material kind", "preliminary_review", InvalidInput,
     lambda w, n: uc.attach(w.svc, "sh", n, "r.txt", b"data", "photo")),
    ("bad input: material too big", "preliminary_review", InvalidInput,
     lambda w, n: uc.attach(w.svc, "sh", n, "r.txt", b"x" * (w.svc.max_material_bytes + 1), "other")),
    ("bad input: absence without a reason", "convened", InvalidInput,
     lambda w, n: uc.record_absence(w.svc, "js", n, w.experts[2], " ")),
    ("not permitted: applicant convenes", "convening", NotPermitted, lambda w, n: uc.convene(w.svc, "sh", n)),
    ("not permitted: auditor attaches", "preliminary_review", NotPermitted,
     lambda w, n: uc.attach(w.svc, "auditor", n, "r.txt", b"auditor bytes", "other")),
    ("not permitted: expert for another expert", "convened", NotPermitted,
     lambda w, n: uc.record_opinion(w.svc, "x1", n, w.experts[1], opinion())),
    # Another institution does not see SH's draft: it answers as a missing case (issue 15).
    ("hidden: other institution submits", "drafted", NotFound, lambda w, n: uc.submit(w.svc, "zj", n)),
    ("not permitted: unknown user", "drafted", NotPermitted, lambda w, n: uc.submit(w.svc, "nobody", n)),
    ("not found", "drafted", NotFound, lambda w, n: uc.submit(w.svc, "sh", "YRD-2026-9999")),
]


def _prepare(world: World, state: str) -> str:
    if state == "drafted-no-basis":
        data = load_example("case.yaml")
        data["product"]["production_province"] = data["product"]["registered_province"]
        world.clock.set("2026-09-24T10:00:00+08:00")
        return uc.new_case(world.svc, "sh", data).number
    return run_to(world, state)


@pytest.mark.parametrize(("label", "state", "error", "command"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_command_writes_nothing(world: World, label: str, state: str, error: type[Exception],
                                          command: Callable[[World, str], Any]) -> None:
    n = _prepare(world, state)
    world.clock.advance(hours=1)
    count, snap, rows = event_count(world), uc.show_case(world.svc, "auditor", n), db_state(world)
    with pytest.raises(error) as caught:
        command(world, n)
    assert type(caught.value) is error, caught.value
    assert event_count(world) == count
    assert uc.show_case(world.svc, "auditor", n) == snap
    assert db_state(world) == rows
    assert uc.verify_audit(world.svc, "auditor") == []


def test_refused_new_case_consumes_no_number(world: World) -> None:
    svc = world.svc
    before = db_state(world)
    bad = load_example("case.yaml")
    bad["colour"] = "red"
    with pytest.raises(InvalidInput, match="colour"):
        uc.new_case(svc, "sh", bad)
    gd = load_example("case.yaml")
    gd["product"]["registered_province"] = "GD"
    with pytest.raises(InvalidInput, match="product.registered_province"):
        uc.new_case(svc, "sh", gd)
    for who in ("auditor", "x1", "admin", "nobody", None):
        with pytest.raises(NotPermitted):
            uc.new_case(svc, who, load_example("case.yaml"))
    assert db_state(world) == before
    assert uc.new_case(svc, "sh", load_example("case.yaml")).number == "YRD-2026-0001"


# --- the state comes first (states.case._allowed: "refused as such, before its inputs") --------------------------


def test_panel_with_an_unknown_expert_on_a_case_past_the_panel_stage_is_refused_for_its_state(world: World) -> None:
    n = run_to(world, "archived")
    before = db_state(world)
    world.clock.advance(hours=1)
    with pytest.raises(InvalidTransition, match="archived"):
        uc.form_panel(world.svc, "sh", n, ["E9999", world.experts[0], world.experts[1]])
    assert db_state(world) == before


def test_attach_with_a_bad_kind_on_an_archived_case_is_refused_for_its_state(world: World) -> None:
    n = run_to(world, "archived")
    before = db_state(world)
    world.clock.advance(hours=1)
    with pytest.raises(InvalidTransition, match="archived"):
        uc.attach(world.svc, "sh", n, "late.txt", b"late", "photo")
    assert db_state(world) == before
