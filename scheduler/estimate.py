"""The provisional estimate: a year's rest days from the statutory rules alone, for the years that neither
``chinese_calendar`` nor an official year file covers (before 2004, or 2027+ until the State Council's notice is
loaded).

《全国年节及纪念日放假办法》 (as amended 2024) Art. 2 names the statutory days and Art. 6 their 补假; the lunar
festivals come from ``lunardate`` (1900–2099) and, beyond it, from the astronomy below; 清明 always from the
astronomy. No 调休 (weekend make-up workday) is ever guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from states.errors import InvalidInput

__all__ = ["MIN_YEAR", "MAX_YEAR", "ProvisionalYear", "provisional_arrangement", "qingming_date"]

#: the years a calendar can answer for (the astronomy and the lunar tables are fine well beyond 1990–2200)
MIN_YEAR = 1900
MAX_YEAR = 2299

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
        raise InvalidInput(
            f"year {year} is outside the supported years {MIN_YEAR}–{MAX_YEAR}",
            key="calendar_year_out_of_range", field="year", year=year, first=MIN_YEAR, last=MAX_YEAR,
        )
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
