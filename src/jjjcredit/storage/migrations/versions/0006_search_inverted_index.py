"""Search keys in a native inverted index, refreshed from the change feed after each batch commits.

The character pairs of each name move from ``organization_search_grams`` (one B-tree row per pair)
into a ``grams`` column of ``organization_search`` indexed by the database itself: an FTS5 table
(external content, kept in step by triggers) on SQLite, a GIN index over the pairs as an array on
PostgreSQL. A ``search`` counter remembers the change-feed position the keys are up to date with;
this migration empties the keys and sets it to 0, so the next refresh (``jjjcredit search refresh``,
the next ingest, or the server) rebuilds them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE organization_search_fts USING fts5(grams, content='organization_search', "
    "content_rowid='rowid', detail='none', tokenize='unicode61')",
    "CREATE TRIGGER organization_search_fts_insert AFTER INSERT ON organization_search BEGIN "
    "INSERT INTO organization_search_fts(rowid, grams) VALUES (new.rowid, new.grams); END",
    "CREATE TRIGGER organization_search_fts_delete AFTER DELETE ON organization_search BEGIN "
    "INSERT INTO organization_search_fts(organization_search_fts, rowid, grams) "
    "VALUES ('delete', old.rowid, old.grams); END",
    "CREATE TRIGGER organization_search_fts_update AFTER UPDATE ON organization_search BEGIN "
    "INSERT INTO organization_search_fts(organization_search_fts, rowid, grams) "
    "VALUES ('delete', old.rowid, old.grams); "
    "INSERT INTO organization_search_fts(rowid, grams) VALUES (new.rowid, new.grams); END",
)
POSTGRESQL_UP = (
    "CREATE INDEX ix_organization_search_grams ON organization_search "
    "USING gin (string_to_array(grams, ' '))",
)


def upgrade() -> None:
    op.drop_index('ix_organization_search_grams_uscc', table_name='organization_search_grams')
    op.drop_table('organization_search_grams')
    op.execute('DELETE FROM organization_search')
    with op.batch_alter_table('organization_search') as batch:
        batch.add_column(sa.Column('grams', sa.Text(), nullable=False, server_default=''))
    for statement in SQLITE_UP if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL_UP:
        op.execute(statement)
    op.bulk_insert(sa.table('counters', sa.column('name', sa.String), sa.column('value', sa.BigInteger)),
                   [{'name': 'search', 'value': 0}])


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'search'")
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER organization_search_fts_{name}')
        op.execute('DROP TABLE organization_search_fts')
    else:
        op.execute('DROP INDEX ix_organization_search_grams')
    op.execute('DELETE FROM organization_search')
    with op.batch_alter_table('organization_search') as batch:
        batch.drop_column('grams')
    op.create_table('organization_search_grams',
    sa.Column('gram', sa.String(length=8), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.PrimaryKeyConstraint('gram', 'uscc', name=op.f('pk_organization_search_grams'))
    )
    op.create_index('ix_organization_search_grams_uscc', 'organization_search_grams', ['uscc'], unique=False)
