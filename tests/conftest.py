"""Fixtures shared by every test. Both databases: SQLite by default, PostgreSQL when
``JJJCREDIT_TEST_DATABASE_URL`` is set (``make test`` runs the suite once each way)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jjjcredit.storage.engine import make_engine

TESTDATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def testdata() -> Path:
    """The public test vectors and schemas shipped in ``tests/data`` (see its README): never skipped."""
    return TESTDATA


@pytest.fixture
def new_database_url(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes databases of the test's own: temporary SQLite files, or fresh PostgreSQL schemas
    (dropped afterwards) when ``JJJCREDIT_TEST_DATABASE_URL`` is set."""
    base = os.environ.get("JJJCREDIT_TEST_DATABASE_URL")
    schemas: list[str] = []

    def make() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        if not base:
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        admin = make_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        admin.dispose()
        schemas.append(name)
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options=-csearch_path%3D{name}"

    yield make
    if schemas:
        admin = make_engine(str(base))
        with admin.begin() as conn:
            for name in schemas:
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database_url(new_database_url: Callable[[], str]) -> str:
    """A database of its own for each test: a temporary SQLite file, or a fresh PostgreSQL schema."""
    return new_database_url()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
