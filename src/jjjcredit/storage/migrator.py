"""Running the Alembic migrations in ``storage/migrations/versions`` (numbered files) on an engine."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(engine: Engine) -> str | None:
    """The revision the database is at (``None`` for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def revision(engine: Engine, message: str, rev_id: str) -> None:
    """Write a new migration file from the difference between the schema and the database."""
    config = _config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
