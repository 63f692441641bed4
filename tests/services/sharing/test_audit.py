"""The audit trail in the database: appended under the counter lock; tampering is found and located."""

from __future__ import annotations

import datetime
import json
import logging
import threading
import time

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from jjjcredit.core.sharing import audit as chain
from jjjcredit.services import db
from jjjcredit.services.sharing import audit, evidence
from jjjcredit.storage.schema import audit as audit_table
from jjjcredit.storage.schema import counters

T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def _entry(i: int, at: datetime.datetime = T0) -> dict[str, object]:
    return {"at": at + datetime.timedelta(seconds=i), "request_id": f"r{i}", "client": "c", "service": "verify",
            "purpose": "test", "method": "POST", "path": "/api/v1/verify", "codes": ["91130100MA0000000X"],
            "status": 200, "outcome": "ok", "latency_ms": 1.25}


def _filled(engine: Engine, n: int = 10) -> None:
    db.upgrade(engine)
    with engine.begin() as conn:
        audit.append_entries(conn, [_entry(i) for i in range(1, n + 1)])


def _problems(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(p.seq, p.kind) for p in audit.verify_trail(conn)]


def test_appended_entries_verify_and_export(engine: Engine):
    _filled(engine)
    assert _problems(engine) == []
    with engine.connect() as conn:
        lines = list(audit.export_since(conn, T0 + datetime.timedelta(seconds=8)))
    assert [json.loads(line)["seq"] for line in lines] == [8, 9, 10]
    assert json.loads(lines[0])["codes"] == ["91130100MA0000000X"]


def test_a_commands_entry_keeps_personal_numbers_masked_as_an_api_calls_does(engine: Engine):
    db.upgrade(engine)
    key = "P:" + "ab13812345678cd" * 2 + "0123456789"
    with engine.begin() as conn:
        seq = audit.record_command(conn, "jjjcredit credit show", "records",
                                   ["130102198503151230", "13812345678", "91130100MA0000000X", key], operator="t")
        codes = json.loads(conn.execute(select(audit_table.c.codes).where(audit_table.c.seq == seq)).scalar_one())
    assert codes == ["130102********1230", "138****5678", "91130100MA0000000X", key]
    assert _problems(engine) == []


def test_an_edited_row_is_found(engine: Engine):
    _filled(engine)
    with engine.begin() as conn:
        conn.execute(update(audit_table).where(audit_table.c.seq == 4).values(client="someone else"))
    assert _problems(engine) == [(4, "edited")]


def test_a_deleted_row_is_found(engine: Engine):
    _filled(engine)
    with engine.begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.seq == 6))
    assert _problems(engine) == [(6, "deleted")]
    with engine.begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.seq == 10))
    assert _problems(engine) == [(6, "deleted"), (10, "deleted")]


def test_an_inserted_row_is_found(engine: Engine):
    _filled(engine)
    with engine.begin() as conn:
        last = conn.execute(select(audit_table).where(audit_table.c.seq == 10)).mappings().one()
        forged = {**dict(last), "seq": 11, "request_id": "forged"}
        forged["hash"] = chain.entry_hash(last["hash"], {**forged, "codes": json.loads(forged["codes"])})
        forged["prev_hash"] = last["hash"]
        conn.execute(insert(audit_table).values(**forged))
    assert _problems(engine) == [(11, "beyond_counter")]


def test_concurrent_appends_keep_one_chain(engine: Engine):
    _filled(engine, 0)

    def work(k: int) -> None:
        for i in range(10):
            with engine.begin() as conn:
                audit.append_entries(conn, [_entry(k * 100 + i)])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.connect() as conn:
        assert audit.count_entries(conn) == 40
    assert _problems(engine) == []


def test_checking_while_entries_are_appended_finds_nothing(engine: Engine):
    """The check reads the counter and the last entry at one moment: an append committing between two
    of its reads is not an "inserted" entry (the server writes while an operator checks)."""
    _filled(engine, 1)
    stop = threading.Event()

    def write() -> None:
        i = 1
        while not stop.is_set():
            i += 1
            with engine.begin() as conn:
                audit.append_entries(conn, [_entry(i)])

    writer = threading.Thread(target=write)
    writer.start()
    try:
        found = [_problems(engine) for _ in range(40)]
    finally:
        stop.set()
        writer.join()
    assert found == [[]] * 40
    assert _problems(engine) == []


def test_a_purge_committing_while_the_chain_is_read_is_not_a_deletion(engine: Engine, monkeypatch):
    """The check reads the chain after the floor: a purge committing in between would look like the
    oldest entries deleted; the check sees the floor moved and starts again from it."""
    _filled(engine)
    reading, purged = audit.iter_entries, []

    def purge_first(conn, since=None, upto=None):  # type: ignore[no-untyped-def]
        if not purged:
            with engine.begin() as other:
                purged.append(audit.purge_older_than(other, T0 + datetime.timedelta(seconds=5)))
        return reading(conn, since, upto)

    monkeypatch.setattr(audit, "iter_entries", purge_first)
    assert _problems(engine) == [] and purged == [4]


