"""Federation: the relay's published position per kind, the last message taken from each peer, and the
credit records owned by a peer.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('federation_published',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('to_seq', sa.BigInteger(), nullable=False),
    sa.Column('pending_to', sa.BigInteger(), nullable=True),
    sa.Column('stream_seq', sa.BigInteger(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_federation_published'))
    )
    op.create_table('federation_applied',
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.Column('stream_seq', sa.BigInteger(), nullable=False),
    sa.Column('message_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('peer_seq', sa.BigInteger(), nullable=True),
    sa.Column('peer_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('origin', name=op.f('pk_federation_applied'))
    )
    op.create_table('federation_records',
    sa.Column('record_id', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_federation_records'))
    )


def downgrade() -> None:
    op.drop_table('federation_records')
    op.drop_table('federation_applied')
    op.drop_table('federation_published')
