"""When each reminder is due (DOMAIN.md § reminders), as pure arithmetic over a working calendar.

* before: on the due day at the configured time (default 09:00 Beijing time), to the institution responsible
  (``states.deadlines``);
* overdue: at the deadline, then each working day at the opening of working hours while the deadline stays armed,
  to both the applicant and the lead.
Reminders go out only inside working hours on working days: one whose instant falls outside is sent at the next
opening. Every occurrence has a stable key, so the ledger can claim it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from states.beijing import BEIJING
from states.deadlines import responsible_for
from states.errors import InvalidInput


@dataclass(frozen=True)
class ReminderPolicy:
    before_at: time = time(9, 0)
    day_starts: time = time(9, 0)
    day_ends: time = time(17, 30)
    max_overdue_days: int = 60  # a deadline forgotten for months stops nagging daily after this many working days


@dataclass(frozen=True)
class Occurrence:
    kind: str  # before | overdue
    local_date: date  # the working day it belongs to (part of the key)
    scheduled_at: datetime  # UTC: the instant it may be sent
    audience: tuple[str, ...]  # "applicant", "lead"


def working_instant(at: datetime, is_workday: Callable[[date], bool], policy: ReminderPolicy) -> datetime:
    """The first instant at or after `at` that lies inside working hours on a working day (UTC)."""
    local = at.astimezone(BEIJING)
    day = local.date()
    for _ in range(400):
        if is_workday(day):
            opening = datetime.combine(day, policy.day_starts, BEIJING)
            closing = datetime.combine(day, policy.day_ends, BEIJING)
            if local <= opening:
                return opening.astimezone(UTC)
            if local < closing:
                return local.astimezone(UTC)
        day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), BEIJING)
    raise InvalidInput("no working day within 400 days", key="no_working_day", days=400)


def in_working_hours(at: datetime, is_workday: Callable[[date], bool], policy: ReminderPolicy) -> bool:
    return working_instant(at, is_workday, policy) == at.astimezone(UTC)


def occurrences(kind: str, due_at: datetime, due_date: date, until: datetime,
                is_workday: Callable[[date], bool], policy: ReminderPolicy) -> list[Occurrence]:
    """Every reminder of one armed deadline whose time has come by `until`, oldest first."""
    responsible = (responsible_for(kind),)  # the rule table's: who answers for this timer
    both = ("applicant", "lead")
    found: list[Occurrence] = []
    before = working_instant(datetime.combine(due_date, policy.before_at, BEIJING), is_workday, policy)
    if before < due_at and before <= until:
        found.append(Occurrence("before", before.astimezone(BEIJING).date(), before, responsible))
    if due_at > until:
        return found
    first = working_instant(due_at, is_workday, policy)
    at, count = first, 0
    while at <= until and count < policy.max_overdue_days:
        found.append(Occurrence("overdue", at.astimezone(BEIJING).date(), at, both))
        count += 1
        next_day = at.astimezone(BEIJING).date() + timedelta(days=1)
        at = working_instant(datetime.combine(next_day, time(0, 0), BEIJING), is_workday, policy)
    return found
