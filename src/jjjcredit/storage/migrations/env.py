"""Alembic environment: the URL and connection come from jjjcredit (services/db.py), never from
alembic.ini; the metadata is storage/schema.py."""

from __future__ import annotations

from alembic import context

from jjjcredit.storage.schema import include_object, metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `jjjcredit db upgrade`, which supplies the connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True, include_object=include_object)
with context.begin_transaction():
    context.run_migrations()
