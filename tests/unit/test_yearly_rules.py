"""The yearly account's pure rules against simple oracles (Hypothesis): the retention end (years later, 29 February
→ 28 February), expiry, fee amounts, working days between two dates, median and nearest-rank percentile."""

from __future__ import annotations

import calendar
import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from states.errors import InvalidInput
from states.yearly import (
    add_years,
    median,
    money,
    parse_amount,
    percentile_nearest_rank,
    retention_expired,
    retention_until,
    working_days_between,
)

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(days, st.integers(min_value=1, max_value=100))
def test_add_years_is_the_corresponding_day_or_the_end_of_february(d: date, years: int) -> None:
    got = add_years(d, years)
    assert got.year == d.year + years
    if (d.month, d.day) == (2, 29) and not calendar.isleap(got.year):
        assert (got.month, got.day) == (2, 28)
    else:
        assert (got.month, got.day) == (d.month, d.day)


@given(days, st.integers(min_value=1, max_value=10), st.integers(min_value=-400, max_value=400))
def test_expired_exactly_after_the_last_day(closed: date, years: int, offset: int) -> None:
    until = retention_until(closed, years)
    today = until + timedelta(days=offset)
    assert retention_expired(closed, years, today) is (offset >= 1)


def test_retention_worked_examples() -> None:
    assert retention_until(date(2026, 10, 14), 5) == date(2031, 10, 14)
    assert retention_until(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert retention_until(date(2028, 2, 29), 4) == date(2032, 2, 29)
    assert not retention_expired(date(2026, 10, 14), 5, date(2031, 10, 14))
    assert retention_expired(date(2026, 10, 14), 5, date(2031, 10, 15))


@given(st.integers(min_value=1, max_value=10_000_000))
def test_every_amount_in_fen_round_trips(fen: int) -> None:
    text = money(Decimal(fen) / 100)
    assert parse_amount(text) == Decimal(fen) / 100
    assert money(parse_amount(text)) == text


@given(st.integers(min_value=0, max_value=10_000_000), st.integers(min_value=1, max_value=9))
def test_a_third_decimal_is_refused(fen: int, milli: int) -> None:
    with pytest.raises(InvalidInput, match="more than 2 decimal places"):
        parse_amount(f"{money(Decimal(fen) / 100)}{milli}")


@pytest.mark.parametrize("bad", ["-1", "0", "0.00", "100000.01", "1e3", "1,000", "", " ", "CNY 100", "NaN", "Infinity"])
def test_bad_amounts(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_amount(bad)
    assert info.value.field == "amount" and info.value.key.startswith("amount_")


holidays = st.frozensets(st.integers(min_value=0, max_value=400), max_size=120)


@given(holidays, st.integers(min_value=0, max_value=380), st.integers(min_value=0, max_value=380))
def test_working_days_between_against_a_day_by_day_count(off: frozenset[int], a: int, b: int) -> None:
    base = date(2026, 1, 1)

    def is_workday(d: date) -> bool:
        return (d - base).days not in off

    start, end = base + timedelta(days=a), base + timedelta(days=b)
    oracle = sum(1 for k in range(a + 1, b + 1) if k not in off)
    assert working_days_between(start, end, is_workday) == oracle


values_st = st.lists(st.integers(min_value=0, max_value=200), min_size=1, max_size=150)


@given(values_st)
def test_median_is_the_statistics_median(values: list[int]) -> None:
    assert median(values) == statistics.median(values)


@given(values_st, st.integers(min_value=1, max_value=100))
def test_nearest_rank_percentile_against_its_definition(values: list[int], p: int) -> None:
    """The smallest value with at least p% of the values at or below it."""
    got = percentile_nearest_rank(values, p)
    oracle = min(v for v in values if sum(1 for x in values if x <= v) * 100 >= p * len(values))
    assert got == oracle
    assert got == sorted(values)[-(-p * len(values) // 100) - 1]


def test_empty_figures_are_none() -> None:
    assert median([]) is None and percentile_nearest_rank([], 90) is None
    assert percentile_nearest_rank([5, 6, 10, 11], 90) == 11 and median([5, 6, 10, 11]) == 8
    assert percentile_nearest_rank(list(range(1, 101)), 7) == 7  # float arithmetic would say 8
