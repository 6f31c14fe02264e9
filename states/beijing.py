"""The regulation counts Beijing's days: one time-zone constant and one way to find the day of an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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


def deadline_text(due: date | datetime | str | None = None, due_at: datetime | str | None = None) -> str:
    """The one way a deadline is written (pages, mails, the inbox, the CLI): "2026-12-29（当日24:00截止）".

    DUE is the last working day (a date or "YYYY-MM-DD") or the instant the period ends; DUE_AT the instant (a
    datetime or ISO text; UTC, or with an offset; naive is read as UTC). A period that ends at midnight Beijing time
    is read as 24:00 of the day before; one that ends at another hour keeps it ("2026-12-29（当日17:00截止）").
    With neither, the text is "—"."""
    if isinstance(due, datetime) or (isinstance(due, str) and "T" in due):
        due, due_at = None, due_at or due
    if due_at:
        at = due_at if isinstance(due_at, datetime) else datetime.fromisoformat(str(due_at))
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        at = at.astimezone(BEIJING)
        if (at.hour, at.minute, at.second) == (0, 0, 0):
            return f"{at - timedelta(days=1):%Y-%m-%d}（当日24:00截止）"
        return f"{at:%Y-%m-%d}（当日{at:%H:%M}截止）"
    if due:
        day = due if isinstance(due, date) else date.fromisoformat(str(due)[:10])
        return f"{day:%Y-%m-%d}（当日24:00截止）"
    return "—"
