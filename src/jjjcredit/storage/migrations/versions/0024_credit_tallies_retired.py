"""Credit records: a provider retired under an item (merged, dissolved, the duty moved elsewhere) — when,
by whom, why — so the timeliness report and /metrics stop calling the pair silent. A batch the provider
sends later, or the operator, ends it; every retirement is kept in credit_retirements, with how it
ended (the one not ended is the one in force).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'credit_retirements',
        sa.Column('id', sa.String(length=32), primary_key=True),
        sa.Column('provider', sa.Text(), nullable=False),
        sa.Column('item', sa.String(length=64), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_by', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by', sa.Text(), nullable=True),
    )
    op.create_index('ix_credit_retirements_provider_item', 'credit_retirements', ['provider', 'item'])


def downgrade() -> None:
    op.drop_index('ix_credit_retirements_provider_item', table_name='credit_retirements')
    op.drop_table('credit_retirements')
