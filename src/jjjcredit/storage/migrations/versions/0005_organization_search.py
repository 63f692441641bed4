"""Search keys of organization names and their character pairs; filled from the organizations
already in the library.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jjjcredit.core.library import search

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_KEYS = ('name_key', 'core_key', 'initials', 'core_initials')


def upgrade() -> None:
    keys = op.create_table('organization_search',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name_key', sa.Text(), nullable=False),
    sa.Column('core_key', sa.Text(), nullable=False),
    sa.Column('initials', sa.Text(), nullable=False),
    sa.Column('core_initials', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('uscc', name=op.f('pk_organization_search'))
    )
    for column in _KEYS:
        op.create_index(f'ix_organization_search_{column}', 'organization_search', [column], unique=False,
                        postgresql_ops={column: 'text_pattern_ops'})
    grams = op.create_table('organization_search_grams',
    sa.Column('gram', sa.String(length=8), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.PrimaryKeyConstraint('gram', 'uscc', name=op.f('pk_organization_search_grams'))
    )
    op.create_index('ix_organization_search_grams_uscc', 'organization_search_grams', ['uscc'], unique=False)
    _backfill(keys, grams)


def _backfill(keys: sa.Table, grams: sa.Table) -> None:
    """Index the organizations already in the library, a few thousand at a time."""
    conn = op.get_bind()
    organizations = sa.table('organizations', sa.column('uscc'), sa.column('name'))
    last = ''
    while True:
        part = conn.execute(sa.select(organizations.c.uscc, organizations.c.name)
                            .where(organizations.c.uscc > last, organizations.c.name.is_not(None))
                            .order_by(organizations.c.uscc).limit(5000)).all()
        if not part:
            return
        last = part[-1][0]
        entries = [search.index_entry(code, name) for code, name in part]
        conn.execute(keys.insert(), [e.keys for e in entries])
        pairs = [{'gram': g, 'uscc': e.keys['uscc']} for e in entries for g in sorted(e.grams)]
        if pairs:
            conn.execute(grams.insert(), pairs)


def downgrade() -> None:
    op.drop_index('ix_organization_search_grams_uscc', table_name='organization_search_grams')
    op.drop_table('organization_search_grams')
    for column in _KEYS:
        op.drop_index(f'ix_organization_search_{column}', table_name='organization_search')
    op.drop_table('organization_search')
