"""The reminder arithmetic: when each reminder of a deadline may go out (no database, no clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar import WorkingCalendar
from scheduler.reminders import ReminderPolicy, in_working_hours, occurrences, working_instant
from states.beijing import BEIJING as SH
from states.deadlines import DEADLINE_RULES

CAL = WorkingCalendar()
POLICY = ReminderPolicy()


def bj(iso: str) -> datetime:
    return datetime.fromisoformat(iso).replace(tzinfo=SH)


def test_working_instant_moves_to_the_next_opening() -> None:
    assert working_instant(bj("2026-10-10T00:00"), CAL.is_workday, POLICY) == bj("2026-10-10T09:00")  # 调休 Saturday
    assert working_instant(bj("2026-10-09T18:00"), CAL.is_workday, POLICY) == bj("2026-10-10T09:00")
    assert working_instant(bj("2026-10-01T10:00"), CAL.is_workday, POLICY) == bj("2026-10-08T09:00")  # 国庆
    assert working_instant(bj("2026-10-12T11:15"), CAL.is_workday, POLICY) == bj("2026-10-12T11:15")
    assert not in_working_hours(bj("2026-10-11T10:00"), CAL.is_workday, POLICY)  # Sunday
    assert in_working_hours(bj("2026-10-12T17:29"), CAL.is_workday, POLICY)
    assert not in_working_hours(bj("2026-10-12T17:30"), CAL.is_workday, POLICY)


def test_t1_from_the_national_day_example() -> None:
    due = CAL.add_working_days(date(2026, 9, 29), 3)  # due 2026-10-09, ends 10-10 00:00
    found = occurrences("expert_analysis", due.due_at, due.due, bj("2026-10-14T10:00"), CAL.is_workday, POLICY)
    assert [(o.kind, o.local_date.isoformat(), o.audience) for o in found] == [
        ("before", "2026-10-09", ("applicant",)),
        ("overdue", "2026-10-10", ("applicant", "lead")),
        ("overdue", "2026-10-12", ("applicant", "lead")),
        ("overdue", "2026-10-13", ("applicant", "lead")),
        ("overdue", "2026-10-14", ("applicant", "lead")),
    ]
    t2 = occurrences("convening", due.due_at, due.due, bj("2026-10-09T12:00"), CAL.is_workday, POLICY)
    assert [(o.kind, o.audience) for o in t2] == [("before", ("lead",))]


def test_close_of_business_deadline_is_overdue_the_same_evening_next_opening() -> None:
    cal = WorkingCalendar(close_of_business=time(17, 30))
    due = cal.add_working_days(date(2026, 10, 12), 1)  # 10-13 at 17:30
    found = occurrences("convening", due.due_at, due.due, bj("2026-10-14T09:00"), cal.is_workday, POLICY)
    assert [(o.kind, o.scheduled_at.astimezone(SH).isoformat()) for o in found] == [
        ("before", "2026-10-13T09:00:00+08:00"), ("overdue", "2026-10-14T09:00:00+08:00")]


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 30)),
       n=st.sampled_from([1, 3, 5, 20]), later=st.integers(min_value=0, max_value=40 * 24))
def test_occurrence_properties(start: date, n: int, later: int) -> None:
    due = CAL.add_working_days(start, n)
    until = due.due_at - timedelta(hours=20) + timedelta(hours=later)
    found = occurrences("tracking", due.due_at, due.due, until, CAL.is_workday, POLICY)
    instants = [o.scheduled_at for o in found]
    assert instants == sorted(instants)
    assert all(o.scheduled_at <= until for o in found)
    assert all(in_working_hours(o.scheduled_at, CAL.is_workday, POLICY) for o in found)
    keys = [(o.kind, o.local_date) for o in found]
    assert len(keys) == len(set(keys)), "each reminder has its own key"
    before = [o for o in found if o.kind == "before"]
    overdue = [o for o in found if o.kind == "overdue"]
    assert all(o.scheduled_at < due.due_at for o in before)
    assert all(o.scheduled_at >= due.due_at for o in overdue)
    # One overdue reminder per working day from the deadline on, none skipped.
    days = [o.local_date for o in overdue]
    for a, b in zip(days, days[1:], strict=False):
        between = [a + timedelta(days=k) for k in range(1, (b - a).days)]
        assert not any(CAL.is_workday(d) for d in between)
    if overdue:
        assert overdue[0].scheduled_at == working_instant(due.due_at, CAL.is_workday, POLICY)
    assert all(o.scheduled_at.tzinfo is not None and o.scheduled_at.utcoffset() == UTC.utcoffset(None) for o in found)


def test_the_before_reminder_goes_to_whoever_the_rule_table_names() -> None:
    due_at, due_date = bj("2026-10-13T00:00"), date(2026, 10, 12)
    for rule in DEADLINE_RULES:
        (before,) = occurrences(rule.kind, due_at, due_date, bj("2026-10-12T10:00"), CAL.is_workday, POLICY)
        assert (before.kind, before.audience) == ("before", (rule.responsible,))
    assert {r.kind: r.responsible for r in DEADLINE_RULES}["convening"] == "lead"
