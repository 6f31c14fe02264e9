"""The Chinese working-day calendar and the deadline arithmetic of 《民法典》 Art. 201–203.

Counting rule: the start day never counts (also when it is a rest day); counting begins the next day; day N is the
N-th working day after the start date; the period ends at 24:00 Beijing time of day N (= 00:00 of the next calendar
day, Asia/Shanghai), or at the configured close of business on day N.

Where working days come from, per year:

* years ``chinese_calendar`` covers (2004–2026 in 1.11.0): its holiday / make-up workday tables, read, never patched;
* other years with an official arrangement loaded (a year file, ``scheduler.yearfiles``): that file;
* any other year (before 2004, or 2027+ until the State Council's notice is loaded): a **provisional** estimate
  (``scheduler.estimate``); no 调休 is guessed.

Everything is precomputed per year into sorted arrays of day ordinals, so a due date is a bisect and an index, not a
day-by-day walk (``chinese_calendar.find_workday`` walks, and counts one day too many from a rest day: not used).
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from scheduler.estimate import MAX_YEAR, MIN_YEAR
from scheduler.tables import (
    NOTICE,
    PACKAGE,
    PACKAGE_VERSION,
    PACKAGE_YEARS,
    PROVISIONAL,
    WORKDAY_LABEL,
    Snapshot,
    YearTable,
    build_year,
)
from scheduler.yearfiles import CalendarDataError, YearArrangement, load_year_file, parse_year, read_year_text
from scheduler.yearfiles import year_from_stored as _year_from_stored
from states.beijing import BEIJING
from states.errors import InvalidInput

__all__ = [
    "DueDate",
    "WorkingCalendar",
    "YearBook",
    "YEAR_BOOK",
    # the year files' names, for the shell's composition root
    "YearArrangement",
    "load_year_file",
    "parse_year",
]


# At most this many due dates are remembered; then the memo starts afresh (a long-running process stays bounded).
MEMO_SIZE = 65_536


class DueDate(NamedTuple):
    """The end of a period of `working_days` working days counted from `start` (excluded). An immutable value (a
    named tuple rather than a frozen dataclass: built in a third of the time, and due dates are built by the
    thousand in a sweep)."""

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
        local = self.due_at.astimezone(BEIJING)
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
        self._tables: dict[int, YearTable] = {}
        self._due_at: dict[int, datetime] = {}  # due ordinal -> end instant (close_of_business never changes)
        self._snap = Snapshot(0, -1, [], self._make_version())
        # Due dates already answered, for the snapshot they were answered from (a DueDate is an immutable value):
        # the same start day and period recur all day long (every case dispatched today arms the same T1).
        self._memo: dict[tuple[date, int], DueDate] = {}
        self._memo_snap: Snapshot | None = None
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
                source=year.source, field="year", problem="covered by the package",
            )
        with self._lock:
            official = dict(self._official)
            official[year.year] = year
            self._official = official
            self._tables.pop(year.year, None)
            snap = self._snap
            self._snap = self._assemble(snap.lo, snap.hi)

    def with_years(self, years: Iterable[YearArrangement]) -> WorkingCalendar:
        """A new calendar: these official years over the ones this one has, the same close of business."""
        return WorkingCalendar([*self._official.values(), *years], close_of_business=self._close)

    # -- snapshot management ----------------------------------------------------------------------------------

    def _assemble(self, lo: int, hi: int) -> Snapshot:
        # caller holds the lock
        tables = []
        for y in range(lo, hi + 1):
            t = self._tables.get(y)
            if t is None:
                t = self._tables[y] = build_year(y, self._official.get(y))
            tables.append(t)
        return Snapshot(lo, hi, tables, self._make_version())

    def _ensure(self, lo: int, hi: int) -> Snapshot:
        snap = self._snap
        if snap.covers(lo, hi):
            return snap
        if lo < MIN_YEAR or hi > MAX_YEAR:
            raise InvalidInput(
                f"the working-day calendar covers {MIN_YEAR}–{MAX_YEAR}; asked for {lo}–{hi}",
                key="calendar_out_of_range", first=MIN_YEAR, last=MAX_YEAR, asked_first=lo, asked_last=hi,
            )
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
            return d.astimezone(BEIJING).date()
        if not isinstance(d, date):
            raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
        return d

    def _kind(self, year: int) -> str:
        if year in PACKAGE_YEARS:
            return PACKAGE
        if year in self._official:
            return NOTICE
        return PROVISIONAL

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

    # -- periods ----------------------------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> DueDate:
        """The N-th working day after `start` (start excluded, whatever day it is), with its end instant."""
        if type(start) is date and type(n) is int:  # exact types: a datetime or a bool takes the checks below
            if self._memo_snap is self._snap:
                found = self._memo.get((start, n))
                if found is not None:
                    return found
            else:
                self._memo, self._memo_snap = {}, self._snap
            due_date = self._count(start, n)
            if len(self._memo) >= MEMO_SIZE:
                self._memo = {}
            if self._memo_snap is self._snap:  # not extended meanwhile (a new snapshot starts a new memo)
                self._memo[(start, n)] = due_date
            return due_date
        return self._count(start, n)

    def _count(self, start: date, n: int) -> DueDate:
        if isinstance(start, datetime):
            raise TypeError("add_working_days takes a date; use due_from(start_at, n) for an instant")
        if not isinstance(start, date):
            raise TypeError(f"start must be a datetime.date, got {type(start).__name__}")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if n < 1:
            raise InvalidInput(f"a period must be at least 1 working day, not {n}", key="working_days_too_few",
                               field="working_days", working_days=n)
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
                due_at = datetime.combine(due + timedelta(days=1), time(0), tzinfo=BEIJING)
            else:
                due_at = datetime.combine(due, self._close, tzinfo=BEIJING)
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
        return self.add_working_days(start_at.astimezone(BEIJING).date(), n)

    # -- reporting --------------------------------------------------------------------------------------------

    def _label(self, year: int) -> str:
        kind = self._kind(year)
        if kind == PACKAGE:
            return "official (package)"
        if kind == NOTICE:
            return f"official (notice {self._official[year].notice})"
        return "provisional"

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
        if self._kind(today.year) == PROVISIONAL:
            lines.append(
                f"WARNING: the current year {today.year} has no official holiday arrangement loaded; every deadline "
                f"is a provisional estimate. Load the year file of 国务院办公厅关于{today.year}年部分节假日安排的通知."
            )
        nxt = today.year + 1
        if today.month >= 11 and self._kind(nxt) == PROVISIONAL:
            lines.append(
                f"WARNING: {nxt} has no official holiday arrangement loaded; deadlines reaching into {nxt} are "
                f"provisional estimates. When 国务院办公厅关于{nxt}年部分节假日安排的通知 is published, load it as a "
                f"year file (scheduler/years/README.md); open deadlines are then recomputed."
            )
        return lines

    def __repr__(self) -> str:
        return f"WorkingCalendar(version={self.version!r}, close_of_business={self._close!r})"


class YearBook:
    """What loading a year needs from this room (``workflow.timekeeping.YearBookPort``): read a year file, read a
    stored year back, and a calendar with more official years."""

    def read(self, content: bytes | str, source: str) -> YearArrangement:
        return read_year_text(content, source)

    def stored(self, row: Mapping[str, Any]) -> YearArrangement:
        return _year_from_stored(row)

    def calendar_with(self, base: Any, years: Iterable[Any]) -> WorkingCalendar:
        if not isinstance(base, WorkingCalendar):
            raise TypeError(f"expected a WorkingCalendar, got {type(base).__name__}")
        return base.with_years(years)


YEAR_BOOK = YearBook()
