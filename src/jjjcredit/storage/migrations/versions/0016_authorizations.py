"""Authorizations: a credit subject's consent that a named application party may query its non-public
credit records, for a purpose, for the items named, within a validity, with a reference to its proof.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('authorizations',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=False),
    sa.Column('party', sa.String(length=200), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('items', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.String(length=10), nullable=False),
    sa.Column('valid_until', sa.String(length=10), nullable=False),
    sa.Column('proof', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_on', sa.String(length=10), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorizations'))
    )
    op.create_index('ix_authorizations_subject_key', 'authorizations', ['subject_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_authorizations_subject_key', table_name='authorizations')
    op.drop_table('authorizations')
