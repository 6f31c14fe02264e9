"""One way to write a deadline everywhere (issue 13): labels.deadline_text."""

from __future__ import annotations

from datetime import UTC, date, datetime

from huizhen.labels import deadline_text


def test_midnight_reads_as_24_00_of_the_day_before() -> None:
    assert deadline_text("2026-12-29", "2026-12-29T16:00:00+00:00") == "2026-12-29（当日24:00截止）"
    assert deadline_text(None, "2026-12-30T00:00:00+08:00") == "2026-12-29（当日24:00截止）"


def test_another_hour_keeps_it_and_naive_times_are_utc() -> None:
    assert deadline_text(None, datetime(2026, 12, 29, 9, 0, tzinfo=UTC)) == "2026-12-29（当日17:00截止）"
    assert deadline_text(None, "2026-12-29T09:00:00") == "2026-12-29（当日17:00截止）"


def test_a_date_alone_and_nothing() -> None:
    assert deadline_text(date(2026, 12, 29)) == "2026-12-29（当日24:00截止）"
    assert deadline_text("2026-12-29") == "2026-12-29（当日24:00截止）"
    assert deadline_text() == "—"


def test_every_reason_not_to_destroy_reads_in_chinese() -> None:
    from huizhen.labels import disposal_reason
    from states import yearly

    standing = {"expired": False, "retention_until": "2031-10-14", "closed_on": "2026-10-14",
                "disposable_from": "2031-10-15", "held": True, "hold_reason": "诉讼", "appraised": False}
    reasons = yearly.disposal_problems("YRD-2026-0001", "archived", standing, 5)
    reasons += yearly.disposal_problems("YRD-2026-0001", "decided", None, 5)
    assert [disposal_reason(r) for r in reasons] == [
        "保存期未满", "法律保全中", "尚未记录销毁鉴定", "尚未办结（仅归档或撤回的案件可销毁）"]
