"""Alembic environment: run with the connection the caller hands over (storage.db.migrate), or from the URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import storage.read_tables  # noqa: F401  (the read log joins the same metadata too)
import storage.summary_tables  # noqa: F401  (the summary projection joins the same metadata too)
import storage.web_tables  # noqa: F401  (the web tables join the same metadata, for autogenerate)
from storage.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
