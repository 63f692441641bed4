"""Exchange: the credit record versions a peer sent under an item this node's catalogue has not had yet
(``credit.unknown_item``: the edition that adds it not published here yet) are held back, each as the package
row it came as, with the producer, the earliest time it is judged as received and whether the producer owns
the record (federation), and applied once the item is known — the receiver's position still moves past them.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_credit_held',
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('row', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('owned', sa.Integer(), nullable=False),
    sa.Column('package', sa.Text(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('origin', 'record_id', 'version', name=op.f('pk_exchange_credit_held'))
    )
    op.create_index('ix_exchange_credit_held_item', 'exchange_credit_held', ['item'])


def downgrade() -> None:
    op.drop_index('ix_exchange_credit_held_item', table_name='exchange_credit_held')
    op.drop_table('exchange_credit_held')
