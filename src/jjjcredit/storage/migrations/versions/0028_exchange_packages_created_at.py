"""Exchange packages: each applied keeps the time its producer signed it (the manifest's created_at), the
earliest time a credit record first numbered after that package can have reached its producer: a later
package's record new here is judged as received no earlier (services/exchange/apply.py). Filled for the
packages held from the time their name ends with (to the second).

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exchange_packages') as batch:
        batch.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    packages = sa.table('exchange_packages', sa.column('id', sa.String), sa.column('package', sa.Text),
                        sa.column('created_at', sa.DateTime(timezone=True)))
    for package_id, name in conn.execute(sa.select(packages.c.id, packages.c.package)).all():
        try:  # a package's name ends with the time it was made, YYYYMMDDTHHMMSSZ (core/exchange/packages.py)
            made = datetime.datetime.strptime(str(name).rsplit('-', 1)[-1], '%Y%m%dT%H%M%SZ').replace(
                tzinfo=datetime.UTC)
        except ValueError:
            continue
        conn.execute(sa.update(packages).where(packages.c.id == package_id).values(created_at=made))


def downgrade() -> None:
    with op.batch_alter_table('exchange_packages') as batch:
        batch.drop_column('created_at')
