"""Exchange packages: known peer nodes with their keys, the packages applied from each, and the
exchange's feed of credit record versions (with its counter).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_peers',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('keys', sa.Text(), nullable=False),
    sa.Column('added_by', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_exchange_peers'))
    )
    op.create_table('exchange_packages',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('package', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=160), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('after_seq', sa.BigInteger(), nullable=False),
    sa.Column('to_seq', sa.BigInteger(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_packages'))
    )
    op.create_index('ix_exchange_packages_origin_kind', 'exchange_packages',
                    ['origin', 'kind', 'scope', 'audience', 'to_seq'], unique=False)
    op.create_table('exchange_credit_feed',
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('record_id', 'version', name=op.f('pk_exchange_credit_feed')),
    sa.UniqueConstraint('seq', name=op.f('uq_exchange_credit_feed_seq'))
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('exchange_credit', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'exchange_credit'")
    op.drop_table('exchange_credit_feed')
    op.drop_index('ix_exchange_packages_origin_kind', table_name='exchange_packages')
    op.drop_table('exchange_packages')
    op.drop_table('exchange_peers')
