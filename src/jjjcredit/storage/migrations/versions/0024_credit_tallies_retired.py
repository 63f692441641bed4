"""Credit records: a provider's and item's tally can say the provider is retired (merged, dissolved, the
duty moved elsewhere) — when, by whom, why — so the timeliness report and /metrics stop calling the pair
silent. A batch the provider sends later clears it.

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
    with op.batch_alter_table('credit_tallies') as batch:
        batch.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('retired_by', sa.Text(), nullable=True))
        batch.add_column(sa.Column('retired_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credit_tallies') as batch:
        batch.drop_column('retired_reason')
        batch.drop_column('retired_by')
        batch.drop_column('retired_at')
