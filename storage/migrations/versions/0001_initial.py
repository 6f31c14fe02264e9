"""The consultation engine: users, experts, cases, the event log, counters, blobs, deadlines.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("code", sa.String(8)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("province", sa.String(50), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_institutions"),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("institution", sa.String(8)),
        sa.Column("expert_id", sa.String(16)),
        sa.Column("email", sa.String(254)),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_users"),
    )
    op.create_table(
        "experts",
        sa.Column("id", sa.String(16)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("employer", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("province", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_experts"),
    )
    op.create_table(
        "cases",
        sa.Column("number", sa.String(32)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("applicant", sa.String(8), nullable=False),
        sa.Column("lead", sa.String(8)),
        sa.Column("outcome", sa.String(32)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("number", name="pk_cases"),
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("case_number", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.UniqueConstraint("case_number", "seq", name="uq_events_case_seq"),
    )
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64)),
        sa.Column("value", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
    )
    op.create_table(
        "deadlines",
        sa.Column("id", sa.String(64)),
        sa.Column("case_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("start_at", UTCDateTime(), nullable=False),
        sa.Column("working_days", sa.Integer, nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("due_date", sa.String(10), nullable=False),
        sa.Column("calendar_version", sa.String(200), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("supersedes", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_deadlines"),
        sa.ForeignKeyConstraint(["case_number"], ["cases.number"], name="fk_deadlines_case_number_cases"),
    )
    op.create_index("ix_deadlines_case_number", "deadlines", ["case_number"])
    op.create_index("ix_deadlines_status_due", "deadlines", ["status", "due_at"])


def downgrade() -> None:
    for table in ("deadlines", "blobs", "counters", "events", "cases", "experts", "users", "institutions"):
        op.drop_table(table)
