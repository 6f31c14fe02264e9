"""The Chinese working-day calendar and the deadline arithmetic of 《民法典》 Art. 201–203.

Counting rule: the start day never counts (also when it is a rest day); counting begins the next day; day N is the
N-th working day after the start date; the period ends at 24:00 Beijing time of day N (= 00:00 of the next calendar
day, Asia/Shanghai), or at the configured close of business on day N.

Where working days come from, per year:

* years ``chinese_calendar`` covers (2004–2026 in 1.11.0): its holiday / make-up workday tables, read, never patched;
* other years with an official arrangement loaded (a year file, see ``scheduler/years/README.md``): that file;
* any other year (before 2004, or 2027+ until the State Council's notice is loaded): a **provisional** estimate from
  《全国年节及纪念日放假办法》 (2024): its statutory days, its Art. 6 补假 rule, and weekends; no 调休 is guessed.

Everything is precomputed per year into sorted arrays of day ordinals, so a due date is a bisect and an index, not a
day-by-day walk (``chinese_calendar.find_workday`` walks, and counts one day too many from a rest day: not used).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml
from lunardate import LunarDate

__all__ = [
    "SHANGHAI",
    "MIN_YEAR",
    "MAX_YEAR",
    "CalendarDataError",
    "YearArrangement",
    "ProvisionalYear",
    "DueDate",
    "WorkingCalendar",
    "parse_year",
    "load_year_file",
    "load_year_dir",
    "provisional_arrangement",
    "qingming_date",
]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

#: the years a calendar can answer for (the astronomy and the lunar tables are fine well beyond 1990–2200)
MIN_YEAR = 1900
MAX_YEAR = 2299

_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKEND_CN = {5: "周六", 6: "周日"}
WORKDAY_LABEL = "工作日"


class CalendarDataError(ValueError):
    """Bad holiday-arrangement data. The message is one line naming the source and the field."""

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.source = source


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
# Official year files (国务院办公厅关于部分节假日安排的通知)
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearArrangement:
    """One year's official arrangement: rest days (with names) and 调休 make-up workdays (with names)."""

    year: int
    notice: str
    published: date | None
    holidays: dict[date, str]
    workdays: dict[date, str]
    source: str = "<mapping>"

    def canonical(self) -> str:
        """The content that matters (not where it was read from), as canonical JSON."""
        return json.dumps(
            {
                "year": self.year,
                "notice": self.notice,
                "published": self.published.isoformat() if self.published else None,
                "holidays": [[d.isoformat(), n] for d, n in sorted(self.holidays.items())],
                "workdays": [[d.isoformat(), n] for d, n in sorted(self.workdays.items())],
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    @property
    def digest(self) -> str:
        """sha256 of the canonical content, first 12 hex digits."""
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()[:12]

    def __hash__(self) -> int:
        return hash((self.year, self.digest))


_TOP_KEYS = ("year", "notice", "published", "holidays", "workdays")
_ENTRY_KEYS = ("date", "from", "to", "name")


def _as_date(value: Any, fail: Any, field: str) -> date:
    if isinstance(value, datetime):
        fail(field, f"{value.isoformat()} has a time of day; give a date like 2027-01-01")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            if len(value.strip()) != 10:
                raise ValueError
            return date.fromisoformat(value.strip())
        except ValueError:
            fail(field, f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-01")
    fail(field, f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-01")
    raise AssertionError  # unreachable: fail raises


def _parse_entries(items: Any, key: str, year: int, fail: Any) -> tuple[dict[date, str], dict[date, str]]:
    """-> ({date: name}, {date: the field that listed it, e.g. holidays[1].from})."""
    if items is None:
        return {}, {}
    if not isinstance(items, list):
        fail(
            key,
            f"expected a list of entries like {{date: {year}-01-01, name: 元旦}}, got {type(items).__name__}",
        )
    days: dict[date, str] = {}
    where: dict[date, str] = {}
    for i, entry in enumerate(items):
        path = f"{key}[{i}]"
        if not isinstance(entry, Mapping):
            fail(path, f"expected a mapping like {{date: {year}-01-01, name: 元旦}}, got {entry!r}")
        for k in entry:
            if k not in _ENTRY_KEYS:
                fail(f"{path}.{k}", "unknown key; allowed: date, or from + to, and name")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            fail(f"{path}.name", "missing or empty; every entry needs a name (e.g. 春节)")
        name = name.strip()
        if "date" in entry:
            if "from" in entry or "to" in entry:
                fail(f"{path}.date", "give either date, or from + to, not both")
            d = _as_date(entry["date"], fail, f"{path}.date")
            span = [(d, f"{path}.date")]
        elif "from" in entry and "to" in entry:
            first = _as_date(entry["from"], fail, f"{path}.from")
            last = _as_date(entry["to"], fail, f"{path}.to")
            if last < first:
                fail(f"{path}.to", f"{last} is before from ({first})")
            for f_, d in ((f"{path}.from", first), (f"{path}.to", last)):
                if d.year != year:
                    fail(f_, f"{d} is not in {year} (the file's year)")
            span = [(first + timedelta(days=k), f"{path}.from") for k in range((last - first).days + 1)]
        else:
            missing = "to" if "from" in entry else "from" if "to" in entry else "date"
            fail(f"{path}.{missing}", "missing; give either date, or from + to")
        for d, f_ in span:
            if d.year != year:
                fail(f_, f"{d} is not in {year} (the file's year)")
            if d in days:
                fail(f_, f"{d} is already listed in {where[d]}")
            days[d] = name
            where[d] = f_
    return days, where


def parse_year(mapping: Any, source: str = "<mapping>") -> YearArrangement:
    """Validate one year's arrangement (the parsed YAML mapping); raise CalendarDataError naming the field."""

    def fail(field: str, message: str) -> None:
        raise CalendarDataError(f"{source}: {field}: {message}", field=field, source=source)

    if not isinstance(mapping, Mapping):
        fail(
            "(top level)",
            f"expected a mapping with keys {', '.join(_TOP_KEYS)}, got {type(mapping).__name__}",
        )
    for k in mapping:
        if k not in _TOP_KEYS:
            fail(str(k), f"unknown key; allowed: {', '.join(_TOP_KEYS)}")
    if "year" not in mapping:
        fail("year", "missing; the year this arrangement is for, e.g. year: 2027")
    year = mapping["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        fail("year", f"{year!r} is not a year; write e.g. year: 2027")
    if not MIN_YEAR <= year <= MAX_YEAR:
        fail("year", f"{year} is outside the supported years {MIN_YEAR}–{MAX_YEAR}")
    if "notice" not in mapping:
        fail(
            "notice",
            "missing; cite the notice, e.g. 国办发明电〔2026〕N号 国务院办公厅关于2027年部分节假日安排的通知",
        )
    notice = mapping["notice"]
    if not isinstance(notice, str) or not notice.strip():
        fail("notice", "must be the notice's number and title as text")
    published = mapping.get("published")
    if published is not None:
        published = _as_date(published, fail, "published")
    holidays, h_where = _parse_entries(mapping.get("holidays"), "holidays", year, fail)
    workdays, w_where = _parse_entries(mapping.get("workdays"), "workdays", year, fail)
    for d in sorted(workdays):
        f_ = w_where[d]
        if d in holidays:
            fail(f_, f"{d} is also a holiday in {h_where[d]}; a day is either off or a make-up workday")
        if d.weekday() < 5:
            fail(f_, f"{d} is a {_WEEKDAY_EN[d.weekday()]}; a make-up workday must fall on a weekend")
    return YearArrangement(
        year=year,
        notice=" ".join(notice.split()),
        published=published,
        holidays=dict(sorted(holidays.items())),
        workdays=dict(sorted(workdays.items())),
        source=source,
    )


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    dup = key in seen
                    seen.add(key)
                except TypeError:
                    continue
                if dup:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)


def load_year_file(path: str | Path) -> YearArrangement:
    """Read and validate one YAML year file (format: scheduler/years/README.md)."""
    p = Path(path)
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CalendarDataError(f"{source}: (file): not UTF-8 text ({exc.reason})", source=source) from exc
    except OSError as exc:
        raise CalendarDataError(
            f"{source}: (file): cannot read: {exc.strerror or exc}", source=source
        ) from exc
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        msg = " ".join(f"{source}: (yaml): invalid YAML{where}: {problem}".split())
        raise CalendarDataError(msg, field="(yaml)", source=source) from exc
    return parse_year(data, source=source)


def load_year_dir(directory: str | Path) -> list[YearArrangement]:
    """Every ``*.yaml`` in a directory, validated; two files for the same year are refused."""
    found: dict[int, YearArrangement] = {}
    for p in sorted(Path(directory).glob("*.yaml")):
        arr = load_year_file(p)
        if arr.year in found:
            raise CalendarDataError(
                f"{p}: year: {arr.year} is also given by {found[arr.year].source}",
                field="year",
                source=str(p),
            )
        found[arr.year] = arr
    return [found[y] for y in sorted(found)]


# --------------------------------------------------------------------------------------------------------------
# Astronomy for the provisional estimate (清明 every year; lunar months where lunardate stops, i.e. after 2099)
# Low-precision solar longitude (Meeus, Astronomical Algorithms ch. 25, ~0.01°) and mean new moon with periodic
# terms (ch. 49, ~1 min). Checked in the tests against chinese_calendar's 清明 (1990–2099) and lunardate's
# 春节/端午/中秋 (1990–2099).
# --------------------------------------------------------------------------------------------------------------

_JD_AT_ORDINAL_0 = 1721424.5  # Julian Day at 00:00 UT of proleptic-Gregorian ordinal 0
_SYNODIC = 29.530588861


def _delta_t_days(year: int) -> float:
    """TT - UT (Espenak & Meeus polynomials; a minute off does not matter here)."""
    if 2005 <= year <= 2050:
        t = year - 2000
        seconds = 62.92 + 0.32217 * t + 0.005589 * t * t
    else:
        u = (year - 1820) / 100
        seconds = -20 + 32 * u * u
        if 2050 < year < 2150:
            seconds -= 0.5628 * (2150 - year)
    return seconds / 86400.0


def _sun_longitude(jde: float) -> float:
    t = (jde - 2451545.0) / 36525.0
    l0 = 280.46646 + 36000.76983 * t + 0.0003032 * t * t
    m = math.radians(357.52911 + 35999.05029 * t - 0.0001537 * t * t)
    c = (
        (1.914602 - 0.004817 * t - 0.000014 * t * t) * math.sin(m)
        + (0.019993 - 0.000101 * t) * math.sin(2 * m)
        + 0.000289 * math.sin(3 * m)
    )
    omega = math.radians(125.04 - 1934.136 * t)
    return (l0 + c - 0.00569 - 0.00478 * math.sin(omega)) % 360.0


def _solar_term_jde(longitude: float, guess_jde: float) -> float:
    jde = guess_jde
    for _ in range(60):
        diff = (longitude - _sun_longitude(jde) + 180.0) % 360.0 - 180.0
        jde += diff * 365.2422 / 360.0
        if abs(diff) < 1e-7:
            break
    return jde


def _beijing_ordinal(jde: float, year: int) -> int:
    """The Asia/Shanghai (UTC+8) calendar day, as an ordinal, of an instant given in TT."""
    return math.floor(jde - _delta_t_days(year) - _JD_AT_ORDINAL_0 + 8.0 / 24.0)


def qingming_date(year: int) -> date:
    """清明: the day (Beijing time) the Sun's apparent longitude reaches 15°."""
    guess = date(year, 4, 5).toordinal() + _JD_AT_ORDINAL_0
    return date.fromordinal(_beijing_ordinal(_solar_term_jde(15.0, guess), year))


# (coefficient, power of E, multiples of M, M', F, Ω)
_NEW_MOON_TERMS = (
    (-0.40720, 0, 0, 1, 0, 0),
    (0.17241, 1, 1, 0, 0, 0),
    (0.01608, 0, 0, 2, 0, 0),
    (0.01039, 0, 0, 0, 2, 0),
    (0.00739, 1, -1, 1, 0, 0),
    (-0.00514, 1, 1, 1, 0, 0),
    (0.00208, 2, 2, 0, 0, 0),
    (-0.00111, 0, 0, 1, -2, 0),
    (-0.00057, 0, 0, 1, 2, 0),
    (0.00056, 1, 1, 2, 0, 0),
    (-0.00042, 0, 0, 3, 0, 0),
    (0.00042, 1, 1, 0, 2, 0),
    (0.00038, 1, 1, 0, -2, 0),
    (-0.00024, 1, -1, 2, 0, 0),
    (-0.00017, 0, 0, 0, 0, 1),
    (-0.00007, 0, 2, 1, 0, 0),
    (0.00004, 0, 0, 2, -2, 0),
    (0.00004, 0, 3, 0, 0, 0),
    (0.00003, 0, 1, 1, -2, 0),
    (0.00003, 0, 0, 2, 2, 0),
    (-0.00003, 0, 1, 1, 2, 0),
    (0.00003, 0, -1, 1, 2, 0),
    (-0.00002, 0, -1, 1, -2, 0),
    (-0.00002, 0, 1, 3, 0, 0),
    (0.00002, 0, 0, 4, 0, 0),
)
_PLANETARY_TERMS = (
    (299.77, 0.107408, 0.000325),
    (251.88, 0.016321, 0.000165),
    (251.83, 26.651886, 0.000164),
    (349.42, 36.412478, 0.000126),
    (84.66, 18.206239, 0.000110),
    (141.74, 53.303771, 0.000062),
    (207.14, 2.453732, 0.000060),
    (154.84, 7.306860, 0.000056),
    (34.52, 27.261239, 0.000047),
    (207.19, 0.121824, 0.000042),
    (291.34, 1.844379, 0.000040),
    (161.72, 24.198154, 0.000037),
    (239.56, 25.513099, 0.000035),
    (331.55, 3.592518, 0.000023),
)


def _new_moon_jde(k: int) -> float:
    t = k / 1236.85
    jde = 2451550.09766 + _SYNODIC * k + 0.00015437 * t**2 - 0.000000150 * t**3 + 0.00000000073 * t**4
    e = 1 - 0.002516 * t - 0.0000074 * t * t
    m = math.radians(2.5534 + 29.10535670 * k - 0.0000014 * t**2 - 0.00000011 * t**3)
    mp = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * t**2 + 0.00001238 * t**3 - 0.000000058 * t**4)
    f = math.radians(160.7108 + 390.67050284 * k - 0.0016118 * t**2 - 0.00000227 * t**3 + 0.000000011 * t**4)
    om = math.radians(124.7746 - 1.56375588 * k + 0.0020672 * t**2 + 0.00000215 * t**3)
    for coef, pe, a, b, c, d in _NEW_MOON_TERMS:
        jde += coef * e**pe * math.sin(a * m + b * mp + c * f + d * om)
    for i, (a0, a1, coef) in enumerate(_PLANETARY_TERMS):
        arg = a0 + a1 * k - (0.009173 * t * t if i == 0 else 0.0)
        jde += coef * math.sin(math.radians(arg))
    return jde


def _astronomical_lunar_month_starts(lunar_year: int) -> dict[int, int]:
    """Month number -> ordinal of its 1st day (Beijing time), for the ordinary months 1..10 of a lunar year.

    The rules of GB/T 33661-2017: a month starts on the day of the new moon; month 11 holds the winter solstice;
    in a 冬至-to-冬至 span with 13 months, the first month without a principal term (中气) is the leap month.
    """
    ws_jde = [
        _solar_term_jde(270.0, date(y, 12, 21).toordinal() + _JD_AT_ORDINAL_0)
        for y in (lunar_year - 1, lunar_year)
    ]
    ws1, ws2 = (_beijing_ordinal(j, lunar_year) for j in ws_jde)
    k0 = math.floor((ws_jde[0] - 2451550.09766) / _SYNODIC) - 1
    moons = [_beijing_ordinal(_new_moon_jde(k), lunar_year) for k in range(k0, k0 + 16)]
    a = max(i for i, o in enumerate(moons) if o <= ws1)
    b = max(i for i, o in enumerate(moons) if o <= ws2)
    leap_span = b - a == 13
    principal = [
        _beijing_ordinal(_solar_term_jde((270.0 + 30 * j) % 360, ws_jde[0] + j * 30.44), lunar_year)
        for j in range(13)
    ]
    starts: dict[int, int] = {}
    number, leap_seen = 11, False
    for i in range(a + 1, b):
        first, nxt = moons[i], moons[i + 1]
        if leap_span and not leap_seen and not any(first <= z < nxt for z in principal):
            leap_seen = True
            continue
        number = number % 12 + 1
        starts.setdefault(number, first)
    return starts


def _lunar_festivals(year: int) -> tuple[date, date, date]:
    """(正月初一, 五月初五, 八月十五) of the lunar year that begins in Gregorian `year`."""
    if 1900 <= year <= 2099:  # lunardate's range
        return (
            LunarDate(year, 1, 1).to_solar_date(),
            LunarDate(year, 5, 5).to_solar_date(),
            LunarDate(year, 8, 15).to_solar_date(),
        )
    starts = _astronomical_lunar_month_starts(year)
    return (
        date.fromordinal(starts[1]),
        date.fromordinal(starts[5] + 4),
        date.fromordinal(starts[8] + 14),
    )


# --------------------------------------------------------------------------------------------------------------
# The provisional estimate: 《全国年节及纪念日放假办法》 (as amended 2024), Art. 2 and Art. 6
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionalYear:
    """The estimate for one year: statutory rest days and their Art. 6 补假 (compensation) days."""

    year: int
    statutory: dict[date, str]
    compensation: dict[date, str]

    def rest_days(self) -> dict[date, str]:
        """Statutory and compensation days (weekends not included), with names."""
        return dict(sorted({**self.statutory, **self.compensation}.items()))


def provisional_arrangement(year: int) -> ProvisionalYear:
    """Estimate a year's holidays from the statutory rules alone.

    Art. 2 (全体公民放假): 元旦 1 day; 春节 4 days (除夕 to 正月初三); 清明节 1; 劳动节 2 (05-01, 05-02); 端午节 1;
    中秋节 1; 国庆节 3 (10-01..10-03). Art. 6: a statutory day on a Saturday or Sunday is made up on a weekday: here
    the next weekday after its block of consecutive statutory days that is neither statutory nor already taken.
    Weekends stay rest days; no 调休 (weekend make-up workdays) is guessed.
    """
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is outside the supported years {MIN_YEAR}–{MAX_YEAR}")
    new_year, dragon_boat, mid_autumn = _lunar_festivals(year)
    days: list[tuple[date, str]] = [(date(year, 1, 1), "元旦")]
    days += [(new_year + timedelta(days=k), "春节") for k in range(-1, 3)]
    days.append((qingming_date(year), "清明节"))
    days += [(date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节")]
    days.append((dragon_boat, "端午节"))
    days.append((mid_autumn, "中秋节"))
    days += [(date(year, 10, k), "国庆节") for k in (1, 2, 3)]
    statutory: dict[date, str] = {}
    for d, name in days:  # a day that is two holidays at once (中秋 on 10-01) is one rest day with both names
        statutory[d] = f"{statutory[d]}、{name}" if d in statutory and name not in statutory[d] else name
    statutory = dict(sorted(statutory.items()))

    compensation: dict[date, str] = {}
    ordered = list(statutory)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] - ordered[j] == timedelta(days=1):
            j += 1
        block = ordered[i : j + 1]
        candidate = block[-1] + timedelta(days=1)
        for d in block:
            if d.weekday() < 5:
                continue
            while candidate.weekday() >= 5 or candidate in statutory or candidate in compensation:
                candidate += timedelta(days=1)
            compensation[candidate] = f"补假（{statutory[d]}）"
            candidate += timedelta(days=1)
        i = j + 1
    return ProvisionalYear(year=year, statutory=statutory, compensation=dict(sorted(compensation.items())))


# --------------------------------------------------------------------------------------------------------------
# Per-year tables and the calendar
# --------------------------------------------------------------------------------------------------------------

_PACKAGE, _NOTICE, _PROVISIONAL = "package", "notice", "provisional"


@dataclass(frozen=True)
class _YearTable:
    year: int
    kind: str
    workdays: tuple[int, ...]  # ordinals, ascending
    rest: tuple[tuple[date, str], ...]  # ascending, with the reason
    makeup: dict[int, str]  # ordinal -> label, for weekend days that are worked


def _build_year(year: int, official: YearArrangement | None) -> _YearTable:
    if year in PACKAGE_YEARS:
        kind, off, on = _PACKAGE, None, None
    elif official is not None:
        kind, off, on = _NOTICE, official.holidays, official.workdays
    else:
        est = provisional_arrangement(year)
        kind, off, on = _PROVISIONAL, est.rest_days(), {}
    workdays: list[int] = []
    rest: list[tuple[date, str]] = []
    makeup: dict[int, str] = {}
    for o in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
        d = date.fromordinal(o)
        if kind == _PACKAGE:
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
    return _YearTable(year, kind, tuple(workdays), tuple(rest), makeup)


class _Snapshot:
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

    def __init__(self, lo: int, hi: int, tables: list[_YearTable], version: str) -> None:
        self.lo, self.hi, self.version = lo, hi, version
        self.wd: list[int] = []
        self.rest: list[tuple[date, str]] = []
        self.makeup: dict[int, str] = {}
        prov: set[int] = set()
        for t in tables:
            self.wd.extend(t.workdays)
            self.rest.extend(t.rest)
            self.makeup.update(t.makeup)
            if t.kind == _PROVISIONAL:
                prov.add(t.year)
        self.rest_ord = [d.toordinal() for d, _ in self.rest]
        self.provisional = frozenset(prov)
        self.prov_years = sorted(prov)
        self.wd_dates = [date.fromordinal(o) for o in self.wd]

    def covers(self, lo: int, hi: int) -> bool:
        return self.lo <= lo and hi <= self.hi


@dataclass(frozen=True)
class DueDate:
    """The end of a period of `working_days` working days counted from `start` (excluded)."""

    start: date
    working_days: int
    due: date  # the N-th working day after start
    due_at: datetime  # aware, Asia/Shanghai: 24:00 of `due` (next day 00:00), or close of business on `due`
    provisional: bool  # some day in start+1..due lies in a year that is only estimated
    skipped: tuple[tuple[date, str], ...]  # rest days passed over (start, due), with the reason
    calendar_version: str

    def explain(self) -> str:
        """One Chinese sentence, e.g. 自2026-09-29起算（当日不计）第3个工作日为2026-10-09，跳过国庆节共7个休息日；…"""
        names: list[str] = []
        for _, why in self.skipped:
            label = "周末" if why in ("周六", "周日") else why
            if label not in names:
                names.append(label)
        if self.skipped:
            skip = f"跳过{'、'.join(names)}共{len(self.skipped)}个休息日"
        else:
            skip = "期间无休息日"
        mark = "（预估）" if self.provisional else ""
        local = self.due_at.astimezone(SHANGHAI)
        text = (
            f"自{self.start.isoformat()}起算（当日不计）第{self.working_days}个工作日为{self.due.isoformat()}{mark}，"
            f"{skip}；截止{local:%Y-%m-%d %H:%M}（北京时间）"
        )
        if self.provisional:
            text += "；所涉年份尚无国务院办公厅放假安排，按《全国年节及纪念日放假办法》推算，官方安排公布后将重新计算"
        return text


class WorkingCalendar:
    """Working days of mainland China, and due dates counted by 《民法典》 Art. 201–203.

    Reads are lock-free over an immutable snapshot; extending to more years or loading a year takes a lock and
    swaps the snapshot.
    """

    def __init__(self, years: Iterable[YearArrangement] = (), close_of_business: time | None = None) -> None:
        if close_of_business is not None:
            if not isinstance(close_of_business, time):
                raise TypeError("close_of_business must be a datetime.time, e.g. time(17, 30)")
            if close_of_business.tzinfo is not None:
                raise ValueError(
                    "close_of_business is a wall-clock time in Asia/Shanghai; give it without tzinfo"
                )
        self._close = close_of_business
        self._lock = threading.Lock()
        self._official: dict[int, YearArrangement] = {}
        self._tables: dict[int, _YearTable] = {}
        self._due_at: dict[int, datetime] = {}  # due ordinal -> end instant (close_of_business never changes)
        self._snap = _Snapshot(0, -1, [], self._make_version())
        for arrangement in years:
            self.load(arrangement)

    # -- configuration ----------------------------------------------------------------------------------------

    @property
    def close_of_business(self) -> time | None:
        return self._close

    @property
    def version(self) -> str:
        """e.g. "cc1.11.0" or "cc1.11.0+2027:1a2b3c4d5e6f"; changes whenever the data that counts changes."""
        return self._snap.version

    def _make_version(self) -> str:
        return f"cc{PACKAGE_VERSION}" + "".join(
            f"+{y}:{self._official[y].digest}" for y in sorted(self._official)
        )

    def load(self, year: YearArrangement) -> None:
        """Add or replace one year's official arrangement (a year chinese_calendar does not cover)."""
        if not isinstance(year, YearArrangement):
            raise TypeError(f"expected a YearArrangement, got {type(year).__name__}")
        if year.year in PACKAGE_YEARS:
            raise CalendarDataError(
                f"{year.source}: year: {year.year} is covered by chinese_calendar {PACKAGE_VERSION} "
                f"({PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]}); a year file is only for the years it does not cover",
                field="year",
                source=year.source,
            )
        with self._lock:
            official = dict(self._official)
            official[year.year] = year
            self._official = official
            self._tables.pop(year.year, None)
            snap = self._snap
            self._snap = self._assemble(snap.lo, snap.hi)

    def loaded(self) -> dict[int, YearArrangement]:
        """The official year files loaded, by year."""
        return dict(self._official)

    # -- snapshot management ----------------------------------------------------------------------------------

    def _assemble(self, lo: int, hi: int) -> _Snapshot:
        # caller holds the lock
        tables = []
        for y in range(lo, hi + 1):
            t = self._tables.get(y)
            if t is None:
                t = self._tables[y] = _build_year(y, self._official.get(y))
            tables.append(t)
        return _Snapshot(lo, hi, tables, self._make_version())

    def _ensure(self, lo: int, hi: int) -> _Snapshot:
        snap = self._snap
        if snap.covers(lo, hi):
            return snap
        if lo < MIN_YEAR or hi > MAX_YEAR:
            raise ValueError(f"the working-day calendar covers {MIN_YEAR}–{MAX_YEAR}; asked for {lo}–{hi}")
        with self._lock:
            snap = self._snap
            if not snap.covers(lo, hi):
                if snap.lo <= snap.hi:  # not empty: stay contiguous
                    lo, hi = min(lo, snap.lo), max(hi, snap.hi)
                snap = self._snap = self._assemble(lo, hi)
            return snap

    # -- single days ------------------------------------------------------------------------------------------

    @staticmethod
    def _day(d: date) -> date:
        if isinstance(d, datetime):
            if d.tzinfo is None or d.utcoffset() is None:
                raise TypeError("a naive datetime is ambiguous; pass a date, or an aware datetime")
            return d.astimezone(SHANGHAI).date()
        if not isinstance(d, date):
            raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
        return d

    def _kind(self, year: int) -> str:
        if year in PACKAGE_YEARS:
            return _PACKAGE
        if year in self._official:
            return _NOTICE
        return _PROVISIONAL

    def is_workday(self, d: date) -> bool:
        d = self._day(d)
        snap = self._ensure(d.year, d.year)
        o = d.toordinal()
        i = bisect.bisect_left(snap.wd, o)
        return i < len(snap.wd) and snap.wd[i] == o

    def day_kind(self, d: date) -> tuple[bool, str, bool]:
        """(is_workday, reason, provisional), e.g. (False, "国庆节", False), (True, "国庆节调休上班", False),
        (False, "周六", True), (False, "补假（春节）", True), (True, "工作日", False)."""
        d = self._day(d)
        snap = self._ensure(d.year, d.year)
        o = d.toordinal()
        prov = d.year in snap.provisional
        i = bisect.bisect_left(snap.wd, o)
        if i < len(snap.wd) and snap.wd[i] == o:
            return True, snap.makeup.get(o, WORKDAY_LABEL), prov
        j = bisect.bisect_left(snap.rest_ord, o)
        return False, snap.rest[j][1], prov

    def is_provisional(self, d: date) -> bool:
        return self._kind(self._day(d).year) == _PROVISIONAL

    # -- periods ----------------------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> DueDate:
        """The N-th working day after `start` (start excluded, whatever day it is), with its end instant."""
        if isinstance(start, datetime):
            raise TypeError("add_working_days takes a date; use due_from(start_at, n) for an instant")
        if not isinstance(start, date):
            raise TypeError(f"start must be a datetime.date, got {type(start).__name__}")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 1:
            raise ValueError(f"n must be at least 1 working day, got {n}")
        s = start.toordinal()
        first = start.year + 1 if (start.month, start.day) == (12, 31) else start.year
        snap = self._snap
        i = bisect.bisect_right(snap.wd, s)
        j = i + n - 1
        if not (snap.lo <= first and j < len(snap.wd)):  # slow path: extend to more years first
            # about 250 working days a year: ask for enough years at once, then top up if that was short
            horizon = date.fromordinal(s + 1 + n * 3 // 2 + 31).year if n < 100_000 else MAX_YEAR + 1
            snap = self._ensure(first, max(first, min(horizon, MAX_YEAR)))
            while True:
                i = bisect.bisect_right(snap.wd, s)
                j = i + n - 1
                if j < len(snap.wd):
                    break
                snap = self._ensure(first, snap.hi + 1 + (j - len(snap.wd)) // 240)
        due_ord = snap.wd[j]
        due = snap.wd_dates[j]
        a = bisect.bisect_right(snap.rest_ord, s)
        b = bisect.bisect_left(snap.rest_ord, due_ord, a)
        prov = snap.prov_years
        k = bisect.bisect_left(prov, first)
        due_at = self._due_at.get(due_ord)
        if due_at is None:
            if self._close is None:
                due_at = datetime.combine(due + timedelta(days=1), time(0), tzinfo=SHANGHAI)
            else:
                due_at = datetime.combine(due, self._close, tzinfo=SHANGHAI)
            self._due_at[due_ord] = due_at  # immutable values: a racing duplicate write is harmless
        return DueDate(
            start=start,
            working_days=n,
            due=due,
            due_at=due_at,
            provisional=k < len(prov) and prov[k] <= due.year,
            skipped=tuple(snap.rest[a:b]),
            calendar_version=snap.version,
        )

    def due_from(self, start_at: datetime, n: int) -> DueDate:
        """Like add_working_days, from an aware instant: its Asia/Shanghai date is the (uncounted) start day."""
        if not isinstance(start_at, datetime):
            raise TypeError(f"start_at must be an aware datetime, got {type(start_at).__name__}")
        if start_at.tzinfo is None or start_at.utcoffset() is None:
            raise ValueError("start_at must be timezone-aware (a naive datetime has no Beijing date)")
        return self.add_working_days(start_at.astimezone(SHANGHAI).date(), n)

    # -- reporting --------------------------------------------------------------------------------------------

    def _label(self, year: int) -> str:
        kind = self._kind(year)
        if kind == _PACKAGE:
            return "official (package)"
        if kind == _NOTICE:
            return f"official (notice {self._official[year].notice})"
        return "provisional"

    def years(self, first: int | None = None, last: int | None = None) -> dict[int, str]:
        """year -> "official (package)" | "official (notice …)" | "provisional".

        Default range: the package's first year through the year after the last official one.
        """
        if first is None:
            first = PACKAGE_YEARS[0]
        if last is None:
            last = max([PACKAGE_YEARS[-1], *self._official]) + 1
        return {y: self._label(y) for y in range(first, last + 1)}

    def status(self, today: date) -> list[str]:
        """Human lines for admins: what the calendar knows around `today`, with WARNING lines when it must be fed."""
        today = self._day(today)
        lines = [
            f"working-day calendar {self.version}: chinese_calendar {PACKAGE_VERSION} covers "
            f"{PACKAGE_YEARS[0]}–{PACKAGE_YEARS[-1]}; official year files loaded: "
            + (", ".join(str(y) for y in sorted(self._official)) or "none")
        ]
        for y in range(today.year - 1, today.year + 2):
            label = self._label(y)
            if label == "provisional":
                label += (
                    " (estimated from 《全国年节及纪念日放假办法》: statutory days, 补假, weekends; no 调休)"
                )
            lines.append(f"{y}: {label}")
        if self._kind(today.year) == _PROVISIONAL:
            lines.append(
                f"WARNING: the current year {today.year} has no official holiday arrangement loaded; every deadline "
                f"is a provisional estimate. Load the year file of 国务院办公厅关于{today.year}年部分节假日安排的通知."
            )
        nxt = today.year + 1
        if today.month >= 11 and self._kind(nxt) == _PROVISIONAL:
            lines.append(
                f"WARNING: {nxt} has no official holiday arrangement loaded; deadlines reaching into {nxt} are "
                f"provisional estimates. When 国务院办公厅关于{nxt}年部分节假日安排的通知 is published, load it as a "
                f"year file (scheduler/years/README.md); open deadlines are then recomputed."
            )
        return lines

    def __repr__(self) -> str:
        return f"WorkingCalendar(version={self.version!r}, close_of_business={self._close!r})"
