"""Credit records: batches, rejects, the current version of each record and every version, and the
keys protecting natural persons' identity numbers. On PostgreSQL the records and their versions are
hash-partitioned by the subject's key (storage/schema.py says why).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PARTITIONS = 16
_PARTITIONED = ('credit_records', 'credit_record_versions')


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _int(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    partitioned: dict[str, Any] = {'postgresql_partition_by': 'HASH (subject_key)'} if postgres else {}
    op.create_table('credit_batches',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    _int('edition'),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('file_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    *[_int(n) for n in ('rows', 'created', 'updated', 'unchanged', 'rejected', 'warnings', 'flagged', 'late')],
    _at('started_at'),
    _at('finished_at'),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_batches'))
    )
    op.create_index('ix_credit_batches_provider_item', 'credit_batches', ['provider', 'item', 'file_hash'])
    op.create_table('credit_rejects',
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('row', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['credit_batches.id'],
                            name=op.f('fk_credit_rejects_batch_id_credit_batches')),
    sa.PrimaryKeyConstraint('batch_id', 'row', name=op.f('pk_credit_rejects'))
    )
    op.create_table('credit_records',
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('document_number', sa.Text(), nullable=False),
    sa.Column('subject_type', sa.String(length=24), nullable=False),
    sa.Column('subject_name', sa.Text(), nullable=False),
    sa.Column('subject_code', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    _int('version'),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('decided_on', sa.String(length=10), nullable=True),
    sa.Column('valid_until', sa.String(length=10), nullable=True),
    sa.Column('due_on', sa.String(length=10), nullable=True),
    _int('late'),
    _int('unknown_organization'),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=True),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    _at('created_at'),
    _at('updated_at'),
    sa.Column('revoked_on', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('subject_key', 'id', name=op.f('pk_credit_records')),
    **partitioned
    )
    op.create_table('credit_record_versions',
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('batch_id', sa.String(length=64), nullable=True),
    _at('at'),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=True),
    sa.Column('fingerprint', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('subject_key', 'record_id', 'version', name=op.f('pk_credit_record_versions')),
    **partitioned
    )
    if postgres:
        for table in _PARTITIONED:
            for n in range(PARTITIONS):
                op.execute(f'CREATE TABLE {table}_p{n:02d} PARTITION OF {table} '
                           f'FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})')
    op.create_index('ix_credit_records_id', 'credit_records', ['id'])
    op.create_index('ix_credit_records_provider_item', 'credit_records', ['provider', 'item', 'late'])
    op.create_index('ix_credit_record_versions_batch_id', 'credit_record_versions', ['batch_id'])
    op.execute("INSERT INTO counters (name, value) VALUES ('credit', 0)")  # the lock credit batches take
    op.create_table('personal_keys',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    _at('created_at'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_keys'))
    )


def downgrade() -> None:
    op.drop_table('personal_keys')
    op.execute("DELETE FROM counters WHERE name = 'credit'")
    op.drop_index('ix_credit_record_versions_batch_id', table_name='credit_record_versions')
    op.drop_index('ix_credit_records_provider_item', table_name='credit_records')
    op.drop_index('ix_credit_records_id', table_name='credit_records')
    op.drop_table('credit_record_versions')
    op.drop_table('credit_records')
    op.drop_table('credit_rejects')
    op.drop_index('ix_credit_batches_provider_item', table_name='credit_batches')
    op.drop_table('credit_batches')
