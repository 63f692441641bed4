"""The guarantees that need real processes: kill -9 in the middle of a batch, and two ingests at once."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import OperationalError

from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.services.tabular.files import InputFileError
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import batches, changes, counters, history, organizations
from tests.services.library import library_files as files

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


def test_kill_9_mid_batch_then_rerun_equals_one_clean_run(tmp_path: Path, new_database_url: Callable[[], str]):
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
    for committed, path in enumerate((first, second)):  # (batches committed before this file's)
        for aside in ("0", str(1 << 40)):  # killed at random moments, reading aside and inline; then to the end
            command = _cli("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", crashed)
            proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=os.environ | {"JJJCREDIT_READ_ASIDE_BYTES": aside})
            _kill_9_mid_batch(proc, crashed, rng)
            _wait_until_gone(command)
            _wait_until_lock_free(crashed)
            assert _committed_batches(crashed) == committed
        subprocess.run(_cli("library", "ingest", str(path), "--source", "hebei/market-regulation", "--db", crashed),
                       check=True, capture_output=True)
    assert _snapshot(crashed) == _snapshot(clean)


def _feed_lock_held(url: str) -> bool:
    """Whether a batch's transaction is open: it holds the feed counter's lock from its first statement
    to its commit — on SQLite the database's write lock, on PostgreSQL the ``feed`` row's lock. Asked
    without waiting; a free lock is taken and let go at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc), exc
            return True
        finally:
            conn.close()  # (rolls back the probe's own empty transaction)
        return False
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            try:
                conn.execute(select(counters.c.value).where(counters.c.name == "feed").with_for_update(nowait=True))
            except OperationalError as exc:
                assert "lock" in str(exc.orig), exc
                return True
            finally:
                conn.rollback()
        return False
    finally:
        engine.dispose()


