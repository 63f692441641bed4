"""Search keys compared in code-point order on both databases, character pairs counted, and the
SQLite inverted index kept by the refresh instead of by triggers.

- ``organization_search_gram_counts``: how many organizations hold each character pair, so a query
  knows which of its pairs are too common to look up without touching their postings.
- PostgreSQL: the four keys in collation ``"C"`` (code-point order, as SQLite compares them), so a
  prefix is one range of a plain B-tree index and a key orders the same on both databases.
- Each key indexed with the code, the order candidates are read and cut in: no database sorts every
  match of a short prefix.
- SQLite: the FTS5 table without its triggers (a trigger per row made the refresh several times
  slower than one ``INSERT … SELECT`` per part), without folding diacritics (PostgreSQL's arrays
  compare pairs as they are) and without per-row sizes (nothing ranks by them).

The keys are emptied and the ``search`` counter set to 0: the next refresh (``jjjcredit db
upgrade`` runs one) rebuilds them and their counts.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_KEYS = ('name_key', 'core_key', 'initials', 'core_initials')
_TRIGGERS = (
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


def _fts(options: str) -> str:
    return ("CREATE VIRTUAL TABLE organization_search_fts USING fts5(grams, content='organization_search', "
            f"content_rowid='rowid', detail='none', {options})")


def _reset() -> None:
    op.execute('DELETE FROM organization_search')
    op.execute("UPDATE counters SET value = 0 WHERE name = 'search'")


def upgrade() -> None:
    op.create_table('organization_search_gram_counts',
    sa.Column('gram', sa.Text(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gram', name=op.f('pk_organization_search_gram_counts'))
    )
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER organization_search_fts_{name}')
        op.execute('DROP TABLE organization_search_fts')
    _reset()
    for column in _KEYS:
        op.drop_index(f'ix_organization_search_{column}', table_name='organization_search')
        if not sqlite:
            op.alter_column('organization_search', column, type_=sa.Text(collation='C'), existing_nullable=False)
        op.create_index(f'ix_organization_search_{column}', 'organization_search', [column, 'uscc'], unique=False)
    if sqlite:
        op.execute(_fts("columnsize=0, tokenize='unicode61 remove_diacritics 0'"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('DROP TABLE organization_search_fts')
    _reset()
    for column in _KEYS:
        op.drop_index(f'ix_organization_search_{column}', table_name='organization_search')
        if not sqlite:
            op.alter_column('organization_search', column, type_=sa.Text(), existing_nullable=False)
        op.create_index(f'ix_organization_search_{column}', 'organization_search', [column], unique=False,
                        postgresql_ops={column: 'text_pattern_ops'})
    if sqlite:
        op.execute(_fts("tokenize='unicode61'"))
        for statement in _TRIGGERS:
            op.execute(statement)
    op.drop_table('organization_search_gram_counts')
