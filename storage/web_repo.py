"""What the web service keeps beside the engine's tables: password hashes, API token digests, sign-in attempts,
and the event log's high-water mark that live dashboards poll (it works across processes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, insert, select, update

from storage import tables as t
from storage import web_tables as w
from storage.db import READONLY
from storage.people import SqlUserRepository
from workflow.ports import User

# Sign-in attempts are kept a day: far longer than the throttle's window (minutes), short enough to stay small.
KEEP_LOGINS = timedelta(days=1)


class WebStore:
    """Each method is one short transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read: on SQLite a plain BEGIN, so polling never takes the writers' lock."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READONLY: True})
            yield conn

    # -- passwords -------------------------------------------------------------------------------------------
    def user_and_hash(self, name: str) -> tuple[User, str | None] | None:
        with self._read() as conn:
            r = conn.execute(select(t.users).where(t.users.c.name == name)).mappings().first()
        if r is None:
            return None
        return SqlUserRepository._user(r), r["password_hash"]

    def set_password_hash(self, name: str, password_hash: str) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(update(t.users).where(t.users.c.name == name).values(password_hash=password_hash))
            if done.rowcount != 1:
                raise LookupError(f"user {name!r} vanished")

    # -- sessions ended on the server ------------------------------------------------------------------------
    def end_session(self, sid_sha256: str, at: datetime, keep: timedelta) -> None:
        with self.engine.begin() as conn:
            conn.execute(w.ended_sessions.delete().where(w.ended_sessions.c.ended_at < at - keep))
            if conn.execute(select(w.ended_sessions.c.sid_sha256)
                            .where(w.ended_sessions.c.sid_sha256 == sid_sha256)).first() is None:
                conn.execute(insert(w.ended_sessions).values(sid_sha256=sid_sha256, ended_at=at))

    def session_ended(self, sid_sha256: str) -> bool:
        with self._read() as conn:
            return conn.execute(select(w.ended_sessions.c.sid_sha256)
                                .where(w.ended_sessions.c.sid_sha256 == sid_sha256)).first() is not None

    # -- API tokens ------------------------------------------------------------------------------------------
    def add_token(self, token_sha256: str, user_name: str, label: str, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(w.api_tokens).values(token_sha256=token_sha256, user_name=user_name, label=label,
                                                     created_at=at))

    def token_user(self, token_sha256: str, at: datetime) -> User | None:
        """The user a live token belongs to, or None; its last use is noted (at most once a minute)."""
        with self._read() as conn:
            row = conn.execute(
                select(w.api_tokens.c.id, w.api_tokens.c.last_used_at, t.users)
                .join(t.users, t.users.c.name == w.api_tokens.c.user_name)
                .where(w.api_tokens.c.token_sha256 == token_sha256, w.api_tokens.c.revoked_at.is_(None))
            ).mappings().first()
        if row is None:
            return None
        last = row["last_used_at"]
        if last is None or (at - last).total_seconds() >= 60:
            with self.engine.begin() as conn:
                conn.execute(update(w.api_tokens).where(w.api_tokens.c.id == row["id"]).values(last_used_at=at))
        return SqlUserRepository._user(row)

    def tokens_of(self, user_name: str) -> list[dict[str, Any]]:
        with self._read() as conn:
            rows = conn.execute(
                select(w.api_tokens.c.id, w.api_tokens.c.label, w.api_tokens.c.created_at,
                       w.api_tokens.c.last_used_at, w.api_tokens.c.revoked_at)
                .where(w.api_tokens.c.user_name == user_name).order_by(w.api_tokens.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def revoke_token(self, user_name: str, token_id: int, at: datetime) -> str:
        """"revoked", "already" (revoked before) or "missing" (no such token of this user)."""
        tok = w.api_tokens
        with self.engine.begin() as conn:
            done = conn.execute(update(tok).where(tok.c.id == token_id, tok.c.user_name == user_name,
                                                  tok.c.revoked_at.is_(None)).values(revoked_at=at)).rowcount
            if done:
                return "revoked"
            exists = conn.execute(select(tok.c.id).where(tok.c.id == token_id, tok.c.user_name == user_name)).first()
            return "already" if exists else "missing"

    # -- sign-in attempts ------------------------------------------------------------------------------------
    def record_login(self, user_name: str, client: str, ok: bool, at: datetime) -> None:
        """Note one attempt; attempts older than KEEP_LOGINS go in the same transaction (the throttle reads
        minutes back, so the table stays small without a job of its own)."""
        with self.engine.begin() as conn:
            conn.execute(insert(w.login_attempts).values(user_name=user_name[:64], client=client[:64], ok=ok, at=at))
            conn.execute(w.login_attempts.delete().where(w.login_attempts.c.at < at - KEEP_LOGINS))

    def failures(self, *, since: datetime, user_name: str | None = None, client: str | None = None) -> int:
        """Failed attempts since `since` (for a user: only those after their last successful sign-in)."""
        return self.failure_stats(since=since, user_name=user_name, client=client)[0]

    def failure_stats(self, *, since: datetime, user_name: str | None = None,
                      client: str | None = None) -> tuple[int, datetime | None]:
        """How many failed attempts since `since` (for a user: after their last success), and the last one's time."""
        la = w.login_attempts.c
        with self._read() as conn:
            cond = [la.ok.is_(False), la.at >= since]
            if user_name is not None:
                last_ok = conn.execute(
                    select(func.max(la.at)).where(la.user_name == user_name, la.ok.is_(True))
                ).scalar()
                cond.append(la.user_name == user_name)
                if last_ok is not None:
                    cond.append(la.at > last_ok)
            if client is not None:
                cond.append(la.client == client)
            count, last = conn.execute(select(func.count(), func.max(la.at)).select_from(w.login_attempts)
                                       .where(and_(*cond))).one()
            return int(count), last

    # -- the event log's high-water mark ---------------------------------------------------------------------
    def max_event_id(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(t.events.c.id), 0))).scalar_one())

