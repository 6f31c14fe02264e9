"""Tables of the web service (migration 0004_web), on the same `metadata` as the engine's tables."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table

from storage.tables import UTCDateTime, metadata

# Per-user API tokens: only the SHA-256 of a token is kept; the token itself is shown once, when it is issued.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("label", String(100), nullable=False, default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
)

# Sign-in attempts, for throttling across every web worker (the table is the shared memory).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(64), nullable=False),
    Column("client", String(64), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)
Index("ix_login_attempts_user_at", login_attempts.c.user_name, login_attempts.c.at)
Index("ix_login_attempts_client_at", login_attempts.c.client, login_attempts.c.at)

# Sessions ended on the server (sign-out; migration 0006_keyed_chain): the SHA-256 of the session's id, until the
# session would have expired anyway. A cookie copied before sign-out no longer reads or writes.
ended_sessions = Table(
    "ended_sessions",
    metadata,
    Column("sid_sha256", String(64), primary_key=True),
    Column("ended_at", UTCDateTime(), nullable=False, index=True),
)
