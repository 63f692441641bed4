"""The public credit information catalogue: editions by year, their items, the changes with their
reasons, public comments and assessments.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_CHILDREN = ('catalogue_changes', 'catalogue_comments', 'catalogue_assessments')


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _year(table: str) -> list[Any]:
    return [sa.Column('year', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['year'], ['catalogue_editions.year'],
                                    name=op.f(f'fk_{table}_year_catalogue_editions'))]


def upgrade() -> None:
    op.create_table('catalogue_editions',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=False),
    _at('created_at'),
    _at('comments_opened_at', True),
    _at('comments_until', True),
    sa.Column('approved_by', sa.Text(), nullable=True),
    _at('approved_at', True),
    sa.Column('published_by', sa.Text(), nullable=True),
    _at('published_at', True),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_catalogue_editions'))
    )
    op.create_table('catalogue_items',
    *_year('catalogue_items'),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('item', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'code', name=op.f('pk_catalogue_items'))
    )
    op.create_table('catalogue_changes',
    sa.Column('id', sa.String(length=32), nullable=False),
    *_year('catalogue_changes'),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by', sa.Text(), nullable=False),
    _at('at'),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_changes'))
    )
    op.create_table('catalogue_comments',
    sa.Column('id', sa.String(length=32), nullable=False),
    *_year('catalogue_comments'),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('author', sa.Text(), nullable=False),
    _at('at'),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_comments'))
    )
    op.create_table('catalogue_assessments',
    sa.Column('id', sa.String(length=32), nullable=False),
    *_year('catalogue_assessments'),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('experts', sa.Text(), nullable=False),
    sa.Column('representatives', sa.Text(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('by', sa.Text(), nullable=False),
    _at('at'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_assessments'))
    )
    for table in _CHILDREN:
        op.create_index(op.f(f'ix_{table}_year'), table, ['year'], unique=False)


def downgrade() -> None:
    for table in _CHILDREN:
        op.drop_index(op.f(f'ix_{table}_year'), table_name=table)
        op.drop_table(table)
    op.drop_table('catalogue_items')
    op.drop_table('catalogue_editions')
