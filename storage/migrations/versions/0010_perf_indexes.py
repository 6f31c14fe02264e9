"""Fast at any size (issue 17): the pending-delivery index the outbox's catch-up reads, and the indexes the sweep's
corrections use. Existing databases get a pending row for every meeting invitation and every minutes a case still
holds (the catch-up prunes those whose time has passed on its first run).

Revision ID: 0010_perf_indexes
Revises: 0009_read_log
Create Date: 2026-12-02
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0010_perf_indexes"
down_revision = "0009_read_log"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pending = op.create_table(
        "pending_deliveries",
        sa.Column("case_number", sa.String(32), primary_key=True),
        sa.Column("what", sa.String(16), primary_key=True),
        sa.Column("owed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_deadlines_supersedes", "deadlines", ["supersedes"])
    op.create_index("ix_reminders_deadline", "reminders", ["deadline_id"])
    op.create_index("ix_reminders_status_claimed", "reminders", ["status", "claimed_at"])
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("number", sa.String), sa.column("status", sa.String),
                     sa.column("snapshot", sa.Text), sa.column("updated_at", UTCDateTime()))
    rows = []
    later = ("convening", "decided", "continued_attention", "archived")
    for number, status, raw, updated_at in conn.execute(
            sa.select(cases.c.number, cases.c.status, cases.c.snapshot, cases.c.updated_at)
            .where(cases.c.status.in_(later))):
        snap = json.loads(raw) if raw else {}
        owed_at = updated_at or datetime.now(UTC)
        if status == "convening" and snap.get("meeting"):
            rows.append({"case_number": number, "what": "invitation", "owed_at": owed_at})
        if snap.get("minutes"):
            issued = snap["minutes"].get("issued_at")
            rows.append({"case_number": number, "what": "minutes",
                         "owed_at": datetime.fromisoformat(issued) if issued else owed_at})
    if rows:
        op.bulk_insert(pending, rows)


def downgrade() -> None:
    op.drop_index("ix_reminders_status_claimed", "reminders")
    op.drop_index("ix_reminders_deadline", "reminders")
    op.drop_index("ix_deadlines_supersedes", "deadlines")
    op.drop_table("pending_deliveries")
