"""The official holiday arrangements loaded per year (the calendar's version is their fingerprint)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from storage import tables as t
from storage.common import upsert


class SqlCalendarYears:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def put(self, year: int, notice: str, digest: str, content: str, source: str, loaded_by: str,
            at: datetime) -> None:
        values = dict(notice=notice, digest=digest, content=content, source=source, loaded_at=at, loaded_by=loaded_by)
        ins = upsert(self.conn, t.calendar_years)
        self.conn.execute(ins.values(year=year, **values).on_conflict_do_update(index_elements=["year"], set_=values))

    def all(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(select(t.calendar_years).order_by(t.calendar_years.c.year)).mappings()]

    def fingerprint(self) -> str:
        rows = self.conn.execute(select(t.calendar_years.c.year, t.calendar_years.c.digest)
                                 .order_by(t.calendar_years.c.year)).all()
        return ",".join(f"{y}:{d}" for y, d in rows)
