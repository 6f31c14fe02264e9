"""SQLAlchemy 2.x: tables, the unit of work, the append-only hash-chained event log, Alembic migrations."""
