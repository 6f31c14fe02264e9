"""Art. 3: the lead institution rotates, one-year terms. The lead on a date is computed, never typed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from states.errors import InvalidInput


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    # A term starting on the 29th–31st rolls to the month's last day when the month is shorter.
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def term_on(on: date, order: Sequence[str], first_term_start: date, term_months: int = 12) -> tuple[str, date, date]:
    """(lead code, term start, term end exclusive) on a date."""
    if not order:
        raise InvalidInput("rotation.order: no institution to rotate", key="rotation_empty", field="rotation.order")
    if on < first_term_start:
        raise InvalidInput(f"date: {on.isoformat()} is before the first term ({first_term_start.isoformat()})",
                           key="before_first_term", field="date", date=on.isoformat(),
                           first_term_start=first_term_start.isoformat())
    months = (on.year - first_term_start.year) * 12 + (on.month - first_term_start.month)
    index = months // term_months
    start = _add_months(first_term_start, index * term_months)
    if start > on:
        index -= 1
        start = _add_months(first_term_start, index * term_months)
    end = _add_months(first_term_start, (index + 1) * term_months)
    return order[index % len(order)], start, end


def lead_on(on: date, order: Sequence[str], first_term_start: date, term_months: int = 12) -> str:
    return term_on(on, order, first_term_start, term_months)[0]
