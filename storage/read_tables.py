"""The read log (issue 14, migration 0009_read_log): who opened or downloaded which paper, material or expert
record, when. Kept apart from the cases' event chains: reading changes no case, and a purge keeps these rows."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from storage.tables import UTCDateTime, metadata

read_log = Table(
    "read_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("what", String(32), nullable=False),  # minutes | form | blank_form | material | dossier | export | ...
    Column("case_number", String(32)),  # None: a paper of no case (fee statement, year report, destruction list)
    Column("item", String(200), nullable=False, default=""),  # the file's name, an expert's id, a format
    Column("channel", String(8), nullable=False, default="web"),  # web (pages) | api | cli
)
Index("ix_read_log_at", read_log.c.at)
Index("ix_read_log_case_number", read_log.c.case_number)
Index("ix_read_log_user_name", read_log.c.user_name)
