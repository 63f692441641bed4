"""The change feed's rows say what changed and in which batch; the batch says the rest.

A feed row repeated its batch's source and time, and an index by code served one reader (an
organization's history) at the price of a random index insert per change — most of what writing the
feed cost. Now: ``changes`` keeps (seq, uscc, kind, batch_id, effective); source and time come from
``batches``; an organization's events are found from ``organizations.created_seq`` (its "created"
change) and its ``history`` rows (every "changed" change has at least one). An organization's
``created_at`` and ``updated_at`` repeated its batches' times too: they go (the times of the batches
of ``created_seq`` and ``seq``).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_seq', sa.BigInteger(), nullable=True))
    op.execute("UPDATE organizations SET created_seq = (SELECT min(c.seq) FROM changes c "
               "WHERE c.uscc = organizations.uscc AND c.kind = 'created')")
    op.drop_column('organizations', 'created_at')
    op.drop_column('organizations', 'updated_at')
    # Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): no table rebuilt.
    op.drop_index('ix_changes_uscc_seq', table_name='changes')
    op.drop_column('changes', 'source')
    op.drop_column('changes', 'recorded_at')


def downgrade() -> None:
    # The columns come back nullable (SQLite cannot add a NOT NULL column in place), filled from batches.
    op.add_column('changes', sa.Column('source', sa.String(length=64), nullable=True))
    op.add_column('changes', sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE changes SET source = (SELECT b.source FROM batches b WHERE b.id = changes.batch_id), "
               "recorded_at = (SELECT b.started_at FROM batches b WHERE b.id = changes.batch_id)")
    op.create_index('ix_changes_uscc_seq', 'changes', ['uscc', 'seq'], unique=False)
    for column, seq in (('created_at', 'created_seq'), ('updated_at', 'seq')):
        op.add_column('organizations', sa.Column(column, sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE organizations SET {column} = (SELECT b.started_at FROM changes c JOIN batches b "
                   f"ON b.id = c.batch_id WHERE c.seq = organizations.{seq})")
    op.drop_column('organizations', 'created_seq')
