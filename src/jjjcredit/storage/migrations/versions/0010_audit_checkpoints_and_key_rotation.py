"""Signed checkpoints of the audit chain; API key rotation; a revoked client's name may be used again.

``audit_checkpoints`` keeps the chain head (seq, hash, time) signed with the evidence key. ``clients``
gains the key a rotation replaced (prefix, hash, and until when it is still accepted), and its name is
unique among the clients that are not revoked only (a partial unique index on both databases).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_key_prefix', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('previous_key_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('previous_key_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_clients_previous_key_prefix'), ['previous_key_prefix'])
        batch_op.drop_constraint('uq_clients_name', type_='unique')
    op.create_index('uq_clients_live_name', 'clients', ['name'], unique=True,
                    sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_clients_live_name', table_name='clients')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_clients_name', ['name'])
        batch_op.drop_constraint(batch_op.f('uq_clients_previous_key_prefix'), type_='unique')
        batch_op.drop_column('previous_key_until')
        batch_op.drop_column('previous_key_hash')
        batch_op.drop_column('previous_key_prefix')
    op.drop_table('audit_checkpoints')
