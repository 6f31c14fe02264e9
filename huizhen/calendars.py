"""The working calendar as configured: the shipped and configured year files over the package, and the years an
admin loaded into the database. Light on purpose: `huizhen calendar due` builds it without SQLAlchemy (issue 17:
the stored years of a SQLite database are read with the standard library's sqlite3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from huizhen.config import Settings
from scheduler.calendar import WorkingCalendar, YearArrangement, load_year_file
from scheduler.yearfiles import year_from_stored

SHIPPED_YEARS = Path(__file__).resolve().parent.parent / "scheduler" / "years"


def year_files(settings: Settings) -> list[Path]:
    folders = [SHIPPED_YEARS]
    if settings.calendar.years_dir is not None:
        folders.append(settings.resolve(settings.calendar.years_dir))
    files: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            files.extend(sorted(folder.glob("*.yaml")))
    return files


def build_calendar(settings: Settings, extra: list[YearArrangement] | None = None) -> WorkingCalendar:
    years = [load_year_file(p) for p in year_files(settings)]
    return WorkingCalendar(years + list(extra or []), close_of_business=settings.calendar.close_of_business)


def stored_years(url: str) -> list[YearArrangement]:
    """The years loaded into the database at URL; none when there is no usable database. A SQLite file is read
    with sqlite3 (read-only), so a command that only counts working days does not import SQLAlchemy."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            return []
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2)
            try:
                conn.row_factory = sqlite3.Row
                rows: list[dict[str, Any]] = [dict(r) for r in conn.execute(
                    "SELECT * FROM calendar_years ORDER BY year")]
            finally:
                conn.close()
        except sqlite3.Error:  # not initialised, or not a database: the package and the files alone
            return []
        try:
            return [year_from_stored(r) for r in rows]
        except Exception:  # as below: a year that no longer reads leaves the package and the files
            return []
    try:
        from storage.db import make_engine
        from storage.uow import UnitOfWorkFactory

        engine = make_engine(url, connect_args={"connect_timeout": 2}) if "postgres" in url else make_engine(url)
        with UnitOfWorkFactory(engine)(readonly=True) as uow:
            stored = [year_from_stored(r) for r in uow.calendar_years.all()]
        engine.dispose()
    except Exception:  # no usable database: the calendar works from the package and the files alone
        return []
    return stored

