"""The yearly account's pure rules: fee amounts (Art. 10), the retention period (Art. 9), and the arithmetic of the
yearly report (working days between two dates, median, nearest-rank percentile). No clock, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from states.errors import InvalidInput

CURRENCY = "CNY"
# One expert's fee for one consultation: a few hundred to a few thousand yuan; anything beyond this is a typo.
MAX_FEE = Decimal("100000.00")
CENT = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^[+-]?\d{1,9}(\.\d+)?$")


def parse_amount(value: object, field: str = "--amount") -> Decimal:
    """A fee in CNY: a positive decimal with at most two places (分), at most MAX_FEE. Errors name the field."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, float):
        text = repr(value)
    if not _AMOUNT_RE.match(text):
        raise InvalidInput(f"{field}: {text or '(empty)'!r} is not an amount in CNY (digits, e.g. 1500.00)")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{field}: {text!r} is not an amount in CNY (digits, e.g. 1500.00)") from None
    if amount != amount.quantize(CENT):
        raise InvalidInput(f"{field}: {text} has more than 2 decimal places (the smallest unit is 0.01 CNY)")
    if amount <= 0:
        raise InvalidInput(f"{field}: {text} must be more than 0")
    if amount > MAX_FEE:
        raise InvalidInput(f"{field}: {text} is more than the limit of {MAX_FEE} CNY per expert and case")
    return amount.quantize(CENT)


def money(amount: Decimal) -> str:
    """The stored and printed form of an amount: always two decimals, no exponent ("1500.00")."""
    return f"{amount.quantize(CENT):.2f}"


def add_years(day: date, years: int) -> date:
    """The corresponding day `years` later; 29 February becomes 28 February in a common year
    (民法典 Art. 202: without a corresponding day, the period ends on the last day of that month)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 Feb → a year without it
        return day.replace(year=day.year + years, day=28)


def retention_until(terminal_day: date, years: int) -> date:
    """The last day the records are kept: the day the case became terminal (archived or withdrawn, Beijing date)
    plus `years` years. Disposal is possible from the next day on."""
    return add_years(terminal_day, years)


def retention_expired(terminal_day: date, years: int, today: date) -> bool:
    return today > retention_until(terminal_day, years)


def working_days_between(start: date, end: date, is_workday: Callable[[date], bool]) -> int:
    """Working days d with start < d <= end (the start day is not counted, as in 民法典 Art. 201); 0 when
    end <= start. Submitted Monday and decided Wednesday of a normal week is 2."""
    if end <= start:
        return 0
    n = 0
    d = start + timedelta(days=1)
    while d <= end:
        if is_workday(d):
            n += 1
        d += timedelta(days=1)
    return n


def median(values: Sequence[float]) -> float | None:
    """The middle value; for an even count the mean of the two middle values. None when empty."""
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    if len(s) % 2:
        return float(s[mid])
    return (s[mid - 1] + s[mid]) / 2


def percentile_nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value such that at least p% of the values are at or below it,
    i.e. the ⌈p/100 · n⌉-th smallest. None when empty."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    s = sorted(values)
    rank = math.ceil(Fraction(str(p)) * len(s) / 100)  # exact: 7/100 × 100 is 7, not 7.000000000000001
    return float(s[max(rank, 1) - 1])


def rate(met: int, missed: int) -> float | None:
    """Share met on time, rounded to 4 places; None when nothing was resolved."""
    total = met + missed
    return round(met / total, 4) if total else None
