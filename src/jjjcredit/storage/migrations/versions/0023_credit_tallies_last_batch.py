"""Credit records: each provider's and item's tally keeps its last committed batch (id, when it finished,
rows read, rows rejected), so the timeliness report and /metrics read one row a pair instead of ranking
every batch ever sent. Filled from the batches held; a pair whose batches kept no record (reports of
none, files wholly rejected) gets a tally of none.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":  # no batch commits between the reading and the end
        op.execute("LOCK TABLE credit_batches IN SHARE MODE")
    with op.batch_alter_table('credit_tallies') as batch:
        batch.add_column(sa.Column('last_batch', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('last_batch_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_batch_rows', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('last_batch_rejected', sa.Integer(), nullable=True))
    op.execute("INSERT INTO credit_tallies (provider, item, records, late, late_examples) "
               "SELECT DISTINCT b.provider, b.item, 0, 0, '[]' FROM credit_batches b WHERE b.status = 'committed' "
               "AND NOT EXISTS (SELECT 1 FROM credit_tallies t WHERE t.provider = b.provider AND t.item = b.item)")
    conn = op.get_bind()
    last = conn.execute(sa.text(
        "SELECT provider, item, id, finished_at, rows, rejected FROM (SELECT provider, item, id, finished_at, rows, "
        "rejected, row_number() OVER (PARTITION BY provider, item ORDER BY finished_at DESC, id DESC) AS n "
        "FROM credit_batches WHERE status = 'committed') ranked WHERE n = 1")).all()
    for provider, item, batch, finished, rows, rejected in last:
        conn.execute(sa.text("UPDATE credit_tallies SET last_batch = :b, last_batch_at = :f, last_batch_rows = :r, "
                             "last_batch_rejected = :x WHERE provider = :p AND item = :i"),
                     {"b": batch, "f": finished, "r": rows, "x": rejected, "p": provider, "i": item})


def downgrade() -> None:
    op.execute("DELETE FROM credit_tallies WHERE records = 0 AND late = 0")
    with op.batch_alter_table('credit_tallies') as batch:
        batch.drop_column('last_batch_rejected')
        batch.drop_column('last_batch_rows')
        batch.drop_column('last_batch_at')
        batch.drop_column('last_batch')
