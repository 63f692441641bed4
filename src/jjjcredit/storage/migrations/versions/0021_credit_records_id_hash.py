"""Credit records: on PostgreSQL the index by record id becomes a hash index. A record id is a hash
already and is only ever looked up by equality (``= ANY``, ``IN``, ``=``); a hash index holds four
bytes of it a row where the B-tree held all 32 characters, so it is less than half the size and a new
record touches one bucket page, not a leaf found by comparing strings. SQLite keeps its B-tree. The
upgrade builds the index inside its transaction, holding ``credit_records`` meanwhile: on a large
database, plan the upgrade for a quiet hour.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index('ix_credit_records_id', table_name='credit_records')
        op.create_index('ix_credit_records_id', 'credit_records', ['id'], postgresql_using='hash')


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_index('ix_credit_records_id', table_name='credit_records')
        op.create_index('ix_credit_records_id', 'credit_records', ['id'])
