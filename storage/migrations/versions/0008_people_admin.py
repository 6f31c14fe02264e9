"""The admin's work in the pages (issue 14): a user's phone and whether they may sign in, and the trail of the
admin's actions on people, the expert pool and the calendar (who did what to whom, when).

Existing users stay active with no phone; existing experts keep their columns (field, province, employer, title
and active were there from 0001).

Revision ID: 0008_people_admin
Revises: 0007_notify_prefs
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0008_people_admin"
down_revision = "0007_notify_prefs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(40), nullable=True))
        batch.add_column(sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()))
    op.create_table(
        "admin_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_admin_actions_at", "admin_actions", ["at"])


def downgrade() -> None:
    op.drop_index("ix_admin_actions_at", table_name="admin_actions")
    op.drop_table("admin_actions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("active")
        batch.drop_column("phone")
