from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from jjjcredit.storage import migrator


def test_the_numbered_files_and_alembic_agree_on_the_newest_revision():
    config = Config()
    config.set_main_option("script_location", str(migrator.MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == migrator.head()


def test_current_follows_upgrade(engine):
    assert migrator.current(engine) is None
    migrator.upgrade(engine)
    assert migrator.current(engine) == migrator.head()
