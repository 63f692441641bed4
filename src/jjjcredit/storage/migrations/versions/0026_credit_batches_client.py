"""Credit batches: each keeps the client (its id) that sent it over the API, so that its rejects are read by
that client alone — a revoked client's name may be given to a new client, which does not inherit what the
first one sent. Filled for the batches held from the client of the provider's name live when each was sent.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credit_batches') as batch:
        batch.add_column(sa.Column('client', sa.String(length=32), nullable=True))
    op.execute("UPDATE credit_batches SET client = (SELECT c.id FROM clients c WHERE c.name = credit_batches.provider "
               "AND c.created_at <= credit_batches.started_at AND (c.revoked_at IS NULL OR "
               "c.revoked_at > credit_batches.started_at) ORDER BY c.created_at DESC LIMIT 1) "
               "WHERE channel = 'api'")


def downgrade() -> None:
    with op.batch_alter_table('credit_batches') as batch:
        batch.drop_column('client')
