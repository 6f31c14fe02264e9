"""A keyed chain (issue 15): each new event and tombstone names the audit key its HMAC was made with (NULL: the
older, unkeyed SHA-256), and a table of seals: HMACs under the audit key over things the database must not change
unseen (the list of older rows, made when the key first meets the database); and the sessions ended on the server
(sign-out).

Revision ID: 0006_keyed_chain
Revises: 0005_yearly
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0006_keyed_chain"
down_revision = "0005_yearly"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("sid_sha256", sa.String(64), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sid_sha256", name="pk_ended_sessions"),
    )
    op.create_index("ix_ended_sessions_ended_at", "ended_sessions", ["ended_at"])
    op.add_column("events", sa.Column("key_id", sa.String(16), nullable=True))
    op.add_column("tombstones", sa.Column("key_id", sa.String(16), nullable=True))
    op.create_table(
        "audit_seals",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_audit_seals"),
    )


def downgrade() -> None:
    op.drop_index("ix_ended_sessions_ended_at", "ended_sessions")
    op.drop_table("ended_sessions")
    op.drop_table("audit_seals")
    with op.batch_alter_table("tombstones") as batch:
        batch.drop_column("key_id")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("key_id")
