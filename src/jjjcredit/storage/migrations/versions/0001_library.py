"""The basic resource library: organizations, change feed, history, batches, rejects, conflicts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=True),
    sa.Column('last_seq', sa.BigInteger(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches'))
    )
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batches_file_hash'), ['file_hash'], unique=False)

    op.create_table('counters',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_counters'))
    )
    op.bulk_insert(sa.table('counters', sa.column('name', sa.String), sa.column('value', sa.BigInteger)),
                   [{'name': 'feed', 'value': 0}])
    op.create_table('organizations',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('orgcode', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('registration_number', sa.Text(), nullable=True),
    sa.Column('registering_department', sa.Text(), nullable=True),
    sa.Column('registering_department_code', sa.Text(), nullable=True),
    sa.Column('transaction_type', sa.Text(), nullable=True),
    sa.Column('established', sa.Text(), nullable=True),
    sa.Column('approved', sa.Text(), nullable=True),
    sa.Column('last_updated', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('valid_from', sa.Text(), nullable=True),
    sa.Column('valid_to', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('address_division', sa.Text(), nullable=True),
    sa.Column('operating_address', sa.Text(), nullable=True),
    sa.Column('operating_division', sa.Text(), nullable=True),
    sa.Column('business_scope', sa.Text(), nullable=True),
    sa.Column('registered_capital', sa.Text(), nullable=True),
    sa.Column('currency', sa.Text(), nullable=True),
    sa.Column('industry', sa.Text(), nullable=True),
    sa.Column('economic_type', sa.Text(), nullable=True),
    sa.Column('employees', sa.Text(), nullable=True),
    sa.Column('legal_rep', sa.Text(), nullable=True),
    sa.Column('legal_rep_id_type', sa.Text(), nullable=True),
    sa.Column('legal_rep_id_number', sa.Text(), nullable=True),
    sa.Column('telephone', sa.Text(), nullable=True),
    sa.Column('contact', sa.Text(), nullable=True),
    sa.Column('shareholder', sa.Text(), nullable=True),
    sa.Column('supervisor', sa.Text(), nullable=True),
    sa.Column('supervisor_code', sa.Text(), nullable=True),
    sa.Column('disclosure', sa.Text(), nullable=True),
    sa.Column('authority_region', sa.String(length=6), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('effective', sa.String(length=8), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('uscc', name=op.f('pk_organizations'))
    )
    op.create_table('changes',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('effective', sa.String(length=8), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_changes_batch_id_batches')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_changes'))
    )
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.create_index('ix_changes_uscc_seq', ['uscc', 'seq'], unique=False)

    op.create_table('conflicts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('element', sa.String(length=40), nullable=False),
    sa.Column('kept_value', sa.Text(), nullable=True),
    sa.Column('kept_source', sa.String(length=64), nullable=False),
    sa.Column('other_value', sa.Text(), nullable=True),
    sa.Column('other_source', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_conflicts_batch_id_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflicts_uscc'), ['uscc'], unique=False)

    op.create_table('rejects',
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('row', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('uscc', sa.String(length=64), nullable=True),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('original', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_rejects_batch_id_batches')),
    sa.PrimaryKeyConstraint('batch_id', 'row', name=op.f('pk_rejects'))
    )
    op.create_table('history',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('element', sa.String(length=40), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['changes.seq'], name=op.f('fk_history_seq_changes')),
    sa.PrimaryKeyConstraint('seq', 'element', name=op.f('pk_history'))
    )
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.create_index('ix_history_uscc_element', ['uscc', 'element'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('history', schema=None) as batch_op:
        batch_op.drop_index('ix_history_uscc_element')

    op.drop_table('history')
    op.drop_table('rejects')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflicts_uscc'))

    op.drop_table('conflicts')
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_index('ix_changes_uscc_seq')

    op.drop_table('changes')
    op.drop_table('organizations')
    op.drop_table('counters')
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_batches_file_hash'))

    op.drop_table('batches')
