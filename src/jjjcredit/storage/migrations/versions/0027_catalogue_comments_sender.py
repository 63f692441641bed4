"""Catalogue comments: each keeps who sent it, as a hash (a key's client, or the address a call without a key
is counted under), so that an edition takes at most JJJCREDIT_LIMIT_COMMENTS_PER_DAY comments a day from one
sender. Comments kept before have none (they count under their author's name only).

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalogue_comments') as batch:
        batch.add_column(sa.Column('sender', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('catalogue_comments') as batch:
        batch.drop_column('sender')
