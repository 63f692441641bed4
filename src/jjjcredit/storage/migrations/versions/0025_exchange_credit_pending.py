"""The exchange's credit feed: the versions written since the last numbering are kept in
``exchange_credit_pending`` (subject key, record id and version), added by the database itself on every write of
``credit_records`` and ``credit_record_versions`` — triggers, so that no writer can leave one out — and
an export or a federation poll numbers those, not every version held (which it found by reading both
tables whole each time). Filled with the versions held and not numbered yet.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

#: (table, its record id column, event): each write that may bring a version the feed has not numbered, or
#: move one under another subject key — a record's current row inserted, or updated (a correction gives it a
#: new version in place, or another subject), and a replaced version inserted (a peer's older version lands
#: there directly) or moved with its record to another subject.
_WRITES = (("credit_records", "id", "INSERT"), ("credit_records", "id", "UPDATE"),
           ("credit_record_versions", "record_id", "INSERT"), ("credit_record_versions", "record_id", "UPDATE"))

# PostgreSQL: one trigger a statement, reading the rows it wrote (a transition table: a COPY of a chunk is
# one insert of its rows, not one a row); SQLite: a trigger a row.
_POSTGRES = [
    *(f"CREATE FUNCTION exchange_credit_pending_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      f"INSERT INTO exchange_credit_pending (subject_key, record_id, version) SELECT subject_key, {column}, version "
      "FROM written; "
      "RETURN NULL; END $$" for table, column in dict.fromkeys((t, c) for t, c, _e in _WRITES)),
    *(f"CREATE TRIGGER exchange_credit_pending_{event.lower()} AFTER {event} ON {table} "
      f"REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION exchange_credit_pending_{table}()"
      for table, _c, event in _WRITES),
]
_POSTGRES_DROP = [
    *(f"DROP TRIGGER exchange_credit_pending_{event.lower()} ON {table}" for table, _c, event in _WRITES),
    *(f"DROP FUNCTION exchange_credit_pending_{table}()" for table in dict.fromkeys(t for t, _c, _e in _WRITES)),
]
_SQLITE = [
    f"CREATE TRIGGER exchange_credit_pending_{table}_{event.lower()} AFTER {event} ON {table} FOR EACH ROW BEGIN "
    f"INSERT INTO exchange_credit_pending (subject_key, record_id, version) VALUES (NEW.subject_key, NEW.{column}, "
    "NEW.version); END"
    for table, column, event in _WRITES
]
_SQLITE_DROP = [f"DROP TRIGGER exchange_credit_pending_{table}_{event.lower()}" for table, _c, event in _WRITES]


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:  # no batch writes records between the fill and the triggers
        op.execute("LOCK TABLE credit_records, credit_record_versions IN SHARE MODE")
    op.create_table('exchange_credit_pending',
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    )
    op.execute(
        "INSERT INTO exchange_credit_pending (subject_key, record_id, version) "
        "SELECT r.subject_key, r.id, r.version FROM credit_records r WHERE NOT EXISTS "
        "(SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = r.id AND f.version = r.version) "
        "UNION ALL SELECT v.subject_key, v.record_id, v.version FROM credit_record_versions v WHERE NOT EXISTS "
        "(SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = v.record_id AND f.version = v.version)")
    for statement in _POSTGRES if postgres else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for statement in _POSTGRES_DROP if postgres else _SQLITE_DROP:
        op.execute(statement)
    op.drop_table('exchange_credit_pending')
