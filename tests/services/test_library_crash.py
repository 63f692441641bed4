"""The guarantees that need real processes: kill -9 at any moment, and two ingests at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from jjjcredit.services import db
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import batches, changes, history, organizations
from tests.services import library_files as files

ROWS = 30_000


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "jjjcredit", *args]


def _snapshot(url: str) -> dict[str, object]:
    """What a reader sees, without the times and ids that differ between runs."""
    engine = make_engine(url)
    skip = {"batch_id", "created_at", "updated_at", "seq"}
    with engine.connect() as conn:
        orgs = [tuple(v for k, v in row.items() if k not in skip) for row in
                conn.execute(select(organizations).order_by(organizations.c.uscc)).mappings()]
        feed = conn.execute(select(changes.c.seq, changes.c.uscc, changes.c.kind).order_by(changes.c.seq)).all()
        values = conn.execute(select(history.c.seq, history.c.element, history.c.new_value)
                              .order_by(history.c.seq, history.c.element)).all()
        done = conn.execute(select(batches.c.status, batches.c.rows, batches.c.created, batches.c.updated)
                            .order_by(batches.c.finished_at)).all()
    engine.dispose()
    return {"organizations": orgs, "feed": [tuple(r) for r in feed], "history": [tuple(r) for r in values],
            "batches": [tuple(r) for r in done]}


def _prepare(url: str) -> None:
    engine = make_engine(url)
    db.upgrade(engine)
    engine.dispose()


def test_kill_9_at_any_moment_then_rerun_equals_one_clean_run(tmp_path: Path, new_database_url: Callable[[], str]):
    everything = files.codes(ROWS, seed=5)
    first = files.organizations(tmp_path / "first.csv", everything[: ROWS // 2], date="2023-01-01")
    second = files.organizations(tmp_path / "second.csv", everything, name="新{i}", date="2024-01-01")
    clean, crashed = new_database_url(), new_database_url()
    for url in (clean, crashed):
        _prepare(url)
    for path in (first, second):
        subprocess.run(_cli("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", clean),
                       check=True, capture_output=True)
    rng = random.Random(9)
    for path in (first, second):
        for _ in range(2):  # killed twice at random moments, then run to the end
            proc = subprocess.Popen(_cli("library", "ingest", str(path), "--source", "hebei/market-regulation",
                                         "--db", crashed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 2.5))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        subprocess.run(_cli("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", crashed),
                       check=True, capture_output=True)
    assert _snapshot(crashed) == _snapshot(clean)


def test_two_departments_ingesting_at_once_lose_nothing(tmp_path: Path, database_url: str):
    _prepare(database_url)
    shared = files.codes(8_000, seed=3)
    market = files.organizations(tmp_path / "market.csv", shared, name="市场{i}", date="2024-01-01")
    civil_codes = files.codes(8_000, seed=4, department="5", category="1")
    civil = files.organizations(tmp_path / "civil.csv", civil_codes + shared[:2_000], name="民政{i}",
                                date="2025-01-01")
    procs = [subprocess.Popen(_cli("library", "ingest", str(path), "--source", source, "--db", database_url),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for path, source in ((market, "hebei/market-regulation"), (civil, "hebei/civil-affairs"))]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    snap = _snapshot(database_url)
    assert len(snap["organizations"]) == 16_000  # type: ignore[arg-type]
    seqs = [row[0] for row in snap["feed"]]  # type: ignore[union-attr]
    assert seqs == list(range(1, len(seqs) + 1))  # contiguous: nothing lost, nothing twice
    # The registering department (market regulation, code department 9) keeps its names either way.
    engine = make_engine(database_url)
    with engine.connect() as conn:
        names = dict(conn.execute(select(organizations.c.uscc, organizations.c.name)
                                  .where(organizations.c.uscc.in_(shared[:2_000]))).all())
    engine.dispose()
    assert all(name.startswith("市场") for name in names.values())
