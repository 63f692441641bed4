"""Credit records: the current version of a record is kept once, in ``credit_records`` (which gains
the ``action`` that made it); ``credit_record_versions`` keeps only the versions it replaced. A
record created once and never changed is then written once, not twice.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_SAME = ("v.subject_key = credit_records.subject_key AND v.record_id = credit_records.id "
         "AND v.version = credit_records.version")


def upgrade() -> None:
    op.add_column('credit_records', sa.Column('action', sa.String(length=16), nullable=False,
                                              server_default='created'))
    op.execute(f"UPDATE credit_records SET action = (SELECT v.action FROM credit_record_versions v WHERE {_SAME}) "
               f"WHERE EXISTS (SELECT 1 FROM credit_record_versions v WHERE {_SAME})")
    op.execute("DELETE FROM credit_record_versions WHERE EXISTS (SELECT 1 FROM credit_records r "
               "WHERE r.subject_key = credit_record_versions.subject_key AND r.id = credit_record_versions.record_id "
               "AND r.version = credit_record_versions.version)")


def downgrade() -> None:
    op.execute("INSERT INTO credit_record_versions (subject_key, record_id, version, action, status, batch_id, at, "
               "data, sealed, fingerprint, reason) SELECT subject_key, id, version, action, status, batch_id, "
               "updated_at, data, sealed, fingerprint, reason FROM credit_records")
    with op.batch_alter_table('credit_records') as batch_op:
        batch_op.drop_column('action')
