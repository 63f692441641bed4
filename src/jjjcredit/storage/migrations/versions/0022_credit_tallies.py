"""Credit records: per provider and item, a tally of the records held, the late ones and five late
document numbers (``credit_tallies``), added to by every writer of ``credit_records``; the index by
provider, item and lateness, which every new record wrote to and only the timeliness report read
(counting over every record), is dropped. The tallies are filled from the records held.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    if postgres:  # no batch commits records between the count and the end of the upgrade
        op.execute("LOCK TABLE credit_records IN SHARE MODE")
    op.create_table('credit_tallies',
    sa.Column('provider', sa.Text(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('records', sa.BigInteger(), nullable=False),
    sa.Column('late', sa.BigInteger(), nullable=False),
    sa.Column('late_examples', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('provider', 'item', name=op.f('pk_credit_tallies'))
    )
    op.execute("INSERT INTO credit_tallies (provider, item, records, late, late_examples) "
               "SELECT provider, item, count(*), sum(late), '[]' FROM credit_records GROUP BY provider, item")
    conn = op.get_bind()
    in_order = 'document_number COLLATE "C"' if postgres else "document_number"  # code-point order, as Python's
    pairs = conn.execute(sa.text("SELECT provider, item FROM credit_tallies WHERE late > 0")).all()
    for provider, item in pairs:
        numbers = conn.execute(sa.text(
            "SELECT document_number FROM credit_records WHERE provider = :p AND item = :i AND late = 1 "
            f"ORDER BY {in_order} LIMIT 5"), {"p": provider, "i": item}).scalars().all()
        conn.execute(sa.text("UPDATE credit_tallies SET late_examples = :e WHERE provider = :p AND item = :i"),
                     {"e": json.dumps(list(numbers), ensure_ascii=False), "p": provider, "i": item})
    op.drop_index('ix_credit_records_provider_item', table_name='credit_records')


def downgrade() -> None:
    op.create_index('ix_credit_records_provider_item', 'credit_records', ['provider', 'item', 'late'])
    op.drop_table('credit_tallies')
