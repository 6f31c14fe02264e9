"""The yearly account's pure rules: fee amounts (Art. 10), the retention period (Art. 9), and the arithmetic of the
yearly report (working days between two dates, median, nearest-rank percentile). No clock, no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, cast

from states.commands import TERMINAL_STATES
from states.errors import InvalidInput
from states.status import STATUS_LABELS

CURRENCY = "CNY"
# One expert's fee for one consultation: a few hundred to a few thousand yuan; anything beyond this is a typo.
MAX_FEE = Decimal("100000.00")
CENT = Decimal("0.01")
_AMOUNT_RE = re.compile(r"^[+-]?\d{1,9}(\.\d+)?$")


def parse_amount(value: object, field: str = "amount") -> Decimal:
    """A fee in CNY: a positive decimal with at most two places (分), at most MAX_FEE. Errors carry `field`."""
    text = str(value).strip() if value is not None else ""
    if isinstance(value, float):
        text = repr(value)
    if not _AMOUNT_RE.match(text):
        raise InvalidInput(f"{text or '(empty)'!r} is not an amount in CNY (digits, e.g. 1500.00)", key="amount_not_number",
                           field=field, value=text)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"{text!r} is not an amount in CNY (digits, e.g. 1500.00)", key="amount_not_number",
                           field=field, value=text) from None
    if amount != amount.quantize(CENT):
        raise InvalidInput(f"{text} has more than 2 decimal places (the smallest unit is 0.01 CNY)",
                           key="amount_too_precise", field=field, value=text)
    if amount <= 0:
        raise InvalidInput(f"{text} must be more than 0", key="amount_not_positive", field=field, value=text)
    if amount > MAX_FEE:
        raise InvalidInput(f"{text} is more than the limit of {MAX_FEE} CNY per expert and case", key="amount_over_limit",
                           field=field, value=text, limit=str(MAX_FEE))
    return amount.quantize(CENT)


def money(amount: Decimal) -> str:
    """The stored and printed form of an amount: always two decimals, no exponent ("1500.00")."""
    return f"{amount.quantize(CENT):.2f}"


def fee_totals(fees: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How many fees, their total, what is paid (a payment date is recorded) and what is not, in CNY."""
    count, total, paid = 0, Decimal(0), Decimal(0)
    for fee in fees:
        count += 1
        total += Decimal(fee["amount"])
        if fee.get("paid_on"):
            paid += Decimal(fee["amount"])
    return {"fees": count, "total": money(total), "paid": money(paid), "unpaid": money(total - paid)}


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


def active_hold(retention: Mapping[str, Any]) -> dict[str, Any] | None:
    """The legal hold in force (the last placed and not yet released), itself; None when there is none."""
    for hold in reversed(retention.get("holds", [])):
        if not hold.get("released_at"):
            return cast(dict[str, Any], hold)
    return None


def retention_standing(closed_day: date, retention: Mapping[str, Any], years: int, today: date) -> dict[str, Any]:
    """Where a closed case stands under Art. 9: closed on, kept until (inclusive), disposable from, expired,
    appraised (and by whom), held (and why)."""
    until = retention_until(closed_day, years)
    appraisal = retention.get("appraisal")
    hold = active_hold(retention)
    return {
        "closed_on": closed_day.isoformat(),
        "retention_until": until.isoformat(),
        "disposable_from": (until + timedelta(days=1)).isoformat(),
        "expired": retention_expired(closed_day, years, today),
        "appraised": appraisal is not None,
        "approver": appraisal["approver"] if appraisal else None,
        "appraised_at": appraisal["at"] if appraisal else None,
        "held": hold is not None,
        "hold_reason": hold["reason"] if hold else None,
    }


def disposal_candidate(standing: Mapping[str, Any]) -> bool:
    """A purge without named cases looks at every closed case that is appraised or whose retention ran out."""
    return bool(standing["appraised"] or standing["expired"])


def disposal_problems(number: str, status: str, standing: Mapping[str, Any] | None, years: int) -> list[str]:
    """Why a case may not be destroyed today (empty when it may): every reason that applies, in this order.
    `standing` is None while the case is not closed."""
    if status not in TERMINAL_STATES or standing is None:
        label = STATUS_LABELS.get(status, status)
        return [f"not closed: it is {status} ({label}); only an archived or withdrawn case is destroyed"]
    problems = []
    if not standing["expired"]:
        problems.append(f"not expired: kept until {standing['retention_until']} ({years} years from "
                        f"{standing['closed_on']}); disposable from {standing['disposable_from']}")
    if standing["held"]:
        problems.append(f"under a legal hold: {standing['hold_reason']}")
    if not standing["appraised"]:
        problems.append("not appraised: the disposal appraisal is not recorded")
    return problems


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
