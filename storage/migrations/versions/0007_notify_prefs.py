"""Notification preferences (issue 12): each person's mail on or off; the in-app inbox is always on.

Revision ID: 0007_notify_prefs
Revises: 0006_keyed_chain
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_notify_prefs"
down_revision = "0006_keyed_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_notices", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_notices")
