"""Official year files: one year's holiday arrangement (国务院办公厅关于部分节假日安排的通知) as an admin writes it
down (format: ``scheduler/years/README.md``), read, validated and given a content digest.

A bad file is refused with one line that names the source and the place in the file (``holidays[1].from``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from scheduler.estimate import MAX_YEAR, MIN_YEAR
from states.errors import InvalidInput

__all__ = [
    "CalendarDataError",
    "YearArrangement",
    "parse_year",
    "read_year_text",
    "load_year_file",
    "load_year_dir",
    "year_from_stored",
]

_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CalendarDataError(InvalidInput):
    """A year file is wrong. `field` is the place in the file ("holidays[1].from", "year"), or "file" when the file
    as a whole is unreadable; `params` carry the source and the problem. The message is one line naming both."""

    def __init__(self, message: str, *, source: str, field: str = "file", problem: str = "") -> None:
        super().__init__(message, key="year_file_invalid", field=field, source=source, problem=problem)
        self.source = source


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

    def fail(where: str, message: str) -> None:
        raise CalendarDataError(f"{source}: {where}: {message}", source=source,
                                field="file" if where.startswith("(") else where, problem=message)

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


def read_year_text(content: bytes | str, source: str) -> YearArrangement:
    """Validate one year file's content (YAML text, or its UTF-8 bytes); `source` names it in every message."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CalendarDataError(f"{source}: (file): not UTF-8 text ({exc.reason})", source=source,
                                    problem="not UTF-8 text") from exc
    try:
        data = yaml.load(content, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        msg = " ".join(f"{source}: (yaml): invalid YAML{where}: {problem}".split())
        raise CalendarDataError(msg, source=source, problem=" ".join(f"invalid YAML{where}: {problem}".split())
                                ) from exc
    except ValueError as exc:  # a date-shaped value that is no date (2027-13-01): YAML's own constructor fails
        raise CalendarDataError(f"{source}: (yaml): not a date: {exc}", source=source,
                                problem=f"not a date: {exc}") from exc
    return parse_year(data, source=source)


def load_year_file(path: str | Path) -> YearArrangement:
    """Read and validate one YAML year file (format: scheduler/years/README.md)."""
    p = Path(path)
    source = str(p)
    try:
        content = p.read_bytes()
    except OSError as exc:
        raise CalendarDataError(f"{source}: (file): cannot read: {exc.strerror or exc}", source=source,
                                problem="cannot read") from exc
    return read_year_text(content, source)


def year_from_stored(row: Mapping[str, object]) -> YearArrangement:
    """A year kept in the database (its canonical JSON) back into an arrangement, through the same validation."""
    data = json.loads(str(row["content"]))
    mapping = {
        "year": data["year"],
        "notice": data["notice"],
        "published": data.get("published"),
        "holidays": [{"date": d, "name": n} for d, n in data["holidays"]],
        "workdays": [{"date": d, "name": n} for d, n in data["workdays"]],
    }
    return parse_year(mapping, source=str(row.get("source") or f"database:{data['year']}"))


def load_year_dir(directory: str | Path) -> list[YearArrangement]:
    """Every ``*.yaml`` in a directory, validated; two files for the same year are refused."""
    found: dict[int, YearArrangement] = {}
    for p in sorted(Path(directory).glob("*.yaml")):
        arr = load_year_file(p)
        if arr.year in found:
            raise CalendarDataError(
                f"{p}: year: {arr.year} is also given by {found[arr.year].source}",
                source=str(p), field="year", problem="year given twice",
            )
        found[arr.year] = arr
    return [found[y] for y in sorted(found)]
