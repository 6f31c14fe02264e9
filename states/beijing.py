"""The regulation counts Beijing's days: one time-zone constant and one way to find the day of an instant."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing_day(instant: datetime) -> date:
    """The calendar day an instant falls on in Beijing: the day the regulation counts."""
    return instant.astimezone(BEIJING).date()
