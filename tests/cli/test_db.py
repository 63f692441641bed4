"""``jjjcredit db``: upgrade, status, backup and restore through the real command, on the database under test."""

from __future__ import annotations

import datetime
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from jjjcredit.services.sharing import audit
from jjjcredit.storage import migrator
from jjjcredit.storage.engine import make_engine
from tests.cli import command
from tests.services.library import library_files as files


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return command.run_text(list(args), timeout=300)


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a new PostgreSQL database whose
    search_path names the same schema as the source's (a schema backup restores into its own name)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    base = os.environ["JJJCREDIT_TEST_DATABASE_URL"]
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    head, _, query = database_url.partition("?")
    yield f"{head.rsplit('/', 1)[0]}/{name}?{query}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _library_with_audit(url: str, tmp_path: Path) -> list[str]:
    assert run("db", "upgrade", "--db", url).returncode == 0
    codes = files.codes(5)
    path = files.organizations(tmp_path / "a.csv", codes)
    assert run("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", url).returncode == 0
    engine = make_engine(url)
    now = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    with engine.begin() as conn:
        audit.append_entries(conn, [
            {"at": now + datetime.timedelta(seconds=i), "request_id": f"r{i}", "client": "c", "service": "lookup",
             "purpose": "test", "method": "GET", "path": f"/api/v1/organizations/{code}", "codes": [code],
             "status": 200, "outcome": "ok", "latency_ms": 1.0} for i, code in enumerate(codes)])
    engine.dispose()
    return codes


def test_a_restored_library_answers_the_same_and_its_audit_verifies(database_url: str, empty_target: str,
                                                                    tmp_path: Path):
    codes = _library_with_audit(database_url, tmp_path)
    saved = tmp_path / "library.backup"
    made = run("db", "backup", str(saved), "--db", database_url)
    assert made.returncode == 0, made.stderr
    assert saved.is_file() and not saved.with_name(saved.name + ".partial").exists()
    restored = run("db", "restore", str(saved), "--db", empty_target)
    assert restored.returncode == 0, restored.stderr
    assert "audit trail is intact: 5 entries" in restored.stderr
    for code in codes[:2]:
        before = run("library", "show", code, "--db", database_url)
        after = run("library", "show", code, "--db", empty_target)
        assert after.returncode == 0 and after.stdout == before.stdout
    again = run("db", "restore", str(saved), "--db", empty_target)
    assert again.returncode == 2 and "[backup.not_empty]" in again.stderr


def test_a_restore_checks_the_audit_trail(database_url: str, empty_target: str, tmp_path: Path):
    _library_with_audit(database_url, tmp_path)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit SET purpose = 'rewritten' WHERE seq = 3"))
    engine.dispose()
    saved = tmp_path / "library.backup"
    assert run("db", "backup", str(saved), "--db", database_url).returncode == 0
    restored = run("db", "restore", str(saved), "--db", empty_target)
    assert restored.returncode == 1 and "[audit.chain]" in restored.stderr and "entry 3" in restored.stderr


def test_what_is_not_a_backup_is_refused(database_url: str, tmp_path: Path):
    other = tmp_path / "x.csv"
    other.write_text("统一社会信用代码\n", encoding="utf-8")
    refused = run("db", "restore", str(other), "--db", database_url)
    assert refused.returncode == 2 and "[backup.kind]" in refused.stderr
    missing = run("db", "restore", str(tmp_path / "nope"), "--db", database_url)
    assert missing.returncode == 2 and "[file.not_found]" in missing.stderr
    empty = run("db", "backup", str(tmp_path / "b"), "--db", database_url)
    expected = "[db.unavailable]" if database_url.startswith("sqlite") else "[backup.empty]"  # (no file: none)
    assert empty.returncode == 2 and expected in empty.stderr and not (tmp_path / "b").exists()
    wrong_kind = tmp_path / ("pg.backup" if database_url.startswith("sqlite") else "lite.backup")
    wrong_kind.write_bytes(b"PGDMP" if database_url.startswith("sqlite") else b"SQLite format 3\x00")
    mixed = run("db", "restore", str(wrong_kind), "--db", database_url)
    assert mixed.returncode == 2 and "[backup.kind]" in mixed.stderr


def test_status_of_an_empty_database_exits_1_and_names_the_fix(database_url: str, tmp_path: Path):
    if database_url.startswith("sqlite"):  # a SQLite file that is not there is no database: nothing is made
        missing = tmp_path / "elsewhere" / "x.sqlite3"
        for command in (("db", "status"), ("credit", "show", "91110101MADUQFEY8Q")):
            refused = run(*command, "--db", f"sqlite:///{missing}")
            assert refused.returncode == 2 and "[db.unavailable]" in refused.stderr and str(missing) in refused.stderr
        assert not missing.parent.exists()
        Path(database_url.removeprefix("sqlite:///")).touch()  # (an empty file: an empty database)
    result = run("db", "status", "--db", database_url)
    assert result.returncode == 1
    assert result.stdout.startswith("database: ")  # which one it looked at
    assert result.stdout.endswith(f"current:  none (empty database)\nnewest:   {migrator.head()}\n")
    assert "jjjcredit db upgrade" in result.stderr


def test_upgrade_then_status_is_current(database_url: str):
    upgraded = run("db", "upgrade", "--db", database_url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {migrator.head()}" in upgraded.stderr and upgraded.stdout == ""
    state = run("db", "status", "--db", database_url)
    assert state.returncode == 0
    assert state.stdout.endswith(f"current:  {migrator.head()}\nnewest:   {migrator.head()}\n")
    again = run("db", "upgrade", "--db", database_url)  # again: nothing to do, no error, and it says so
    assert again.returncode == 0 and "already (the newest); nothing to do" in again.stderr


def test_upgrade_says_what_it_did_and_a_new_sqlite_file_is_named_so(tmp_path: Path):
    """An operator who mistypes a SQLite path is told a new database was made, not that one was upgraded; an
    older database is told its revisions."""
    url = f"sqlite:///{tmp_path / 'typo.sqlite3'}"
    made = run("db", "upgrade", "--db", url)
    assert made.returncode == 0 and "no database was there; created a new one" in made.stderr
    engine = make_engine(url)
    migrator.downgrade(engine, "0022")
    engine.dispose()
    upgraded = run("db", "upgrade", "--db", url)
    assert upgraded.returncode == 0 and f"upgraded from revision 0022 to {migrator.head()}" in upgraded.stderr


def test_a_database_newer_than_the_code_says_so_and_is_not_upgraded(database_url: str):
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    state = run("db", "status", "--db", database_url)
    assert state.returncode == 1 and "current:  9999" in state.stdout and "newer release" in state.stderr
    upgrade = run("db", "upgrade", "--db", database_url)
    assert upgrade.returncode == 2 and "[db.schema_ahead]" in upgrade.stderr and "Run that release" in upgrade.stderr
    other = run("credit", "timeliness", "--db", database_url)
    assert other.returncode == 2 and "[db.schema_ahead]" in other.stderr
