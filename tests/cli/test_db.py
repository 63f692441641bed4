"""``jjjcredit db upgrade`` and ``jjjcredit db status`` through the real command."""

from __future__ import annotations

from jjjcredit.storage import migrator
from tests.cli.test_codes import run


def test_status_of_an_empty_database_exits_1_and_names_the_fix(database_url: str):
    result = run("db", "status", "--db", database_url)
    assert result.returncode == 1
    assert result.stdout == f"current: none (empty database)\nnewest:  {migrator.head()}\n"
    assert "jjjcredit db upgrade" in result.stderr


def test_upgrade_then_status_is_current(database_url: str):
    upgraded = run("db", "upgrade", "--db", database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrator.head()}" in upgraded.stderr and upgraded.stdout == ""
    state = run("db", "status", "--db", database_url)
    assert state.returncode == 0
    assert state.stdout == f"current: {migrator.head()}\nnewest:  {migrator.head()}\n"
    assert run("db", "upgrade", "--db", database_url).returncode == 0  # again: nothing to do, no error
