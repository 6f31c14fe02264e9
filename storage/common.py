"""What the repositories share: the wall clock of `recorded_at` and the counters (case numbers, expert ids,
destruction lists), and the dialect's INSERT (for ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, update
from sqlalchemy.dialects import postgresql, sqlite

from storage import tables as t

WallClock = Callable[[], datetime]


def wall() -> datetime:
    return datetime.now(UTC)


def upsert(conn: Connection, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO NOTHING / DO UPDATE."""
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def next_value(conn: Connection, name: str) -> int:
    """The next value of a named counter, in the caller's transaction (a rollback gives it back)."""
    conn.execute(upsert(conn, t.counters).values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(
        update(t.counters).where(t.counters.c.name == name).values(value=t.counters.c.value + 1)
        .returning(t.counters.c.value)
    ).scalar_one())
