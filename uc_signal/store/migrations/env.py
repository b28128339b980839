"""Alembic environment: migrations run on the connection the store hands over
(`config.attributes["connection"]`, a sync facade over the async engine; see migrate.py),
so they work the same for SQLite and PostgreSQL and never open a second database."""

from __future__ import annotations

from alembic import context

from uc_signal.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through uc_signal.store.migrate (it passes the connection)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