def _wait_until_lock_free(url: str, seconds: float = 60) -> None:
    """The dead ingest's transaction ends without it: at once on SQLite (the file lock goes with the
    process), on PostgreSQL when its backend next finds the socket closed — which may be only once the
    statement it was running has ended."""
    deadline = time.monotonic() + seconds
    while (held := _feed_lock_held(url)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not held, f"the feed lock was still held {seconds:.0f} s after the ingest was killed"


def _committed_batches(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(batches)).scalar_one()
    engine.dispose()
    return int(count)


def _kill_9_mid_batch(proc: subprocess.Popen[bytes], url: str, rng: random.Random) -> None:
    """Wait until the ingest's batch is open, let it run a random while longer, freeze the process
    (SIGSTOP: nothing moves while we look), check that it is still inside the batch — the feed lock
    held and its batch not committed — and only then kill -9 it."""
    before = _committed_batches(url)
    deadline = time.monotonic() + 120
    while not _feed_lock_held(url):
        assert proc.poll() is None, f"the ingest ended (exit {proc.returncode}) before its batch was seen open"
        assert time.monotonic() < deadline, "the ingest's batch never opened"
        time.sleep(0.01)
    # a batch of this file takes a few tenths of a second on PostgreSQL on a quiet machine (it once committed
    # within half a second): a random moment in its first part still varies where the kill lands
    time.sleep(rng.uniform(0.0, 0.15))
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        inside = _feed_lock_held(url) and _committed_batches(url) == before
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert inside, "the kill did not land inside the batch (it had committed, or not begun)"
    assert proc.returncode == -signal.SIGKILL


def _running(command: list[str]) -> list[int]:
    """Processes (the ingest, or a reader it forked) running exactly this command line."""
    wanted = "\0".join(command).encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes() == wanted:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_until_gone(command: list[str], seconds: float = 20) -> None:
    """A killed ingest leaves no reader behind: its next send fails and it ends."""
    deadline = time.monotonic() + seconds
    while (left := _running(command)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes left running after kill -9: {left}"


def test_reading_aside_gives_what_reading_inline_gives(tmp_path: Path, new_database_url: Callable[[], str]):
    everything = files.codes(3_000, seed=6)
    rows = [[c, f"某某{i}有限公司", "存续", "2024-01-01", "张三"] for i, c in enumerate(everything)]
    rows[10][0] = rows[10][0][:-1] + ("0" if rows[10][0][-1] != "0" else "1")  # a checksum error
    rows.append(rows[20])  # a duplicate
    path = files.write(tmp_path / "a.csv", rows)
    inline, aside = new_database_url(), new_database_url()
    summaries = []
    for url, threshold in ((inline, 1 << 40), (aside, 0)):
        _prepare(url)
        engine = make_engine(url)
        summary = library.ingest_file(engine, str(path), "hebei/market-regulation", batch_id="b",
                                      read_aside_bytes=threshold)
        with engine.connect() as conn:
            summaries.append((summary.rows, summary.created, summary.rejected, summary.quality_sampled,
                              list(library.batch_rejects(conn, "b"))))
        engine.dispose()
    assert summaries[0] == summaries[1] and summaries[0][:3] == (3_001, 2_999, 2)
    assert _snapshot(aside) == _snapshot(inline)


def test_planning_aside_against_a_library_gives_what_planning_inline_gives(
        tmp_path: Path, new_database_url: Callable[[], str]):
    """The reader process plans updates and conflicts against the library as it was before the batch;
    the writer's own connection would see the batch's earlier writes. Both give the same library."""
    everything = files.codes(3_000, seed=7)
    first = files.organizations(tmp_path / "first.csv", everything[:2_000], date="2023-01-01")
    later = [[c, f"新名{i}有限公司" if i % 3 else f"石家庄某某{i}机械制造有限公司", "存续",
              "2022-01-01" if i % 5 == 0 else "2024-01-01", "李四" if i % 2 else "张三"]
             for i, c in enumerate(everything)]
    later.append(later[7])  # a duplicate: rejected, so no code is planned twice
    second = files.write(tmp_path / "second.csv", later)
    inline, aside = new_database_url(), new_database_url()
    found = []
    for url, threshold in ((inline, 1 << 40), (aside, 0)):
        _prepare(url)
        engine = make_engine(url)
        library.ingest_file(engine, str(first), "hebei/civil-affairs", batch_id="a")
        second_summary = library.ingest_file(engine, str(second), "hebei/market-regulation", batch_id="b",
                                             read_aside_bytes=threshold)
        with engine.connect() as conn:
            found.append((second_summary.created, second_summary.updated, second_summary.unchanged,
                          second_summary.conflicts, second_summary.rejected,
                          conn.execute(select(func.count()).select_from(changes)).scalar_one()))
        engine.dispose()
    assert found[0] == found[1]
    created, updated, _, conflicts, rejected, feed = found[0]
    assert (created, rejected, feed) == (1_000, 1, 2_000 + 1_000 + updated) and updated > 0 and conflicts > 0
    assert _snapshot(aside) == _snapshot(inline)


def _one_part_then(failure: Callable[[], None]) -> Callable[[library._Reading], Iterator[library._Part]]:
    original = library._read

    def read(reading: library._Reading) -> Iterator[library._Part]:
        yield from itertools.islice(original(reading), 1)
        failure()
    return read


def _exit() -> None:
    os._exit(3)


def _bad_encoding() -> None:
    raise InputFileError("file.encoding", "after row 2 the file is not valid UTF-8")


def _bug() -> None:
    raise ZeroDivisionError("division by zero")


@pytest.mark.parametrize(("failure", "code", "words"), [
    (_bad_encoding, "file.encoding", "not valid UTF-8"),
    (_bug, "library.reader_failed", "ZeroDivisionError"),
    (_exit, "library.reader_failed", "exit code 3"),
])
def test_a_reader_that_fails_fails_the_batch_and_writes_nothing(
        tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, failure, code: str, words: str):
    _prepare(database_url)
    path = files.organizations(tmp_path / "a.csv", files.codes(50, seed=2))
    monkeypatch.setattr(library, "_read", _one_part_then(failure))  # the forked reader runs this
    engine = make_engine(database_url)
    with pytest.raises((InputFileError, library.LibraryError)) as failed:
        library.ingest_file(engine, str(path), "hebei/market-regulation", read_aside_bytes=0)
    assert failed.value.code == code and words in failed.value.message
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(batches)).scalar_one() == 0
    engine.dispose()


def test_a_write_that_fails_stops_the_reader_at_once(tmp_path: Path, database_url: str,
                                                     monkeypatch: pytest.MonkeyPatch):
    """The batch fails on its writing side: the reader process and the thread taking its parts end
    before the error reaches the caller, not when the caller lets go of it."""
    _prepare(database_url)
    path = files.organizations(tmp_path / "a.csv", files.codes(ROWS, seed=3))

    def failing_flush(conn, writes):  # type: ignore[no-untyped-def]
        raise OSError("disk full")

    monkeypatch.setattr(library, "_flush", failing_flush)
    engine = make_engine(database_url)
    with pytest.raises(OSError, match="disk full") as failed:
        library.ingest_file(engine, str(path), "hebei/market-regulation", read_aside_bytes=0)
    assert failed.value is not None  # (the error, and its frames, still held here)
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("jjjcredit-")]
    engine.dispose()


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
