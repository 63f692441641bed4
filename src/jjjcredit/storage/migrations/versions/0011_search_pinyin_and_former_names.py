"""Search by full pinyin and by former names.

- ``organization_search.pinyin`` and ``local_pinyin``: the name's full pinyin, and that of the name
  after its first region, each indexed with the code (as the other keys).
- ``organization_search_former``: the keys of every name an organization carried before a change.

The keys are emptied and the ``search`` counter set to 0: the next refresh (``jjjcredit db upgrade``
runs one) rebuilds them, their counts and the former names, for the whole library.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

_PINYIN = ('pinyin', 'local_pinyin')


def _key() -> sa.types.TypeEngine[str]:
    return sa.Text() if op.get_bind().dialect.name == 'sqlite' else sa.Text(collation='C')


def _reset() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("INSERT INTO organization_search_fts(organization_search_fts) VALUES ('delete-all')")
    op.execute('DELETE FROM organization_search')
    op.execute('DELETE FROM organization_search_gram_counts')
    op.execute("UPDATE counters SET value = 0 WHERE name = 'search'")


def upgrade() -> None:
    _reset()
    for column in _PINYIN:
        op.add_column('organization_search', sa.Column(column, _key(), server_default='', nullable=False))
        op.create_index(f'ix_organization_search_{column}', 'organization_search', [column, 'uscc'], unique=False)
    op.create_table('organization_search_former',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name_key', _key(), nullable=False),
    sa.Column('core_key', _key(), nullable=False),
    sa.PrimaryKeyConstraint('uscc', 'name_key', name=op.f('pk_organization_search_former'))
    )
    op.create_index('ix_organization_search_former_name_key', 'organization_search_former', ['name_key', 'uscc'],
                    unique=False)
    op.create_index('ix_organization_search_former_core_key', 'organization_search_former', ['core_key', 'uscc'],
                    unique=False)


def downgrade() -> None:
    _reset()
    op.drop_table('organization_search_former')
    for column in _PINYIN:
        op.drop_index(f'ix_organization_search_{column}', table_name='organization_search')
        with op.batch_alter_table('organization_search') as batch:
            batch.drop_column(column)
