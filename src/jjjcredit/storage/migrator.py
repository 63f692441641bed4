"""Running the Alembic migrations in ``storage/migrations/versions`` (numbered files) on an engine.

Revision ids are the files' 4-digit numbers (``0001_library.py`` is revision ``0001``), so the
newest revision and the database's own can be read without loading Alembic, which every command
checks at start-up; Alembic itself is loaded only to migrate.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from jjjcredit.core.errors import Error

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_NUMBERED = re.compile(r"^(\d{4})_[a-z0-9_]+\.py$")


def head() -> str | None:
    """The newest revision the code knows: the highest-numbered migration file."""
    numbers = sorted(m.group(1) for p in (MIGRATIONS / "versions").iterdir() if (m := _NUMBERED.match(p.name)))
    return numbers[-1] if numbers else None


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return str(value) if value is not None else None


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


class ForeignKeysBroken(Error):
    """A migration left rows whose foreign keys point nowhere (SQLite, checked before commit)."""

    def __init__(self, rows: list[tuple[object, ...]]) -> None:
        self.rows = rows
        shown = "; ".join(f"{table} row {rowid} -> {parent}" for table, rowid, parent, _ in rows[:5])
        many = f"{len(rows):,} rows" if len(rows) != 1 else "1 row"
        super().__init__("db.foreign_keys_broken", f"The migration was rolled back: {many} would refer to rows "
                         f"that do not exist ({shown}); nothing was changed.")


#: The advisory lock every migration on PostgreSQL holds for its transaction (a number of its own).
MIGRATION_LOCK = 0x4A4A4A_0001


@contextlib.contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """One transaction for Alembic to migrate in.

    On SQLite the foreign keys are off while migrating and checked (``PRAGMA foreign_key_check``)
    before the commit: SQLite's documented way to rebuild a table other tables refer to, which it
    cannot alter in place (dropping the old table would trip their keys). The pragma does nothing
    inside a transaction, so it is set before the transaction begins; the transaction is begun
    explicitly, so a failed migration leaves no table it created behind (SQLite's Python driver
    begins one only before the first row written)."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                if sqlite:  # the driver begins only before a row is written: its table changes too; and
                    # IMMEDIATE takes the write lock now (waiting for other writers as usual): a read
                    # snapshot could not be upgraded once another connection had committed
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:  # two upgrades at once: the second waits for the first, then finds nothing to do
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
                yield conn
                if sqlite and (broken := [tuple(r) for r in conn.exec_driver_sql("PRAGMA foreign_key_check")]):
                    raise ForeignKeysBroken(broken)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = _config()
    with migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = _config()
    with migrating(engine) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Write a new migration file from the difference between the schema and the database."""
    from alembic import command

    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
