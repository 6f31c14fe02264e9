"""Time: loaded calendar years, the reminder ledger (claimed before each send), the in-app inbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer, autoincrement=False),
        sa.Column("notice", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", UTCDateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("year", name="pk_calendar_years"),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("case_number", sa.String(32), nullable=False),
        sa.Column("deadline_id", sa.String(64), nullable=False),
        sa.Column("deadline_kind", sa.String(32), nullable=False),
        sa.Column("reminder_kind", sa.String(16), nullable=False),
        sa.Column("scheduled_at", UTCDateTime(), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
        sa.UniqueConstraint("key", name="uq_reminders_key"),
    )
    op.create_index("ix_reminders_case_number", "reminders", ["case_number"])
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("case_number", sa.String(32)),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("key", name="uq_inbox_key"),
    )
    op.create_index("ix_inbox_recipient", "inbox", ["recipient"])


def downgrade() -> None:
    for table in ("inbox", "reminders", "calendar_years"):
        op.drop_table(table)
