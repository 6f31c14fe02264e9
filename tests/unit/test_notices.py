"""Issue 12: who is told, and reminders that are right — on the fake unit of work (no database, no mail server)."""

from __future__ import annotations

from datetime import datetime, timedelta

from fake_world import FakeWorld, fake_world, run_to

from scheduler.reminders import ReminderPolicy, working_instant
from scheduler.sweep import Sweeper
from states.beijing import BEIJING
from workflow import usecases as uc


def sweeper(w: FakeWorld) -> Sweeper:
    return Sweeper(w.store, w.clock, w.svc.calendar.is_workday)


def t1(w: FakeWorld, number: str) -> datetime:
    with w.store(readonly=True) as uow:
        (d,) = [d for d in uow.deadlines.armed() if d["case_number"] == number and d["kind"] == "expert_analysis"]
    due: datetime = d["due_at"]
    return due


def at(w: FakeWorld, instant: datetime) -> None:
    w.clock.set(instant.astimezone(BEIJING).isoformat())


def test_a_sweep_that_first_runs_the_day_after_the_deadline_sends_the_overdue_reminder_and_no_due_today_one() -> None:
    w = fake_world()
    number = run_to(w, "awaiting_experts")
    due = t1(w, number)
    at(w, working_instant(due, w.svc.calendar.is_workday, ReminderPolicy()) + timedelta(hours=1))
    report = sweeper(w).sweep()
    assert report.sent and {r["reminder_kind"] for r in report.sent} == {"overdue"}
    assert {r["reminder_kind"] for r in report.skipped} == {"before"}
    with w.store(readonly=True) as uow:
        rows = uow.reminders.list(number)
        inbox = uow.inbox.of("sh")
    assert {r["status"] for r in rows if r["reminder_kind"] == "before"} == {"skipped"}
    assert {r["status"] for r in rows if r["reminder_kind"] == "overdue"} == {"sent"}
    assert [m["subject"] for m in inbox if "今日到期" in m["subject"]] == []
    assert any("已超期" in m["subject"] for m in inbox)
    # A later sweep neither sends the skipped one nor doubles the overdue one.
    w.clock.advance(minutes=30)
    assert sweeper(w).sweep().sent == []


def test_t1_reminders_reach_the_late_experts_only_with_the_deadline_written_for_people() -> None:
    w = fake_world()
    number = run_to(w, "awaiting_experts")
    uc.record_analysis(w.svc, "x1", number, w.experts[0], "分析意见")  # x1 answered; x2 and x3 are late
    due = t1(w, number)
    on_due_day = due.astimezone(BEIJING).replace(hour=9, minute=30) - timedelta(days=1)
    at(w, on_due_day)
    report = sweeper(w).sweep()
    told = {r["recipient"] for r in report.sent}
    assert {"x2", "x3", "sh"} <= told and "x1" not in told
    with w.store(readonly=True) as uow:
        (message,) = uow.inbox.of("x2")
    assert "今日到期" in message["subject"]
    last_day = (due.astimezone(BEIJING) - timedelta(days=1)).strftime("%Y-%m-%d")
    assert f"截止时间：{last_day}（当日24:00截止）" in message["body"]
    assert "初步分析意见" in message["body"] and "+00:00" not in message["body"]


def told(w: FakeWorld, number: str, event_type: str) -> list[tuple[str, str]]:
    """(kind, recipient) of the notices the case's last EVENT_TYPE event asks for."""
    from workflow.notices import notices

    with w.store(readonly=True) as uow:
        snap = uow.cases.snapshot(number)
        users = uow.users.all()
        (last,) = [s.event for s in uow.cases.events(number) if s.event.type == event_type][-1:]
    assert snap is not None
    return [(n.kind, n.recipient.name) for n in notices(snap, [last], users)]


def test_who_is_told_the_person_who_must_act() -> None:
    w = fake_world()
    number = run_to(w, "awaiting_experts")
    assert told(w, number, "PanelFormed") == [("panel", "x1"), ("panel", "x2"), ("panel", "x3")]
    assert told(w, number, "MaterialsDispatched") == [("dispatched", "x1"), ("dispatched", "x2"), ("dispatched", "x3")]
    for i, e in enumerate(w.experts[:3], start=1):
        uc.record_analysis(w.svc, f"x{i}", number, e, "分析意见")
    w.clock.set("2026-10-09T09:00:00+08:00")
    uc.refer(w.svc, "sh", number)
    assert told(w, number, "CaseReferred") == [("referred", "js")]  # the lead's liaison, not the applicant's


def test_the_lead_is_told_when_the_last_form_is_signed_not_before() -> None:
    from fake_world import opinion

    w = fake_world()
    number = run_to(w, "convened")
    uc.record_opinion(w.svc, "x1", number, w.experts[0], opinion())
    assert told(w, number, "OpinionRecorded") == []
    uc.record_opinion(w.svc, "x2", number, w.experts[1], opinion())
    uc.record_opinion(w.svc, "x3", number, w.experts[2], opinion())
    assert told(w, number, "OpinionRecorded") == [("forms_signed", "js")]


def test_notice_words_are_for_people() -> None:
    from huizhen.labels import notice_text

    subject, body = notice_text("dispatched", number="SH-2026-001", product="电动自行车",
                                due_at="2026-10-09T16:00:00+00:00")
    assert "2026-10-09（当日24:00截止）" in subject and "2026-10-09（当日24:00截止）" in body
    assert "/cases/SH-2026-001" in body and "+00:00" not in body


def test_a_chase_is_history_tells_the_expert_and_is_refused_twice_a_day_naming_when() -> None:
    import pytest

    from states.errors import GuardFailed

    w = fake_world()
    number = run_to(w, "awaiting_experts")
    uc.record_analysis(w.svc, "x1", number, w.experts[0], "分析意见")
    w.clock.set("2026-10-05T10:00:00+08:00")
    case = uc.chase(w.svc, "sh", number, w.experts[1], "请于今日提交")
    assert [(c["expert"], c["note"]) for c in case.chases] == [(w.experts[1], "请于今日提交")]
    assert told(w, number, "ExpertChased") == [("chased", "x2")]
    w.clock.advance(hours=2)
    with pytest.raises(GuardFailed) as refused:
        uc.chase(w.svc, "sh", number, w.experts[1])
    assert refused.value.key == "expert_chased_today" and refused.value.field == "expert"
    assert refused.value.params["expert"] == w.experts[1]
    assert refused.value.params["last"] == "2026-10-05 10:00（北京时间）"
    with pytest.raises(GuardFailed) as answered:
        uc.chase(w.svc, "sh", number, w.experts[0])
    assert answered.value.key == "expert_already_answered"
    with w.store(readonly=True) as uow:
        assert [s.event.type for s in uow.cases.events(number)].count("ExpertChased") == 1  # nothing half-written
    w.clock.set("2026-10-06T09:30:00+08:00")  # the next working day
    assert len(uc.chase(w.svc, "sh", number, w.experts[1]).chases) == 2


def test_only_the_applicant_chases() -> None:
    import pytest

    from states.errors import DomainError

    w = fake_world()
    number = run_to(w, "awaiting_experts")
    for who in ("js", "x1"):
        with pytest.raises(DomainError):
            uc.chase(w.svc, who, number, w.experts[1])
