"""The read log's repository: append a read, list reads by person, case and Beijing-time range."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from storage.read_tables import read_log


class SqlReadLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(read_log).values(**row))

    def list(self, case_number: str | None = None, user_name: str | None = None, since: datetime | None = None,
             until: datetime | None = None, limit: int = 5000) -> list[dict[str, Any]]:
        stmt = select(read_log).order_by(read_log.c.at.desc(), read_log.c.id.desc()).limit(limit)
        if case_number:
            stmt = stmt.where(read_log.c.case_number == case_number)
        if user_name:
            stmt = stmt.where(read_log.c.user_name == user_name)
        if since is not None:
            stmt = stmt.where(read_log.c.at >= since)
        if until is not None:
            stmt = stmt.where(read_log.c.at < until)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]
