"""Art. 3: the lead institution rotates in one-year terms (states/rotation.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from states.errors import InvalidInput
from states.rotation import lead_on, term_on

ORDER = ["SH", "JS", "ZJ", "AH"]
START = date(2025, 1, 1)
D = date.fromisoformat


@pytest.mark.parametrize(
    ("on", "lead"),
    [
        ("2025-01-01", "SH"),
        ("2025-12-31", "SH"),
        ("2026-01-01", "JS"),
        ("2027-01-01", "ZJ"),
        ("2028-06-30", "AH"),
        ("2028-12-31", "AH"),
        ("2029-01-01", "SH"),  # wraps round
        ("2033-07-01", "SH"),
    ],
)
def test_lead_on(on: str, lead: str) -> None:
    assert lead_on(D(on), ORDER, START) == lead


def test_term_on_gives_the_term_start_and_exclusive_end() -> None:
    assert term_on(D("2028-06-30"), ORDER, START) == ("AH", D("2028-01-01"), D("2029-01-01"))
    assert term_on(D("2025-01-01"), ORDER, START) == ("SH", D("2025-01-01"), D("2026-01-01"))


def test_the_end_day_belongs_to_the_next_term() -> None:
    lead, start, end = term_on(D("2025-06-15"), ORDER, START)
    assert (lead, start, end) == ("SH", D("2025-01-01"), D("2026-01-01"))
    assert term_on(end - timedelta(days=1), ORDER, START)[0] == "SH"
    assert term_on(end, ORDER, START) == ("JS", D("2026-01-01"), D("2027-01-01"))


def test_a_mid_year_first_term() -> None:
    first = D("2024-07-01")
    assert lead_on(D("2025-06-30"), ORDER, first) == "SH"
    assert term_on(D("2025-07-01"), ORDER, first) == ("JS", D("2025-07-01"), D("2026-07-01"))


def test_a_date_before_the_first_term_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput) as info:
        lead_on(D("2024-12-31"), ORDER, START)
    assert "2024-12-31" in info.value.message
    assert info.value.message.startswith("date:")
    assert "2025-01-01" in info.value.message


def test_an_empty_order_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        lead_on(D("2025-06-01"), [], START)
    assert info.value.message.startswith("rotation.order:")


def test_a_single_member_leads_every_term() -> None:
    assert lead_on(D("2031-03-03"), ["SH"], START) == "SH"


def test_a_term_from_the_31st_with_monthly_terms_rolls_to_the_months_last_day() -> None:
    first = D("2025-01-31")
    assert term_on(D("2025-02-10"), ORDER, first, term_months=1) == ("SH", D("2025-01-31"), D("2025-02-28"))
    assert term_on(D("2025-02-28"), ORDER, first, term_months=1) == ("JS", D("2025-02-28"), D("2025-03-31"))
    assert term_on(D("2025-03-30"), ORDER, first, term_months=1) == ("JS", D("2025-02-28"), D("2025-03-31"))
    assert term_on(D("2025-03-31"), ORDER, first, term_months=1) == ("ZJ", D("2025-03-31"), D("2025-04-30"))
    # a leap year February
    assert term_on(D("2028-02-15"), ORDER, first, term_months=1)[1:] == (D("2028-01-31"), D("2028-02-29"))


def test_a_leap_day_first_term_rolls_to_28_february() -> None:
    first = D("2024-02-29")
    assert term_on(D("2025-03-01"), ORDER, first) == ("JS", D("2025-02-28"), D("2026-02-28"))
    assert term_on(D("2028-02-28"), ORDER, first) == ("AH", D("2027-02-28"), D("2028-02-29"))
    assert term_on(D("2028-02-29"), ORDER, first) == ("SH", D("2028-02-29"), D("2029-02-28"))


orders = st.lists(st.sampled_from(["SH", "JS", "ZJ", "AH", "JX", "BJ", "TJ"]), min_size=1, max_size=7, unique=True)
starts = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


@settings(max_examples=300)
@given(orders, starts, st.integers(0, 40 * 366), st.sampled_from([1, 3, 6, 12, 24]))
def test_every_date_lies_in_its_term_and_the_end_starts_the_next(
    order: list[str], first: date, offset: int, term_months: int
) -> None:
    on = first + timedelta(days=offset)
    lead, start, end = term_on(on, order, first, term_months)
    assert start <= on < end
    assert lead in order
    nxt = order[(order.index(lead) + 1) % len(order)]
    assert lead_on(end, order, first, term_months) == nxt
    assert term_on(end, order, first, term_months)[1] == end
    assert term_on(start, order, first, term_months) == (lead, start, end)
    if start > first:
        assert lead_on(start - timedelta(days=1), order, first, term_months) == order[
            (order.index(lead) - 1) % len(order)]


@settings(max_examples=100)
@given(orders, starts, st.integers(1, 10_000))
def test_every_date_before_the_first_term_is_refused(order: list[str], first: date, back: int) -> None:
    with pytest.raises(InvalidInput) as info:
        lead_on(first - timedelta(days=back), order, first)
    assert (first - timedelta(days=back)).isoformat() in info.value.message
