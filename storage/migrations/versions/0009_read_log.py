"""The read log (issue 14): who opened or downloaded which paper, material or expert record, and when. Not in the
cases' event chains; an old database starts with an empty log (nothing was recorded before).

Revision ID: 0009_read_log
Revises: 0008_people_admin
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0009_read_log"
down_revision = "0008_people_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "read_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("what", sa.String(32), nullable=False),
        sa.Column("case_number", sa.String(32)),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_read_log"),
    )
    op.create_index("ix_read_log_at", "read_log", ["at"])
    op.create_index("ix_read_log_case_number", "read_log", ["case_number"])
    op.create_index("ix_read_log_user_name", "read_log", ["user_name"])


def downgrade() -> None:
    op.drop_table("read_log")
