"""A credit subject's own view: the audit trail says a public call's address class and the catalogue
items a call was answered with, and is indexed by the codes it touched (``audit_subjects``, filled from
the entries already kept); one-time codes and sessions of credit subjects.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit') as batch:
        batch.add_column(sa.Column('address_class', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('items', sa.Text(), nullable=True))
    op.create_table('audit_subjects',
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('code', 'seq', name=op.f('pk_audit_subjects'))
    )
    op.create_table('subject_codes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_codes'))
    )
    op.create_index('ix_subject_codes_subject_key', 'subject_codes', ['subject_key'], unique=False)
    op.create_table('subject_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_subject_sessions'))
    )
    # the entries already kept, indexed by the codes they touched
    conn = op.get_bind()
    audit = sa.table('audit', sa.column('seq', sa.BigInteger()), sa.column('codes', sa.Text()))
    index = sa.table('audit_subjects', sa.column('code', sa.String()), sa.column('seq', sa.BigInteger()))
    after = 0
    while True:
        rows = conn.execute(sa.select(audit.c.seq, audit.c.codes).where(audit.c.seq > after)
                            .order_by(audit.c.seq).limit(5_000)).all()
        if not rows:
            break
        pairs = [{"code": code, "seq": seq} for seq, codes in rows for code in set(json.loads(codes))
                 if isinstance(code, str) and 0 < len(code) <= 80]
        if pairs:
            conn.execute(sa.insert(index), pairs)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_table('subject_sessions')
    op.drop_index('ix_subject_codes_subject_key', table_name='subject_codes')
    op.drop_table('subject_codes')
    op.drop_table('audit_subjects')
    with op.batch_alter_table('audit') as batch:
        batch.drop_column('items')
        batch.drop_column('address_class')