def test_purge_keeps_the_rest_verifiable(engine: Engine):
    _filled(engine)
    with engine.begin() as conn:
        assert audit.purge_older_than(conn, T0 + datetime.timedelta(seconds=5)) == 4
        audit.append_entries(conn, [_entry(20)])
    assert _problems(engine) == []
    with engine.begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.seq == 5))
    assert _problems(engine) == [(5, "deleted")]
    with engine.begin() as conn:
        assert audit.purge_older_than(conn, T0 + datetime.timedelta(days=1)) == 5  # never the newest
        assert audit.count_entries(conn) == 1


def test_the_writer_loses_nothing_on_close(engine: Engine):
    _filled(engine, 0)
    writer = audit.Writer(engine, batch=7)
    for i in range(100):
        writer.submit(_entry(i))
    writer.close()
    with engine.connect() as conn:
        assert audit.count_entries(conn) == 100
    assert _problems(engine) == []


def test_submitting_never_waits_for_the_database(engine: Engine):
    """While another transaction holds the trail's lock, a thousand entries are submitted at once from
    several threads; all of them are written, in one chain, when the lock is let go."""
    _filled(engine, 0)
    writer = audit.Writer(engine, batch=300, interval=0.01)
    holder = engine.connect()
    holder.begin()
    audit.append_entries(holder, [_entry(0)])  # takes the lock and keeps it until the commit
    try:
        start = time.perf_counter()
        threads = [threading.Thread(target=lambda k=k: [writer.submit(_entry(k * 100 + i)) for i in range(100)])
                   for k in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert time.perf_counter() - start < 2, "submit waited for the database"
    finally:
        holder.commit()
        holder.close()
    writer.close()
    with engine.connect() as conn:
        ids = [e["request_id"] for e in audit.iter_entries(conn)]
    assert ids[0] == "r0" and sorted(ids[1:]) == sorted(f"r{k * 100 + i}" for k in range(10) for i in range(100))
    for k in range(10):  # each thread's entries in the order it submitted them
        mine = [int(i[1:]) for i in ids[1:] if int(i[1:]) // 100 == k]
        assert mine == sorted(mine)
    assert _problems(engine) == []


def _hold_audit_lock(engine: Engine) -> Connection:
    """Another connection holding the ``audit`` counter's lock (a row lock on PostgreSQL, the write
    lock on SQLite): the database refuses the writer's appends until it lets go."""
    locker = engine.connect()
    locker.begin()
    locker.execute(update(counters).where(counters.c.name == "audit").values(value=counters.c.value))
    return locker


def test_close_is_bounded_when_the_database_refuses_writes(engine: Engine, caplog: pytest.LogCaptureFixture):
    _filled(engine, 2)
    dropped: list[int] = []
    locker = _hold_audit_lock(engine)
    try:
        writer = audit.Writer(engine, interval=0.01, close_seconds=0.5, on_drop=dropped.append)
        for i in range(3, 8):
            writer.submit(_entry(i))
        time.sleep(0.2)  # the writer is waiting on the lock
        start = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="jjjcredit.audit"):
            lost = writer.close()
        took = time.monotonic() - start
    finally:
        locker.rollback()
        locker.close()
    assert writer.stopped(30)  # the lock is gone: the append in flight ends, rolled back
    assert took < 3, took
    assert lost == 5 and writer.dropped == 5 and dropped == [5]
    lines = [r for r in caplog.records if getattr(r, "code", None) == "audit.dropped"]
    assert len(lines) == 1 and "5 audit entries were not written" in lines[0].getMessage()
    assert _problems(engine) == []  # nothing given up landed after all
    with engine.connect() as conn:
        assert audit.count_entries(conn) == 2


def test_writes_that_keep_failing_are_said_once_then_once_a_minute_and_their_end_too(
        engine: Engine, caplog: pytest.LogCaptureFixture):
    """A disk that stays full (here: a database that refuses every write) is logged once with its
    traceback, not every second — and when writes succeed again, that is said."""
    _filled(engine, 1)
    with caplog.at_level(logging.WARNING, logger="jjjcredit.audit"):
        with engine.begin() as conn:  # every append fails at once: its table is not there
            conn.execute(text("ALTER TABLE audit RENAME TO audit_away"))
        writer = audit.Writer(engine, interval=0.01, close_seconds=30)
        try:
            writer.submit(_entry(2))
            time.sleep(3.5)  # three retries or more, each failing
        finally:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE audit_away RENAME TO audit"))
        assert writer.close() == 0
    said = [r for r in caplog.records if getattr(r, "code", None) == "audit.write"]
    assert [r.levelname for r in said] == ["ERROR", "WARNING"], [r.getMessage() for r in said]
    assert said[0].exc_info is not None and "written again" in said[1].getMessage()


def test_close_writes_everything_when_the_database_accepts(engine: Engine):
    _filled(engine, 0)
    dropped: list[int] = []
    writer = audit.Writer(engine, interval=0.01, close_seconds=10, on_drop=dropped.append)
    for i in range(1, 6):
        writer.submit(_entry(i))
    assert writer.close() == 0 and dropped == [] and writer.backlog() == 0
    with engine.connect() as conn:
        assert audit.count_entries(conn) == 5


# --- checkpoints: the chain anchored outside the database -------------------------------------------

BOX = evidence.KeyBox("test-operator-secret")


def _rehash_from(conn: Connection, seq: int, **changes: object) -> None:
    """What someone who can write to the database does: change entry ``seq`` and recompute its hash and
    every later one, so the chain itself verifies again."""
    conn.execute(update(audit_table).where(audit_table.c.seq == seq).values(**changes))
    rows = conn.execute(select(audit_table).order_by(audit_table.c.seq)).mappings().all()
    entries = [{**r, "codes": json.loads(r["codes"])} for r in rows]
    prev = chain.GENESIS
    for entry in entries:
        digest = chain.entry_hash(prev, entry)
        conn.execute(update(audit_table).where(audit_table.c.seq == entry["seq"]).values(prev_hash=prev, hash=digest))
        prev = digest


def _saved_checkpoints(engine: Engine) -> list[dict[str, object]]:
    """Checkpoints at entries 5 and 10, as someone keeps them outside (the JSON, read back)."""
    _filled(engine, 5)
    with engine.begin() as conn:
        first = audit.make_checkpoint(conn, BOX)
        audit.append_entries(conn, [_entry(i) for i in range(6, 11)])
    with engine.begin() as conn:
        second = audit.make_checkpoint(conn, BOX)
        assert audit.make_checkpoint(conn, BOX) == second  # the same head: the same checkpoint
    assert (first["seq"], second["seq"]) == (5, 10)  # type: ignore[index]
    with engine.connect() as conn:
        saved = json.loads(json.dumps(audit.list_checkpoints(conn)))
    assert [c["seq"] for c in saved] == [5, 10]
    return saved  # type: ignore[no-any-return]


def _against(engine: Engine, saved: object) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [(p.seq, p.kind) for p in audit.verify_checkpoints(conn, saved)]


def test_checkpoints_match_an_untouched_trail(engine: Engine):
    saved = _saved_checkpoints(engine)
    assert _against(engine, saved) == [] and _problems(engine) == []


def test_an_entry_edited_with_every_later_hash_recomputed_is_found_by_the_checkpoints(engine: Engine):
    saved = _saved_checkpoints(engine)
    with engine.begin() as conn:
        _rehash_from(conn, 3, client="someone else")
    assert _problems(engine) == []  # the chain alone cannot tell
    assert _against(engine, saved) == [(5, "rewritten"), (10, "rewritten")]


def test_the_last_entries_deleted_and_the_counter_lowered_is_found_by_the_checkpoints(engine: Engine):
    saved = _saved_checkpoints(engine)
    with engine.begin() as conn:
        conn.execute(delete(audit_table).where(audit_table.c.seq > 7))
        conn.execute(update(counters).where(counters.c.name == "audit").values(value=7))
    assert _problems(engine) == []  # the chain alone cannot tell
    assert _against(engine, saved) == [(8, "truncated")]


def test_a_checkpoint_changed_in_the_file_or_signed_by_an_unknown_key_is_refused(engine: Engine):
    saved = _saved_checkpoints(engine)
    forged = [{**saved[0], "hash": "0" * 64}, {**saved[1], "key_id": "nobody"}, {"seq": "x"}]
    assert _against(engine, forged) == [(5, "checkpoint_signature"), (10, "checkpoint_unknown_key"),
                                        (0, "checkpoint_malformed")]


def test_entries_after_the_last_checkpoint_are_not_covered(engine: Engine):
    saved = _saved_checkpoints(engine)
    with engine.begin() as conn:
        audit.append_entries(conn, [_entry(11), _entry(12)])
    with engine.begin() as conn:
        _rehash_from(conn, 12, client="someone else")
    assert _against(engine, saved) == [] and _problems(engine) == []  # what the docs say it cannot do


def test_the_writer_signs_a_checkpoint_at_its_interval(engine: Engine):
    db.upgrade(engine)
    writer = audit.Writer(engine, interval=0.01, checkpoint_seconds=0.05, key_box=BOX)
    try:
        writer.submit(_entry(1))
        deadline = time.monotonic() + 10
        while True:
            with engine.connect() as conn:
                made = audit.list_checkpoints(conn)
            if made or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    finally:
        writer.close()
    assert [c["seq"] for c in made] == [1]
    assert _against(engine, made) == []
