"""Fixtures shared by every test. Both databases: SQLite by default, PostgreSQL when
``JJJCREDIT_TEST_DATABASE_URL`` is set (``make test`` runs the suite once each way)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from jjjcredit.storage.engine import make_engine

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
TESTDATA = SHARED / "testdata"


@pytest.fixture
def testdata() -> Path:
    """The shared public test vectors; the test is skipped cleanly where the folder is absent."""
    if not TESTDATA.is_dir():
        pytest.skip(f"shared test data not found at {TESTDATA}")
    return TESTDATA


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database of its own for each test: a temporary SQLite file, or a fresh PostgreSQL schema."""
    base = os.environ.get("JJJCREDIT_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
