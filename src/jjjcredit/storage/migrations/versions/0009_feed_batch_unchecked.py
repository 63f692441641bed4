"""The change feed's batch reference is kept by the ingest, not checked row by row.

PostgreSQL checks a foreign key with a trigger per row: about 6 microseconds a row, 6 s of a first
load of 1,000,000 organizations (each writes its "created" feed row) — more than copying the rows
themselves. The ingest writes the batch row first, in the same transaction as its feed rows, and
batches are never deleted, so ``changes.batch_id`` keeps pointing at a batch without the check.

SQLite cannot drop a constraint in place: the table is rebuilt (``storage/migrator.py`` turns the
foreign keys off while migrating, then checks them).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_changes_batch_id_batches', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_changes_batch_id_batches', 'batches', ['batch_id'], ['id'])
