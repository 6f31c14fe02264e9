"""The working-day calendar: 民法典 Art. 201–203 counting over chinese_calendar, year files and the estimate."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lunardate import LunarDate

from scheduler import calendar as calmod
from scheduler import estimate, tables
from scheduler.calendar import YEAR_BOOK, DueDate, WorkingCalendar
from scheduler.estimate import provisional_arrangement, qingming_date
from scheduler.yearfiles import (
    CalendarDataError,
    YearArrangement,
    load_year_dir,
    load_year_file,
    parse_year,
    read_year_text,
    year_from_stored,
)
from states.beijing import BEIJING
from states.errors import InvalidInput

D = date.fromisoformat
LAST_PACKAGE_DAY = date(2026, 12, 31)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def naive_due(start: date, n: int) -> tuple[date, list[date]] | None:
    """The oracle: walk day by day from start+1 with chinese_calendar.is_workday; None if it leaves the package."""
    d, count, rest = start, 0, []
    while count < n:
        d += timedelta(days=1)
        if d > LAST_PACKAGE_DAY:
            return None
        if chinese_calendar.is_workday(d):
            count += 1
        else:
            rest.append(d)
    return d, rest


# --------------------------------------------------------------------------------------------------------------
# The worked examples of DOMAIN.md
# --------------------------------------------------------------------------------------------------------------

WORKED = [
    ("2026-09-29", 3, "2026-10-09"),
    ("2026-09-18", 3, "2026-09-22"),  # Sunday 09-20 is a make-up workday
    ("2026-02-12", 5, "2026-02-26"),
    ("2026-10-03", 3, "2026-10-10"),  # start on a holiday: it does not count either
    ("2025-12-31", 3, "2026-01-06"),
]


@pytest.mark.parametrize(("start", "n", "due"), WORKED)
def test_worked_examples(cal: WorkingCalendar, start: str, n: int, due: str) -> None:
    r = cal.add_working_days(D(start), n)
    assert r.due == D(due)
    assert r.start == D(start) and r.working_days == n
    assert r.provisional is False
    assert r.calendar_version == cal.version == f"cc{chinese_calendar.__version__}"
    assert r.due_at == datetime.combine(D(due) + timedelta(days=1), time(0), tzinfo=BEIJING)


def test_worked_example_skipped_days(cal: WorkingCalendar) -> None:
    r = cal.add_working_days(D("2026-09-29"), 3)
    assert r.skipped == tuple((D(f"2026-10-0{k}"), "国庆节") for k in range(1, 8))
    r = cal.add_working_days(D("2026-09-18"), 3)
    assert r.skipped == ((D("2026-09-19"), "周六"),)  # the worked Sunday 09-20 is not skipped
    r = cal.add_working_days(D("2025-12-31"), 3)
    assert [d for d, _ in r.skipped] == [D("2026-01-01"), D("2026-01-02"), D("2026-01-03")]
    assert {why for _, why in r.skipped} == {"元旦"}


def test_explain(cal: WorkingCalendar) -> None:
    text = cal.add_working_days(D("2026-09-29"), 3).explain()
    assert text.startswith("自2026-09-29起算（当日不计）第3个工作日为2026-10-09，")
    assert "国庆节" in text and "7个休息日" in text
    assert "截止2026-10-10 00:00（北京时间）" in text
    assert "预估" not in text
    assert "期间无休息日" in cal.add_working_days(D("2026-03-02"), 1).explain()
    provisional = cal.add_working_days(D("2026-12-31"), 1).explain()
    assert "2027-01-04（预估）" in provisional and "元旦" in provisional


# --------------------------------------------------------------------------------------------------------------
# The package's data, read correctly (and checked before we rely on it)
# --------------------------------------------------------------------------------------------------------------


def test_known_facts_of_the_package() -> None:
    wd, hol = chinese_calendar.workdays, chinese_calendar.holidays
    for d in (
        "2025-01-26",
        "2025-02-08",
        "2026-02-14",
        "2026-02-28",
        "2026-09-20",
        "2026-10-10",
        "2026-01-04",
    ):
        assert D(d) in wd and D(d).weekday() >= 5, d
    for k in range(1, 9):
        assert D(f"2025-10-0{k}") in hol
    assert hol[D("2025-10-06")] == "Mid-autumn Festival"
    assert min(hol).year == 2004 and max(hol).year == 2026
    assert tables.PACKAGE_YEARS == range(2004, 2027)


def test_labels_of_days(cal: WorkingCalendar) -> None:
    assert cal.day_kind(D("2026-10-10")) == (True, "国庆节调休上班", False)
    assert cal.day_kind(D("2025-01-26")) == (True, "春节调休上班", False)
    assert cal.day_kind(D("2026-10-04")) == (False, "国庆节", False)
    assert cal.day_kind(D("2025-10-06")) == (False, "中秋节", False)
    assert cal.day_kind(D("2025-04-04")) == (False, "清明节", False)
    assert cal.day_kind(D("2026-03-07")) == (False, "周六", False)
    assert cal.day_kind(D("2026-03-08")) == (False, "周日", False)
    assert cal.day_kind(D("2026-03-09")) == (True, "工作日", False)
    assert cal.day_kind(D("2015-09-03"))[1].startswith("中国人民抗日战争暨世界反法西斯战争胜利")
    assert cal.day_kind(D("2027-02-09")) == (False, "补假（春节）", True)
    assert cal.day_kind(D("2027-02-06")) == (False, "春节", True)


def test_every_day_of_the_package_years_matches_is_workday() -> None:
    cal = WorkingCalendar()
    d = date(2004, 1, 1)
    while d <= LAST_PACKAGE_DAY:
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        assert cal.day_kind(d)[0] == chinese_calendar.is_workday(d)
        d += timedelta(days=1)


def _holiday_blocks(year: int) -> list[list[date]]:
    """Runs of consecutive rest days that contain a statutory holiday of the package."""
    blocks: list[list[date]] = []
    d = date(year, 1, 1)
    while d.year == year:
        if d in chinese_calendar.holidays:
            run = [d]
            while not chinese_calendar.is_workday(run[0] - timedelta(days=1)):
                run.insert(0, run[0] - timedelta(days=1))
            while run[-1] < LAST_PACKAGE_DAY and not chinese_calendar.is_workday(run[-1] + timedelta(days=1)):
                run.append(run[-1] + timedelta(days=1))
            blocks.append(run)
            d = run[-1]
        d += timedelta(days=1)
    return blocks


def _table_starts() -> list[date]:
    starts: set[date] = set()
    for year in (2025, 2026):
        for block in _holiday_blocks(year):
            starts.update(block)  # every rest-day start inside the block
            starts.add(block[0] - timedelta(days=1))  # the last working day before it
        for mk in (d for d in chinese_calendar.workdays if d.year == year):
            starts.update({mk - timedelta(days=1), mk, mk + timedelta(days=1)})
    return sorted(starts)


def test_table_covers_every_block_and_makeup_day_of_2025_2026() -> None:
    starts = set(_table_starts())
    assert len(_holiday_blocks(2025)) == 6  # 中秋 2025-10-06 lies inside the 国庆 block 10-01..10-08
    assert len(_holiday_blocks(2026)) == 7
    for mk in (d for d in chinese_calendar.workdays if d.year in (2025, 2026)):
        assert mk in starts


@pytest.mark.parametrize("n", [1, 3, 5, 20])
def test_table_blocks_and_makeup_days_2025_2026(cal: WorkingCalendar, n: int) -> None:
    checked = 0
    for start in _table_starts():
        oracle = naive_due(start, n)
        if oracle is None:
            continue
        r = cal.add_working_days(start, n)
        assert r.due == oracle[0], (start, n)
        assert [d for d, _ in r.skipped] == oracle[1], (start, n)
        assert r.provisional is False
        checked += 1
    assert checked > 100


KNOWN = [
    ("2025-01-24", 1, "2025-01-26"),  # Fri -> Sat off -> Sun 01-26 worked
    ("2025-01-27", 1, "2025-02-05"),  # 春节 01-28..02-04
    ("2025-01-28", 1, "2025-02-05"),  # from inside the block
    ("2025-02-07", 1, "2025-02-08"),  # Sat 02-08 worked
    ("2025-09-30", 1, "2025-10-09"),  # 国庆+中秋 10-01..10-08
    ("2025-10-01", 1, "2025-10-09"),
    ("2025-10-08", 5, "2025-10-14"),  # 10-11 Sat worked, 10-12 Sun off
    ("2026-02-13", 1, "2026-02-14"),
    ("2026-02-15", 1, "2026-02-24"),  # 春节 02-15..02-23
    ("2026-02-27", 1, "2026-02-28"),
    ("2026-02-27", 20, "2026-03-26"),
    ("2026-12-30", 1, "2026-12-31"),
]


@pytest.mark.parametrize(("start", "n", "due"), KNOWN)
def test_known_answers(cal: WorkingCalendar, start: str, n: int, due: str) -> None:
    assert cal.add_working_days(D(start), n).due == D(due)
    assert naive_due(D(start), n)[0] == D(due)  # type: ignore[index]


# --------------------------------------------------------------------------------------------------------------
# Properties against the package
# --------------------------------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(start=st.dates(date(2005, 1, 1), date(2026, 11, 30)), n=st.integers(1, 30))
def test_oracle_day_by_day(start: date, n: int) -> None:
    oracle = naive_due(start, n)
    assume(oracle is not None)
    assert oracle is not None
    r = _shared.add_working_days(start, n)
    assert r.due == oracle[0]
    assert [d for d, _ in r.skipped] == oracle[1]
    assert chinese_calendar.is_workday(r.due)
    assert r.provisional is False


_shared = WorkingCalendar()


def test_find_workday_trap_concrete(cal: WorkingCalendar) -> None:
    # a working-day start: the same
    assert chinese_calendar.find_workday(3, D("2026-09-29")) == cal.add_working_days(D("2026-09-29"), 3).due
    # a rest-day start: find_workday counts one working day too many (Art. 201: the start day never counts)
    assert cal.add_working_days(D("2026-10-03"), 3).due == D("2026-10-10")
    assert chinese_calendar.find_workday(3, D("2026-10-03")) == D("2026-10-12")
    assert cal.add_working_days(D("2026-03-07"), 1).due == D("2026-03-09")
    assert chinese_calendar.find_workday(1, D("2026-03-07")) == D("2026-03-10")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(start=st.dates(date(2025, 1, 1), date(2026, 11, 15)), n=st.integers(1, 20))
def test_find_workday_differs_only_for_rest_day_starts(start: date, n: int) -> None:
    assume(naive_due(start, n + 1) is not None)
    theirs = chinese_calendar.find_workday(n, start)
    ours = _shared.add_working_days(start, n).due
    if chinese_calendar.is_workday(start):
        assert theirs == ours
    else:
        assert theirs != ours
        assert theirs == _shared.add_working_days(start, n + 1).due


def test_no_package_function_is_called_for_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a: object, **k: object) -> None:
        raise AssertionError("chinese_calendar functions are not used for counting")

    for name in ("find_workday", "is_workday", "is_holiday", "get_holiday_detail"):
        monkeypatch.setattr(chinese_calendar, name, boom)
    fresh = WorkingCalendar()
    assert fresh.add_working_days(D("2026-09-29"), 3).due == D("2026-10-09")


# --------------------------------------------------------------------------------------------------------------
# Beyond the package: the provisional estimate
# --------------------------------------------------------------------------------------------------------------

STATUTORY_2027 = [
    "2027-01-01",
    "2027-02-05",
    "2027-02-06",
    "2027-02-07",
    "2027-02-08",
    "2027-04-05",
    "2027-05-01",
] + ["2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03"]


def test_2027_statutory_days_and_compensation() -> None:
    est = provisional_arrangement(2027)
    assert sorted(est.statutory) == [D(s) for s in STATUTORY_2027]
    weekend = sorted(d for d in est.statutory if d.weekday() >= 5)
    assert weekend == [
        D(s) for s in ("2027-02-06", "2027-02-07", "2027-05-01", "2027-05-02", "2027-10-02", "2027-10-03")
    ]
    assert est.compensation == {
        D("2027-02-09"): "补假（春节）",
        D("2027-02-10"): "补假（春节）",
        D("2027-05-03"): "补假（劳动节）",
        D("2027-05-04"): "补假（劳动节）",
        D("2027-10-04"): "补假（国庆节）",
        D("2027-10-05"): "补假（国庆节）",
    }
    assert est.statutory[D("2027-01-01")] == "元旦"
    assert est.statutory[D("2027-06-09")] == "端午节" and est.statutory[D("2027-09-15")] == "中秋节"
    # the lunar dates really are what lunardate says
    assert LunarDate(2027, 1, 1).to_solar_date() == D("2027-02-06")


def test_2027_in_the_calendar(cal: WorkingCalendar) -> None:
    assert cal.is_workday(D("2027-01-01")) is False
    assert cal.day_kind(D("2027-01-01"))[2] and not cal.day_kind(D("2026-12-31"))[2]
    for s in STATUTORY_2027 + [
        "2027-02-09",
        "2027-02-10",
        "2027-05-03",
        "2027-05-04",
        "2027-10-04",
        "2027-10-05",
    ]:
        assert cal.is_workday(D(s)) is False, s
    assert cal.is_workday(D("2027-02-11")) and cal.is_workday(D("2027-10-06"))
    assert cal.day_kind(D("2027-02-14")) == (False, "周日", True)  # no 调休 is guessed
    for d in (D("2027-01-02"), D("2027-01-03")):
        assert not cal.is_workday(d)


def test_december_2026_into_2027(cal: WorkingCalendar) -> None:
    r = cal.add_working_days(D("2026-12-29"), 3)
    assert r.due == D("2027-01-04") and r.provisional is True
    assert [d for d, _ in r.skipped] == [D("2027-01-01"), D("2027-01-02"), D("2027-01-03")]
    r = cal.add_working_days(D("2026-12-31"), 1)
    assert r.due == D("2027-01-04") and r.provisional is True
    r = cal.add_working_days(D("2026-12-29"), 2)
    assert r.due == D("2026-12-31") and r.provisional is False  # never left the package's years
    for k in range(15):
        start = D("2026-12-20") + timedelta(days=k)
        for n in range(1, 8):
            assert cal.add_working_days(start, n).due != D("2027-01-01")


def test_qingming_known_years_and_package_formula() -> None:
    for s in (
        "2025-04-04",
        "2026-04-05",
        "2027-04-05",
        "2028-04-04",
        "2008-04-04",
        "2016-04-04",
        "2019-04-05",
    ):
        assert qingming_date(D(s).year) == D(s)
    for y in range(1990, 2100):
        (pkg,) = [
            d for d, name in chinese_calendar.get_solar_terms(date(y, 4, 1), date(y, 4, 30)) if name == "清明"
        ]
        assert qingming_date(y) == pkg, y


def test_astronomical_lunar_months_agree_with_lunardate() -> None:
    # used after 2099, where lunardate stops; checked where both exist
    for y in range(1990, 2100):
        starts = estimate._astronomical_lunar_month_starts(y)
        assert date.fromordinal(starts[1]) == LunarDate(y, 1, 1).to_solar_date(), y
        assert date.fromordinal(starts[5] + 4) == LunarDate(y, 5, 5).to_solar_date(), y
        assert date.fromordinal(starts[8] + 14) == LunarDate(y, 8, 15).to_solar_date(), y


def _check_estimate(year: int) -> None:
    est = provisional_arrangement(year)
    names = list(est.statutory.values())
    assert 11 <= len(est.statutory) <= 13, year  # 13 unless two holidays share a day
    assert est.statutory[date(year, 1, 1)] == "元旦"
    assert all(
        est.statutory[date(year, 10, k)].endswith("国庆节") or "国庆节" in est.statutory[date(year, 10, k)]
        for k in (1, 2, 3)
    )
    spring = sorted(d for d, n in est.statutory.items() if "春节" in n)
    assert len(spring) == 4 and spring[-1] - spring[0] == timedelta(days=3)
    assert date(year, 1, 20) <= spring[0] <= date(year, 2, 19)
    assert sum("清明节" in n for n in names) == 1
    weekend_statutory = [d for d in est.statutory if d.weekday() >= 5]
    assert len(est.compensation) == len(weekend_statutory), year
    for d, why in est.compensation.items():
        assert d.weekday() < 5 and d not in est.statutory and why.startswith("补假（")


def test_estimate_is_sane_for_every_year_1990_2200() -> None:
    for year in range(1990, 2201):
        _check_estimate(year)


def test_estimate_when_two_holidays_share_a_day() -> None:
    est = provisional_arrangement(2020)  # 中秋 = 2020-10-01
    assert est.statutory[D("2020-10-01")] == "中秋节、国庆节"
    assert len(est.statutory) == 12
    # 除夕 01-24 Fri, 初一..初三 01-25 Sat..01-27 Mon -> 01-28, 01-29; 清明 04-04 Sat -> 04-06;
    # 05-02 Sat -> 05-04; 10-03 Sat after the block 10-01..10-03 -> Monday 10-05
    assert est.compensation == {
        D("2020-01-28"): "补假（春节）",
        D("2020-01-29"): "补假（春节）",
        D("2020-04-06"): "补假（清明节）",
        D("2020-05-04"): "补假（劳动节）",
        D("2020-10-05"): "补假（国庆节）",
    }


def test_every_year_1990_2200_answers_and_pre_2004_is_provisional() -> None:
    cal = WorkingCalendar()
    for year in range(1990, 2201):
        r = cal.add_working_days(date(year, 1, 1), 3)
        assert r.due.year == year and r.due > date(year, 1, 1)
        assert r.provisional is (year not in tables.PACKAGE_YEARS)
        assert cal.is_workday(date(year, 1, 1)) is False
    assert cal.add_working_days(D("2003-12-30"), 1).provisional is True  # due 2003-12-31, an estimated year
    assert (
        cal.add_working_days(D("2003-12-31"), 1).provisional is False
    )  # start day is not counted: all in 2004
    with pytest.raises(InvalidInput) as info:
        cal.add_working_days(date(1850, 1, 1), 1)
    assert info.value.key == "calendar_out_of_range" and info.value.params["first"] == 1900


def test_long_periods_extend_lazily() -> None:
    cal = WorkingCalendar()
    r = cal.add_working_days(D("2026-06-01"), 1000)
    assert r.provisional and r.due.year in (2030, 2031)
    d, count = D("2026-06-01"), 0
    while count < 1000:
        d += timedelta(days=1)
        count += cal.is_workday(d)
    assert d == r.due
    assert len(r.skipped) == (r.due - D("2026-06-01")).days - 1000


# --------------------------------------------------------------------------------------------------------------
# Official year files
# --------------------------------------------------------------------------------------------------------------

FILE_2027 = """\
year: 2027
notice: "测试用通知（非官方） 国务院办公厅关于2027年部分节假日安排的通知"
published: 2026-11-12
holidays:
  - {date: 2027-01-01, name: 元旦}
  - {date: 2027-01-04, name: 测试假日}
  - {from: 2027-02-05, to: 2027-02-12, name: 春节}
