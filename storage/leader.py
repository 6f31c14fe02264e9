"""The scheduler's leader lock: a PostgreSQL advisory lock, or a file lock beside the SQLite database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

LOCK_KEY = 0x48554952  # "HUIR": one number every huizhen scheduler agrees on


@contextmanager
def leader_lock(engine: Engine) -> Iterator[bool]:
    """Yield True while this process holds the lock, False when another process does. Never blocks."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    conn.commit()
        return
    database = engine.url.database or ""
    path = Path(database + ".scheduler.lock") if database and database != ":memory:" else None
    if path is None:
        yield True
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
