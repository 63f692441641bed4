"""Credit reports: the issue record of every report (number, subject, kind, time, data date, what it
covers, the hash of each rendering, the key and signature) — never its contents.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_reports',
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('subject_code', sa.String(length=20), nullable=False),
    sa.Column('subject_name', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data_as_of', sa.String(length=10), nullable=False),
    sa.Column('covering', sa.Text(), nullable=False),
    sa.Column('files', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_credit_reports'))
    )
    op.create_index('ix_credit_reports_subject_code', 'credit_reports', ['subject_code'])


def downgrade() -> None:
    op.drop_index('ix_credit_reports_subject_code', table_name='credit_reports')
    op.drop_table('credit_reports')
