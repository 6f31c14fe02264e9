"""The yearly account: tombstones of cases destroyed after their retention (Art. 9). Fees, appraisals and legal
holds are events in each case's history and need no table.

Revision ID: 0005_yearly
Revises: 0004_web
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0005_yearly"
down_revision = "0004_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("applicant", sa.String(8), nullable=False),
        sa.Column("lead", sa.String(8)),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32)),
        sa.Column("product_name", sa.Text, nullable=False),
        sa.Column("product_model", sa.Text, nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime()),
        sa.Column("terminal_at", UTCDateTime(), nullable=False),
        sa.Column("retention_until", sa.String(10), nullable=False),
        sa.Column("appraised_at", UTCDateTime(), nullable=False),
        sa.Column("approver", sa.String(100), nullable=False),
        sa.Column("appraisal_note", sa.Text, nullable=False),
        sa.Column("purged_at", UTCDateTime(), nullable=False),
        sa.Column("purged_by", sa.String(64), nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("materials", sa.Integer, nullable=False),
        sa.Column("final_event_hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tombstones"),
        sa.UniqueConstraint("number", name="uq_tombstones_number"),
        sa.UniqueConstraint("prev_hash", name="uq_tombstones_prev_hash"),
    )
    op.create_index("ix_tombstones_batch", "tombstones", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_tombstones_batch", "tombstones")
    op.drop_table("tombstones")
