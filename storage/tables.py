"""The tables. The migrations in storage/migrations create exactly these; a test checks that they agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes only, stored in UTC; SQLite hands back naive values, which are UTC by construction."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times are stored in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

institutions = Table(
    "institutions",
    metadata,
    Column("code", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("province", String(50), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("institution", String(8)),
    Column("expert_id", String(16)),
    Column("email", String(254)),
    Column("display_name", String(100), nullable=False, default=""),
    Column("password_hash", String(255)),
    Column("created_at", UTCDateTime(), nullable=False),
    # Notices by mail on or off (issue 12, migration 0006); the in-app inbox is always on.
    Column("email_notices", Boolean, nullable=False, default=True, server_default=true()),
    # The admin's work in the pages (issue 14, migration 0008): a phone to reach them, and whether they may sign in.
    Column("phone", String(40)),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
)

# The trail of the admin's actions on people, the pool and the calendar (migration 0008): what the CLI, the pages
# and the API did, in one table; `detail` is JSON of the fields that changed (never a password or a token).
admin_actions = Table(
    "admin_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target", String(64), nullable=False),
    Column("detail", Text, nullable=False, default="", server_default=""),
)

experts = Table(
    "experts",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("field", String(200), nullable=False),
    Column("employer", String(200), nullable=False),
    Column("title", String(200), nullable=False),
    Column("province", String(8), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("status", String(32), nullable=False, index=True),
    Column("applicant", String(8), nullable=False),
    Column("lead", String(8)),
    Column("outcome", String(32)),
    Column("version", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("snapshot", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_number", String(32), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("key_id", String(16)),  # the audit key of the HMAC; NULL: the older, unkeyed SHA-256 (before 0006)
    UniqueConstraint("case_number", "seq", name="uq_events_case_seq"),
)
Index("ix_events_occurred_at", events.c.occurred_at)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("case_number", String(32), ForeignKey("cases.number"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("working_days", Integer, nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("due_date", String(10), nullable=False),
    Column("calendar_version", String(200), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("explanation", Text, nullable=False),
    Column("resolved_at", UTCDateTime()),
    Column("supersedes", String(64)),
)
Index("ix_deadlines_status_due", deadlines.c.status, deadlines.c.due_at)
# The corrections owed start from the few armed deadlines that supersede another (migration 0008).
Index("ix_deadlines_supersedes", deadlines.c.supersedes)

# --- time (migration 0002) ------------------------------------------------------------------------------------

calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("notice", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
    Column("loaded_by", String(64), nullable=False),
)

reminders = Table(
    "reminders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # deadline : reminder kind : local date : recipient : channel — claimed before the send, so never sent twice.
    Column("key", String(255), nullable=False, unique=True),
    Column("case_number", String(32), nullable=False, index=True),
    Column("deadline_id", String(64), nullable=False),
    Column("deadline_kind", String(32), nullable=False),
    Column("reminder_kind", String(16), nullable=False),
    Column("scheduled_at", UTCDateTime(), nullable=False),
    Column("recipient", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # claimed | sent | failed | abandoned | skipped
    Column("attempts", Integer, nullable=False),
    Column("claimed_at", UTCDateTime(), nullable=False),
    Column("sent_at", UTCDateTime()),
    Column("last_error", Text),
    Column("attachments", Text),  # JSON: [{filename, mime, sha256}] — the bytes live in blobs (migration 0003)
)
Index("ix_reminders_deadline", reminders.c.deadline_id)
# The sweep's retries: the few failed or stale claims among a ledger of sent ones (migration 0008).
Index("ix_reminders_status_claimed", reminders.c.status, reminders.c.claimed_at)

# What an event owes to be sent after its commit (the meeting's invitation, the minutes): written in the same
# transaction as the event, deleted once nothing more can be owed (migration 0008). The outbox's catch-up reads
# these rows, not every later-state case: it costs the same with 0 and with 10k archived cases.
pending_deliveries = Table(
    "pending_deliveries",
    metadata,
    Column("case_number", String(32), primary_key=True),
    Column("what", String(16), primary_key=True),  # invitation | minutes
    Column("owed_at", UTCDateTime(), nullable=False),
)

inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("recipient", String(64), nullable=False, index=True),
    Column("case_number", String(32)),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime()),
)

# --- the yearly account: retention (migration 0005) -----------------------------------------------------------

# What is left of a case destroyed after its retention ran out (Art. 9): enough for the destruction list (销毁清单)
# and for the audit. Tombstones form their own hash chain (prev_hash → hash, in id order): a tombstone edited or
# removed behind the application's back is named by `audit verify`. `final_event_hash` is the hash the case's own
# chain ended on, so a dossier exported before the purge can still be matched against it.
tombstones = Table(
    "tombstones",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("batch", String(32), nullable=False, index=True),
    Column("applicant", String(8), nullable=False),
    Column("lead", String(8)),
    Column("status", String(32), nullable=False),
    Column("outcome", String(32)),
    Column("product_name", Text, nullable=False),
    Column("product_model", Text, nullable=False),
    Column("opened_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime()),
    Column("terminal_at", UTCDateTime(), nullable=False),
    Column("retention_until", String(10), nullable=False),
    Column("appraised_at", UTCDateTime(), nullable=False),
    Column("approver", String(100), nullable=False),
    Column("appraisal_note", Text, nullable=False),
    Column("purged_at", UTCDateTime(), nullable=False),
    Column("purged_by", String(64), nullable=False),
    Column("events", Integer, nullable=False),
    Column("materials", Integer, nullable=False),
    Column("final_event_hash", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    Column("key_id", String(16)),
)

audit_seals = Table(
    "audit_seals",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key_id", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("mac", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
