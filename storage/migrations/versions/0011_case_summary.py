"""The summary projection (issue 17 item 3, issue 14 item 3): one row a case that lists, the dashboard, search and
export read, kept up to date in the same transaction as each event; filled here for every existing case. Search:
on SQLite an FTS5 table with the trigram tokenizer (Chinese substrings of three characters or more; shorter terms
use LIKE), on PostgreSQL a pg_trgm GIN index for ILIKE (without the extension, ILIKE still works, unindexed).

Revision ID: 0011_case_summary
Revises: 0010_perf_indexes
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from storage.tables import UTCDateTime

revision = "0011_case_summary"
down_revision = "0010_perf_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_summaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("year", sa.String(4), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32)),
        sa.Column("applicant", sa.String(8), nullable=False),
        sa.Column("lead", sa.String(8)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("product_name", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("producer", sa.Text, nullable=False),
        sa.Column("report_numbers", sa.Text, nullable=False),
        sa.Column("suspected_defect", sa.Text, nullable=False),
        sa.Column("search", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("next_id", sa.String(64)),
        sa.Column("next_kind", sa.String(32)),
        sa.Column("next_due_at", UTCDateTime()),
        sa.Column("next_due_date", sa.String(10)),
        sa.Column("next_provisional", sa.Boolean, nullable=False),
        sa.Column("due_sort", sa.String(32), nullable=False),
        sa.Column("responsible", sa.String(8)),
        sa.Column("waiting_on", sa.Text, nullable=False),
        sa.Column("experts_owing", sa.Text, nullable=False),
        sa.Column("panel", sa.Text, nullable=False),
        sa.Column("joint_only", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_case_summaries"),
        sa.UniqueConstraint("number", name="uq_case_summaries_number"),
    )
    for name in ("status", "next_due_at", "updated_at", "applicant", "responsible"):
        op.create_index(f"ix_case_summaries_{name}", "case_summaries", [name])
    op.create_index("ix_case_summaries_due_sort", "case_summaries", ["due_sort", "number"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize='trigram')")
    elif bind.dialect.name == "postgresql":
        available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")).first()
        if available:
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.execute("CREATE INDEX ix_case_summaries_search_trgm ON case_summaries USING gin (search gin_trgm_ops)")
    # Every existing case gets its row, from its stored snapshot (the same code that keeps it up to date).
    from storage.projections import fill_summaries

    fill_summaries(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS case_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_case_summaries_search_trgm")
    op.drop_table("case_summaries")
