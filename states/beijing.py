"""The regulation counts Beijing's days: one time-zone constant and one way to find the day of an instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_day(instant: datetime) -> date:
    """The calendar day an instant falls on in Beijing: the day the regulation counts."""
    return instant.astimezone(BEIJING).date()


def beijing_text(instant: datetime | str) -> str:
    """An instant as a person reads it: "2026-10-14 14:00（北京时间）" (an aware datetime or an ISO string).
    Every time a person reads — mails, the inbox, invitations, pages — is written with this (huizhen.labels)."""
    at = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    return f"{at.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）"


def deadline_text(due_at: datetime | str) -> str:
    """A deadline as a person reads it: "2026-12-29（当日24:00截止）" — its last day and the hour it ends, Beijing
    time (a period ending at 24:00 is stored as 00:00 of the next day)."""
    at = (datetime.fromisoformat(due_at) if isinstance(due_at, str) else due_at).astimezone(BEIJING)
    if (at.hour, at.minute) == (0, 0):
        return f"{at - timedelta(days=1):%Y-%m-%d}（当日24:00截止）"
    return f"{at:%Y-%m-%d}（当日{at:%H:%M}截止）"