workdays:
  - {date: 2027-02-14, name: 春节调休}
"""


def test_year_file_overrides_the_estimate(tmp_path: Path) -> None:
    p = tmp_path / "2027.yaml"
    p.write_text(FILE_2027, encoding="utf-8")
    cal = WorkingCalendar()
    before = cal.add_working_days(D("2026-12-31"), 1)
    assert before.due == D("2027-01-04") and before.provisional
    old_version = cal.version

    arr = load_year_file(p)
    assert arr.year == 2027 and arr.published == D("2026-11-12") and arr.source == str(p)
    assert len(arr.holidays) == 10 and arr.workdays == {D("2027-02-14"): "春节调休"}
    cal.load(arr)
    after = cal.add_working_days(D("2026-12-31"), 1)
    assert after.due == D("2027-01-05") and after.provisional is False
    assert (D("2027-01-04"), "测试假日") in after.skipped
    assert cal.version == f"{old_version}+2027:{arr.digest}" != old_version
    assert after.calendar_version == cal.version and before.calendar_version == old_version
    assert cal.day_kind(D("2027-02-14")) == (True, "春节调休", False)
    assert cal.is_workday(D("2027-02-10")) is False and cal.is_workday(D("2027-02-15")) is True
    assert "2027: official (notice 测试用通知" in "\n".join(cal.status(D("2027-03-01")))
    assert "2028: provisional (estimated" in "\n".join(cal.status(D("2027-03-01")))
    assert not cal.day_kind(D("2027-06-01"))[2] and cal.day_kind(D("2028-01-01"))[2]

    # replacing the year: new digest, new version; same content from elsewhere: same digest
    changed = parse_year(
        {"year": 2027, "notice": "another", "holidays": [{"date": D("2027-01-01"), "name": "元旦"}]}
    )
    cal.load(changed)
    assert cal.version == f"{old_version}+2027:{changed.digest}"
    assert cal.add_working_days(D("2026-12-31"), 1).due == D("2027-01-04")
    same = parse_year(__import__("yaml").safe_load(FILE_2027), source="elsewhere")
    assert same.digest == arr.digest
    assert WorkingCalendar([arr]).version == WorkingCalendar([same]).version


def test_year_file_in_the_constructor_and_dir(tmp_path: Path) -> None:
    (tmp_path / "2027.yaml").write_text(FILE_2027, encoding="utf-8")
    (tmp_path / "2028.yaml").write_text("year: 2028\nnotice: test\n", encoding="utf-8")
    arrs = load_year_dir(tmp_path)
    assert [a.year for a in arrs] == [2027, 2028]
    cal = WorkingCalendar(arrs)
    assert cal.version.count("+") == 2 and "+2027:" in cal.version and "+2028:" in cal.version
    # 2028 is official with no holidays at all: weekends only
    assert cal.is_workday(D("2028-01-03")) and not cal.day_kind(D("2028-01-03"))[2]
    (tmp_path / "again.yaml").write_text("year: 2028\nnotice: other\n", encoding="utf-8")
    with pytest.raises(CalendarDataError, match="year"):
        load_year_dir(tmp_path)


def test_a_package_year_cannot_be_overridden() -> None:
    arr = parse_year({"year": 2026, "notice": "x"})
    with pytest.raises(CalendarDataError, match=r"year: 2026 is covered by chinese_calendar"):
        WorkingCalendar().load(arr)


BASE = {"year": 2027, "notice": "n"}
BAD = [
    ({"notice": "n"}, "year", "missing"),
    ({"year": 2027}, "notice", "missing"),
    ({**BASE, "notice": "  "}, "notice", "text"),
    ({**BASE, "year": "2027"}, "year", "not a year"),
    ({**BASE, "year": True}, "year", "not a year"),
    ({**BASE, "holiday": []}, "holiday", "unknown key"),
    ({**BASE, "published": "2026-11-xx"}, "published", "not a date"),
    ({**BASE, "holidays": {"date": "2027-01-01"}}, "holidays", "list"),
    ({**BASE, "holidays": ["2027-01-01"]}, "holidays[0]", "mapping"),
    ({**BASE, "holidays": [{"date": D("2027-01-01"), "nmae": "元旦"}]}, "holidays[0].nmae", "unknown key"),
    ({**BASE, "holidays": [{"date": D("2027-01-01")}]}, "holidays[0].name", "missing"),
    ({**BASE, "holidays": [{"date": D("2026-12-31"), "name": "x"}]}, "holidays[0].date", "not in 2027"),
    ({**BASE, "holidays": [{"date": "2027-13-01", "name": "x"}]}, "holidays[0].date", "not a date"),
    (
        {**BASE, "holidays": [{"date": datetime(2027, 1, 1, 9), "name": "x"}]},
        "holidays[0].date",
        "time of day",
    ),
    (
        {**BASE, "holidays": [{"from": D("2027-02-12"), "to": D("2027-02-05"), "name": "x"}]},
        "holidays[0].to",
        "before",
    ),
    (
        {**BASE, "holidays": [{"from": D("2027-12-30"), "to": D("2028-01-02"), "name": "x"}]},
        "holidays[0].to",
        "not in 2027",
    ),
    ({**BASE, "holidays": [{"from": D("2027-02-05"), "name": "x"}]}, "holidays[0].to", "missing"),
    (
        {
            **BASE,
            "holidays": [
                {"date": D("2027-01-01"), "from": D("2027-01-01"), "to": D("2027-01-02"), "name": "x"}
            ],
        },
        "holidays[0].date",
        "not both",
    ),
    (
        {
            **BASE,
            "holidays": [
                {"from": D("2027-02-05"), "to": D("2027-02-08"), "name": "春节"},
                {"date": D("2027-02-06"), "name": "春节"},
            ],
        },
        "holidays[1].date",
        "already listed",
    ),
    (
        {**BASE, "workdays": [{"date": D("2027-02-15"), "name": "春节调休"}]},
        "workdays[0].date",
        "2027-02-15 is a Monday; a make-up workday must fall on a weekend",
    ),
    (
        {
            **BASE,
            "holidays": [{"date": D("2027-02-14"), "name": "春节"}],
            "workdays": [{"date": D("2027-02-14"), "name": "春节调休"}],
        },
        "workdays[0].date",
        "also a holiday",
    ),
    (
        {**BASE, "workdays": [{"date": D("2026-12-26"), "name": "元旦调休"}]},
        "workdays[0].date",
        "not in 2027",
    ),
    ([1, 2], "(top level)", "mapping"),  # the message says where; the field is the file as a whole
]


@pytest.mark.parametrize(("mapping", "field", "words"), BAD)
def test_validation_names_the_field(mapping: object, field: str, words: str) -> None:
    with pytest.raises(CalendarDataError) as info:
        parse_year(mapping, source="2027.yaml")
    msg = str(info.value)
    assert msg.startswith(f"2027.yaml: {field}: "), msg
    assert words in msg
    assert "\n" not in msg
    assert info.value.field == ("file" if field.startswith("(") else field) and info.value.source == "2027.yaml"
    assert isinstance(info.value, InvalidInput) and info.value.key == "year_file_invalid"
    assert info.value.params["source"] == "2027.yaml" and info.value.params["problem"] in msg


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("year: 2027\nnotice: a\nnotice: b\n", "duplicate key 'notice'"),
        ("year: 2027\nnotice: [unclosed\n", "invalid YAML at line"),
        (
            "year: 2027\nnotice: n\nworkdays:\n  - {date: 2027-02-15, name: 春节调休}\n",
            "workdays[0].date: 2027-02-15 is a Monday; a make-up workday must fall on a weekend",
        ),
    ],
)
def test_year_file_errors_are_one_line(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / "2027.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError) as info:
        load_year_file(p)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert str(info.value).startswith(str(p))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarDataError, match="cannot read"):
        load_year_file(tmp_path / "nope.yaml")


def test_no_year_data_ships() -> None:
    years_dir = Path(calmod.__file__).parent / "years"
    assert (years_dir / "README.md").is_file()
    assert list(years_dir.glob("*.yaml")) == []


def test_year_arrangement_is_frozen() -> None:
    arr = parse_year({"year": 2027, "notice": "n"})
    assert isinstance(arr, YearArrangement) and arr.holidays == {} and arr.published is None
    with pytest.raises(AttributeError):
        arr.year = 2028  # type: ignore[misc]
    assert len(arr.digest) == 12 and hash(arr) == hash(parse_year({"year": 2027, "notice": "n"}, source="b"))


def test_year_text_from_bytes_or_str_and_refused_when_not_utf8() -> None:
    a = read_year_text(FILE_2027.encode("utf-8"), "upload")
    b = read_year_text(FILE_2027, "elsewhere")
    assert a.digest == b.digest and a.source == "upload"
    with pytest.raises(CalendarDataError) as info:
        read_year_text(b"year: 2027\nnotice: \xff\n", "upload")
    assert str(info.value).startswith("upload: (file): not UTF-8 text") and info.value.field == "file"


def test_a_stored_year_reads_back_to_the_same_content() -> None:
    arr = read_year_text(FILE_2027, "2027.yaml")
    back = year_from_stored({"content": arr.canonical(), "source": "2027.yaml"})
    assert back == arr and back.digest == arr.digest
    assert year_from_stored({"content": arr.canonical(), "source": None}).source == "database:2027"


def test_with_years_and_the_year_book_leave_the_base_calendar_alone() -> None:
    base = WorkingCalendar(close_of_business=time(17, 30))
    arr = YEAR_BOOK.read(FILE_2027, "2027.yaml")
    more = YEAR_BOOK.calendar_with(base, [arr])
    assert more is not base and more.close_of_business == time(17, 30)
    assert more.version == f"{base.version}+2027:{arr.digest}" and base.version == f"cc{tables.PACKAGE_VERSION}"
    assert not more.day_kind(D("2027-06-01"))[2] and base.day_kind(D("2027-06-01"))[2]
    changed = YEAR_BOOK.stored({"content": parse_year({"year": 2027, "notice": "n"}).canonical(), "source": "db"})
    assert YEAR_BOOK.calendar_with(more, [changed]).version == f"{base.version}+2027:{changed.digest}"
    with pytest.raises(TypeError):
        YEAR_BOOK.calendar_with(object(), [arr])


def test_the_estimate_refuses_years_it_cannot_answer_for() -> None:
    with pytest.raises(InvalidInput) as info:
        provisional_arrangement(estimate.MAX_YEAR + 1)
    assert (info.value.key, info.value.field) == ("calendar_year_out_of_range", "year")


# --------------------------------------------------------------------------------------------------------------
# Instants, arguments, status
# --------------------------------------------------------------------------------------------------------------


def test_due_at_is_midnight_after_the_due_day_in_shanghai(cal: WorkingCalendar) -> None:
    r = cal.add_working_days(D("2026-09-29"), 3)
    assert r.due_at == datetime(2026, 10, 10, 0, 0, tzinfo=BEIJING)
    assert r.due_at.utcoffset() == timedelta(hours=8)
    assert r.due_at.astimezone(UTC) == datetime(2026, 10, 9, 16, 0, tzinfo=UTC)


def test_due_at_close_of_business() -> None:
    cal = WorkingCalendar(close_of_business=time(17, 30))
    r = cal.add_working_days(D("2026-09-29"), 3)
    assert r.due_at == datetime(2026, 10, 9, 17, 30, tzinfo=BEIJING)
    assert "截止2026-10-09 17:30（北京时间）" in r.explain()
    with pytest.raises(ValueError):
        WorkingCalendar(close_of_business=time(17, 30, tzinfo=UTC))


def test_due_from_uses_the_beijing_date(cal: WorkingCalendar) -> None:
    # 2026-09-28 17:00 UTC is 2026-09-29 01:00 in Beijing: the start day is 09-29
    r = cal.due_from(datetime(2026, 9, 28, 17, 0, tzinfo=UTC), 3)
    assert r.start == D("2026-09-29") and r.due == D("2026-10-09")
    r = cal.due_from(datetime(2026, 9, 28, 15, 59, tzinfo=UTC), 3)
    assert r.start == D("2026-09-28") and r.due == D("2026-10-08")
    with pytest.raises(ValueError):
        cal.due_from(datetime(2026, 9, 29, 9, 0), 3)


@pytest.mark.parametrize("n", [0, -1])
def test_n_must_be_positive(cal: WorkingCalendar, n: int) -> None:
    with pytest.raises(InvalidInput) as info:
        cal.add_working_days(D("2026-09-29"), n)
    assert (info.value.key, info.value.field, info.value.params) == (
        "working_days_too_few", "working_days", {"working_days": n})


def test_argument_types(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        cal.add_working_days(datetime(2026, 9, 29, tzinfo=BEIJING), 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cal.add_working_days(D("2026-09-29"), True)
    with pytest.raises(TypeError):
        cal.is_workday(datetime(2026, 10, 1, 12))
    assert cal.is_workday(datetime(2026, 9, 30, 17, 0, tzinfo=UTC)) is False  # = 10-01 in Beijing


def test_due_date_is_a_value(cal: WorkingCalendar) -> None:
    a, b = cal.add_working_days(D("2026-09-29"), 3), cal.add_working_days(D("2026-09-29"), 3)
    assert isinstance(a, DueDate) and a == b and hash(a) == hash(b)


def test_status_warns_in_november_when_next_year_is_not_official(tmp_path: Path) -> None:
    cal = WorkingCalendar()
    lines = cal.status(D("2026-11-20"))
    assert "2026: official (package)" in lines
    assert any(line.startswith("2027: provisional") for line in lines)
    assert any(line.startswith("WARNING") and "2027" in line for line in lines)
    assert not any(line.startswith("WARNING") for line in cal.status(D("2026-06-01")))
    assert not any(
        line.startswith("WARNING") for line in cal.status(D("2025-12-01"))
    )  # 2026 is in the package
    cal.load(parse_year({"year": 2027, "notice": "通知"}))
    assert not any(line.startswith("WARNING") for line in cal.status(D("2026-12-01")))
    assert any("2027: official (notice 通知)" == line for line in cal.status(D("2026-12-01")))
    lines = cal.status(D("2028-03-01"))
    assert any(line.startswith("WARNING") and "current year 2028" in line for line in lines)


def test_years_labels() -> None:
    cal = WorkingCalendar()
    assert cal.status(D("2005-06-01"))[1:] == ["2004: official (package)", "2005: official (package)",
                                               "2006: official (package)"]
    assert cal.status(D("2026-06-01"))[3].startswith("2027: provisional")
    assert cal.status(D("2000-06-01"))[1].startswith("1999: provisional")


def test_concurrent_extension_gives_the_same_answers() -> None:
    starts = [date(1990 + (k * 7) % 211, 1 + k % 12, 1 + k % 28) for k in range(400)]
    expected = [WorkingCalendar().add_working_days(s, 5).due for s in starts[:50]]
    shared = WorkingCalendar()
    results: dict[int, list[date]] = {}
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            order = starts[t::4] + starts[:t]
            for s in order:
                shared.add_working_days(s, 5)
            results[t] = [shared.add_working_days(s, 5).due for s in starts[:50]]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert all(r == expected for r in results.values())
