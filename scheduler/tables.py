"""Per-year tables of working days, and the immutable snapshot the working calendar reads.

A year's days come from ``chinese_calendar``'s own tables (read, never written), from an official year file, or from
the provisional estimate; each year is precomputed once into sorted ordinals, and a snapshot joins contiguous years.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import chinese_calendar

from scheduler.estimate import provisional_arrangement
from scheduler.yearfiles import YearArrangement

_WEEKEND_CN = {5: "周六", 6: "周日"}
WORKDAY_LABEL = "工作日"

# --------------------------------------------------------------------------------------------------------------
# chinese_calendar: read its tables, never write them
# --------------------------------------------------------------------------------------------------------------

PACKAGE_VERSION: str = chinese_calendar.__version__
_PKG_HOLIDAYS: Mapping[date, str] = chinese_calendar.holidays
_PKG_WORKDAYS: Mapping[date, str] = chinese_calendar.workdays
# the same bounds chinese_calendar itself checks (utils._validate_date): min/max year of its holidays table
PACKAGE_YEARS = range(min(_PKG_HOLIDAYS).year, max(_PKG_HOLIDAYS).year + 1)

_PKG_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    # 2015-09-03 only (国发〔2015〕41号): the 70th anniversary, so the package's own Chinese name is kept
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _package_name(english: str) -> str:
    if english in _PKG_NAMES:
        return _PKG_NAMES[english]
    try:  # a name added by a later package version
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


# --------------------------------------------------------------------------------------------------------------
# Per-year tables and the snapshot the calendar reads
# --------------------------------------------------------------------------------------------------------------

PACKAGE, NOTICE, PROVISIONAL = "package", "notice", "provisional"


@dataclass(frozen=True)
class YearTable:
    year: int
    kind: str
    workdays: tuple[int, ...]  # ordinals, ascending
    rest: tuple[tuple[date, str], ...]  # ascending, with the reason
    makeup: dict[int, str]  # ordinal -> label, for weekend days that are worked


def build_year(year: int, official: YearArrangement | None) -> YearTable:
    if year in PACKAGE_YEARS:
        kind, off, on = PACKAGE, None, None
    elif official is not None:
        kind, off, on = NOTICE, official.holidays, official.workdays
    else:
        est = provisional_arrangement(year)
        kind, off, on = PROVISIONAL, est.rest_days(), {}
    workdays: list[int] = []
    rest: list[tuple[date, str]] = []
    makeup: dict[int, str] = {}
    for o in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
        d = date.fromordinal(o)
        if kind == PACKAGE:
            # exactly chinese_calendar.is_workday: in workdays, or a weekday not in holidays
            if d in _PKG_WORKDAYS:
                workdays.append(o)
                makeup[o] = f"{_package_name(_PKG_WORKDAYS[d])}调休上班"
            elif d in _PKG_HOLIDAYS:
                rest.append((d, _package_name(_PKG_HOLIDAYS[d])))
            elif d.weekday() >= 5:
                rest.append((d, _WEEKEND_CN[d.weekday()]))
            else:
                workdays.append(o)
        else:
            assert off is not None and on is not None
            if d in on:
                workdays.append(o)
                makeup[o] = on[d]
            elif d in off:
                rest.append((d, off[d]))
            elif d.weekday() >= 5:
                rest.append((d, _WEEKEND_CN[d.weekday()]))
            else:
                workdays.append(o)
    return YearTable(year, kind, tuple(workdays), tuple(rest), makeup)


class Snapshot:
    """An immutable view over the contiguous years lo..hi; replaced whole, never mutated (lock-free reads)."""

    __slots__ = (
        "lo",
        "hi",
        "wd",
        "wd_dates",
        "rest_ord",
        "rest",
        "makeup",
        "provisional",
        "prov_years",
        "version",
    )

    def __init__(self, lo: int, hi: int, tables: list[YearTable], version: str) -> None:
        self.lo, self.hi, self.version = lo, hi, version
        self.wd: list[int] = []
        self.rest: list[tuple[date, str]] = []
        self.makeup: dict[int, str] = {}
        prov: set[int] = set()
        for t in tables:
            self.wd.extend(t.workdays)
            self.rest.extend(t.rest)
            self.makeup.update(t.makeup)
            if t.kind == PROVISIONAL:
                prov.add(t.year)
        self.rest_ord = [d.toordinal() for d, _ in self.rest]
        self.provisional = frozenset(prov)
        self.prov_years = sorted(prov)
        self.wd_dates = [date.fromordinal(o) for o in self.wd]

    def covers(self, lo: int, hi: int) -> bool:
        return self.lo <= lo and hi <= self.hi
