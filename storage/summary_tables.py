"""The summary projection (migration 0011_case_summary): one row a case, kept up to date in the same transaction as
each of its events, which lists, the dashboard, search and export read instead of decoding every snapshot. On the
same `metadata` as the engine's tables. The search index is the dialect's: SQLite an FTS5 table with the trigram
tokenizer (`case_search`, rowid = case_summaries.id), PostgreSQL a pg_trgm GIN index on `search` (the migration)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from storage.tables import UTCDateTime, metadata

case_summaries = Table(
    "case_summaries",
    metadata,
    # An explicit integer key: the FTS5 table's rowid points at it, and an implicit rowid may change on VACUUM.
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("year", String(4), nullable=False),
    Column("status", String(32), nullable=False),
    Column("outcome", String(32)),
    Column("applicant", String(8), nullable=False),
    Column("lead", String(8)),
    Column("version", Integer, nullable=False),
    Column("product_name", Text, nullable=False),
    Column("model", Text, nullable=False),
    Column("brand", Text, nullable=False),
    Column("producer", Text, nullable=False),
    Column("report_numbers", Text, nullable=False),  # "\nA\nB\n": one exact number is LIKE '%\nA\n%'
    Column("suspected_defect", Text, nullable=False),
    Column("search", Text, nullable=False),  # the text a search looks in, one field a line
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The soonest armed deadline: working days left are counted from its due date once per page, not stored.
    Column("next_id", String(64)),
    Column("next_kind", String(32)),
    Column("next_due_at", UTCDateTime()),
    Column("next_due_date", String(10)),
    Column("next_provisional", Boolean, nullable=False),
    # The default order as one indexable key: the due instant (UTC, ISO) or NO_DEADLINE after every date.
    Column("due_sort", String(32), nullable=False),
    Column("responsible", String(8)),  # the institution that answers for the case now (待本单位处理)
    Column("waiting_on", Text, nullable=False),
    Column("experts_owing", Text, nullable=False),  # ",E1,E2,": panel experts whose analysis/opinion is owed
    Column("panel", Text, nullable=False),  # ",E1,E2,": who of the experts may see the case
    Column("joint_only", Boolean, nullable=False),  # Art. 4(3) draft shown to the other institutions
)
Index("ix_case_summaries_status", case_summaries.c.status)
Index("ix_case_summaries_next_due_at", case_summaries.c.next_due_at)
Index("ix_case_summaries_due_sort", case_summaries.c.due_sort, case_summaries.c.number)
Index("ix_case_summaries_updated_at", case_summaries.c.updated_at)
Index("ix_case_summaries_applicant", case_summaries.c.applicant)
Index("ix_case_summaries_responsible", case_summaries.c.responsible)
