"""The audit trail: every API call appended to a hash-chained log (core/sharing/audit.py), checked end to end,
exported as JSON Lines, purged after the retention period.

Appending takes the ``counters`` row ``audit`` lock (as the library takes ``feed``), so ``seq`` and
the chain stay one line with several workers. :class:`Writer` batches entries in a background thread
(a request never waits for the database, nor wakes a thread) and drains its queue on
:meth:`Writer.close` — for at most ``close_seconds``; entries a refusing database kept it from writing
are then counted and logged.

Checkpoints: :func:`make_checkpoint` signs the chain's head (last ``seq``, its hash, the time) with the
evidence signing key and stores it; the :class:`Writer` makes one every ``checkpoint_seconds``, and
``jjjcredit audit checkpoint`` on demand. They are published (``GET /api/v1/audit/checkpoints``) and
exported (``jjjcredit audit checkpoints``) so a copy is kept outside the database, and
:func:`verify_checkpoints` holds the trail to such a copy.

Retention: :func:`purge_older_than` deletes the oldest entries but never the newest one, and records
the first kept ``seq`` in the ``counters`` row ``audit_floor``; the check then starts there and takes
that entry's previous hash as the anchor.
"""

from __future__ import annotations

import datetime
import getpass
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update

from jjjcredit.core.sharing import audit as chain
from jjjcredit.services.sharing import evidence
from jjjcredit.storage.schema import audit, audit_checkpoints, audit_subjects, counters
from jjjcredit.storage.times import utc

log = logging.getLogger("jjjcredit.audit")
FLOOR = "audit_floor"


def _take_lock(conn: Connection) -> int:
    """Lock the audit counter for this transaction (PostgreSQL row lock; SQLite write lock) and read it."""
    conn.execute(update(counters).where(counters.c.name == "audit").values(value=counters.c.value))
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "audit")).scalar_one())


def _floor(conn: Connection) -> int | None:
    value = conn.execute(select(counters.c.value).where(counters.c.name == FLOOR)).scalar_one_or_none()
    return None if value is None else int(value)


def append_entries(conn: Connection, entries: Sequence[Mapping[str, Any]]) -> int:
    """Append entries (every field of :data:`core.audit.FIELDS` but ``seq``); returns the last ``seq``."""
    last = _take_lock(conn)
    prev = conn.execute(select(audit.c.hash).where(audit.c.seq == last)).scalar_one_or_none() or chain.GENESIS
    rows: list[dict[str, Any]] = []
    touched: list[dict[str, Any]] = []
    for entry in entries:
        last += 1
        row = {**entry, "seq": last, "codes": sorted(set(entry["codes"])),
               "latency_ms": round(float(entry["latency_ms"]), 3),
               "address_class": entry.get("address_class") or None,
               "items": sorted(set(entry.get("items") or ())) or None}
        row["at"] = utc(row["at"])
        row["prev_hash"] = prev
        row["hash"] = prev = chain.entry_hash(prev, row)
        rows.append({**row, "codes": json.dumps(row["codes"], ensure_ascii=False),
                     "items": json.dumps(row["items"], ensure_ascii=False) if row["items"] else None})
        touched.extend({"code": code, "seq": last} for code in row["codes"] if 0 < len(code) <= SUBJECT_CHARS)
    if rows:
        conn.execute(insert(audit), rows)
        if touched:
            conn.execute(insert(audit_subjects), touched)
        conn.execute(update(counters).where(counters.c.name == "audit").values(value=last))
    return last


#: The longest code the query log is indexed by (a subject key's column).
SUBJECT_CHARS = 80


def record_command(conn: Connection, command: str, service: str, codes: Sequence[str], items: Sequence[str] = (),
                   purpose: str | None = None, operator: str | None = None) -> int:
    """Append the entry of a command run by the platform's staff that read about a subject (``jjjcredit
    credit show``, ``report issue``): client ``staff:`` and the operator's account, method ``CLI``, the
    command as its path; ``codes`` kept as an API call's are (a personal number masked). Written at once, in the
    caller's transaction; returns its ``seq``."""
    name = operator or getpass.getuser()
    return append_entries(conn, [{
        "at": datetime.datetime.now(datetime.UTC), "request_id": uuid.uuid4().hex, "client": f"staff:{name}"[:200],
        "service": service, "purpose": purpose, "method": "CLI", "path": command,
        "codes": [chain.kept_code(c) for c in codes], "status": 0, "outcome": "ok", "latency_ms": 0.0,
        "items": list(items)}])


def _entry(row: Any) -> dict[str, Any]:
    return {**row, "codes": json.loads(row["codes"]), "at": chain.format_time(row["at"]),
            "items": json.loads(row["items"]) if row["items"] else None}


def iter_entries(conn: Connection, since: datetime.datetime | None = None,
                 upto: int | None = None) -> Iterator[dict[str, Any]]:
    """Entries in ``seq`` order (streamed), optionally only those at or after ``since`` and those up to
    ``seq`` ``upto``."""
    query = select(audit).order_by(audit.c.seq)
    if since is not None:
        query = query.where(audit.c.at >= utc(since))
    if upto is not None:
        query = query.where(audit.c.seq <= upto)
    for row in conn.execute(query, execution_options={"yield_per": 2_000}).mappings():  # this statement only
        yield _entry(row)


def verify_trail(conn: Connection) -> list[chain.Problem]:
    """Every break in the trail, located; ``[]`` when it is intact from its first entry to the counter.

    The counter, the floor and the last entry are read in one statement, so at one moment: entries a
    writer commits while the check runs are neither "inserted" (read after a stale counter) nor checked
    (the chain is read up to that last entry). A purge committing while the chain is read moves the
    floor: the check is made again from the new one."""
    for _ in range(PURGE_RETRIES):
        counter, last, floor = _ends(conn)
        problems = chain.verify_chain(iter_entries(conn, upto=last), first_seq=floor or 1,
                                      first_prev=None if floor else chain.GENESIS)
        if _ends(conn)[2] == floor:
            break
    if last > counter:
        problems.append(chain.Problem(counter + 1, "beyond_counter", f"entries {counter + 1}-{last} lie beyond the "
                                      f"trail's counter ({counter}): inserted."))
    elif last < counter:
        gone = f"entry {counter}" if last + 1 == counter else f"entries {last + 1}-{counter}"
        problems.append(chain.Problem(last + 1, "deleted", f"{gone} missing at the end of the trail (deleted)."))
    return problems


#: How many times :func:`verify_trail` starts again when a purge moved the floor under it.
PURGE_RETRIES = 3


def _ends(conn: Connection) -> tuple[int, int, int | None]:
    """(the counter, the last entry's seq, the floor), read in one statement."""
    floor_row = select(counters.c.value).where(counters.c.name == FLOOR).scalar_subquery()
    counter_row = select(counters.c.value).where(counters.c.name == "audit").scalar_subquery()
    counter, last, floor = conn.execute(select(counter_row, select(func.max(audit.c.seq)).scalar_subquery(),
                                               floor_row)).one()
    if counter is None:
        raise LookupError("the audit counter is missing: the database was not made by `jjjcredit db upgrade`")
    floor = None if floor is None else int(floor)
    return int(counter), int(last) if last is not None else (floor or 1) - 1, floor


def count_entries(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit)).scalar_one())


def export_since(conn: Connection, since: datetime.datetime | None = None) -> Iterator[str]:
    """JSON Lines, one entry a line, in ``seq`` order, with ``prev_hash`` and ``hash``."""
    for entry in iter_entries(conn, since):
        line = {k: entry[k] for k in chain.FIELDS}
        line.update({k: entry[k] for k in chain.OPTIONAL_FIELDS if entry.get(k)})
        yield json.dumps({**line, "prev_hash": entry["prev_hash"], "hash": entry["hash"]}, ensure_ascii=False) + "\n"


def purge_older_than(conn: Connection, cutoff: datetime.datetime) -> int:
    """Delete entries before ``cutoff`` (never the newest); returns how many. The chain stays checkable
    from the first kept entry (see the module docstring)."""
    last = _take_lock(conn)
    keep = conn.execute(select(func.min(audit.c.seq)).where(audit.c.at >= utc(cutoff))).scalar_one()
    keep = int(keep) if keep is not None else last
    old = int(conn.execute(select(func.count()).select_from(audit).where(audit.c.seq < keep)).scalar_one())
    if old:
        conn.execute(delete(audit).where(audit.c.seq < keep))
        conn.execute(delete(audit_subjects).where(audit_subjects.c.seq < keep))
        if _floor(conn) is None:
            conn.execute(insert(counters).values(name=FLOOR, value=keep))
        else:
            conn.execute(update(counters).where(counters.c.name == FLOOR).values(value=keep))
    return old


def make_checkpoint(conn: Connection, box: evidence.KeyBox | None) -> dict[str, Any] | None:
    """Sign and store a checkpoint of the chain's head (taken under the audit lock, so no append
    interleaves); ``None`` while the trail is empty. The head already checkpointed: that checkpoint."""
    last = _take_lock(conn)
    head = conn.execute(select(audit.c.hash).where(audit.c.seq == last)).scalar_one_or_none()
    if head is None:
        return None
    done = conn.execute(select(audit_checkpoints).where(audit_checkpoints.c.seq == last)).mappings().first()
    if done is not None:
        return _checkpoint(done)
    key_id, key = evidence.current_key(conn, box)
    at = chain.format_time(datetime.datetime.now(datetime.UTC))
    signed = chain.sign_checkpoint(key, key_id, last, str(head), at)
    conn.execute(insert(audit_checkpoints).values(seq=last, hash=signed["hash"], at=utc(
        datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))), key_id=key_id, signature=signed["signature"]))
    return signed


def _checkpoint(row: Any) -> dict[str, Any]:
    return {"seq": int(row["seq"]), "hash": row["hash"], "at": chain.format_time(row["at"]), "key_id": row["key_id"],
            "algorithm": "Ed25519", "signature": row["signature"]}


def list_checkpoints(conn: Connection, *, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """The stored checkpoints of entries after ``after`` (a seq), oldest first, at most ``limit`` (all when None):
    ``seq``, ``hash``, ``at``, ``key_id``, ``algorithm``, ``signature``."""
    query = select(audit_checkpoints).where(audit_checkpoints.c.seq > after).order_by(audit_checkpoints.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [_checkpoint(r) for r in conn.execute(query).mappings()]


def verify_checkpoints(conn: Connection, checkpoints: Any,
                       keys: Mapping[str, str] | None = None) -> list[chain.Problem]:
    """The trail against checkpoints saved outside the database (the JSON list): each signature is
    checked with ``keys`` (key id → PEM, e.g. a saved /api/v1/keys; default: the database's own signing
    keys), and each checkpointed entry must still be there with the hash it had
    (core/sharing/audit.check_checkpoints)."""
    _counter, last, floor = _ends(conn)
    if keys is None:
        keys = evidence.key_map(evidence.public_keys(conn))

    def hash_at(seq: int) -> str | None:
        found = conn.execute(select(audit.c.hash).where(audit.c.seq == seq)).scalar_one_or_none()
        return None if found is None else str(found)

    return chain.check_checkpoints(checkpoints, keys, hash_at, last, floor or 1)


#: Seconds between the log lines of audit writes that keep failing (the first is said at once).
FAILING_SAID_EVERY = 60.0


class Writer:
    """Appends entries in batches from a background thread; :meth:`close` writes what is left.

    :meth:`submit` appends to a deque and returns: no lock, no wake-up, so the request path never
    trades the interpreter with this thread. The thread looks every ``interval`` seconds and writes
    what has arrived, in order, up to ``batch`` entries a transaction. A failed write is retried (the
    entries stay queued, in order) and logged.

    :meth:`close` waits at most ``close_seconds`` for the queue to be written: a database that refuses
    writes (read-only, locked, gone) cannot hold a server's shutdown for ever. What is still unwritten
    then is given up — counted (:attr:`dropped`, and ``on_drop(count)``, the app's metric) and logged
    as one error line with the count, never silently. A write in flight at that moment is rolled back
    if it ever gets to commit, so the count is exact (unless a commit itself hangs past a second more).
    """

    def __init__(self, engine: Engine, batch: int = 2_000, interval: float = 0.05, close_seconds: float = 5.0,
                 on_drop: Callable[[int], None] | None = None, checkpoint_seconds: float = 0.0,
                 key_box: evidence.KeyBox | None = None) -> None:
        self.engine, self.batch, self.interval, self.close_seconds = engine, batch, interval, close_seconds
        self.on_drop = on_drop
        #: A signed checkpoint of the chain's head every this many seconds (0, or no key box: none).
        self.checkpoint_seconds, self.key_box = checkpoint_seconds, key_box
        self._next_checkpoint = time.monotonic() + checkpoint_seconds
        self.dropped = 0
        self._failing_since: float | None = None  # when writes began to fail (monotonic), while they do
        self._failure: BaseException | None = None  # the last write's error, while they do
        self._written_at = time.monotonic()  # when the queue was last written out (or seen empty)
        self._said_at = 0.0
        self._queue: deque[Mapping[str, Any]] = deque()
        self._pending: list[Mapping[str, Any]] = []  # taken off the queue, not yet written
        self._closing = threading.Event()
        self._abandoned = threading.Event()
        self._commit = threading.Lock()  # a commit and giving up exclude each other: the count stays exact
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def submit(self, entry: Mapping[str, Any]) -> None:
        self._queue.append(entry)  # atomic: safe from any thread

    def backlog(self) -> int:
        """Entries submitted and not yet written."""
        return len(self._queue) + len(self._pending)

    def stalled(self) -> tuple[float, BaseException | None] | None:
        """While entries wait: for how many seconds nothing has been written, and the last write's error
        (``None`` when the write in hand is waiting — on another writer's lock, on a database that does not
        answer); ``None`` when nothing waits."""
        if not self.backlog():
            return None
        return time.monotonic() - self._written_at, self._failure

    def close(self) -> int:
        """Write what is queued, waiting at most ``close_seconds``; returns how many entries were given up."""
        self._closing.set()
        self._thread.join(self.close_seconds)
        if not self._thread.is_alive():
            return 0
        held = self._commit.acquire(timeout=1.0)
        try:
            self._abandoned.set()  # the thread stops at its next look; a write in flight never commits
            lost = self.backlog()
        finally:
            if held:
                self._commit.release()
        self.dropped += lost
        log.error("audit.write: the database refused writes for %.1f s at shutdown; %d audit entries were not "
                  "written", self.close_seconds, lost, extra={"code": "audit.dropped", "dropped": lost})
        if self.on_drop is not None:
            self.on_drop(lost)
        return lost

    def stopped(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the background thread to end; whether it has (a thread
        given up by :meth:`close` ends once the database answers its write in flight)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        pending = self._pending
        while not self._abandoned.is_set():
            closing = self._closing.wait(self.interval)  # read first: what came before close() is queued
            if not pending and not self._queue:
                self._written_at = time.monotonic()  # nothing waits: nothing is late
            for _ in range(len(self._queue)):  # what has arrived; what comes meanwhile waits for the next look
                pending.append(self._queue.popleft())
            while pending and not self._abandoned.is_set():
                chunk = pending[:self.batch]
                try:
                    self._write(chunk)
                except Exception as exc:
                    self._failed(exc, len(pending))
                    self._abandoned.wait(min(1.0, self.interval * 10))
                else:
                    if self._failing_since is not None:
                        log.warning("audit.write: entries are written again after %.0f s", time.monotonic() -
                                    self._failing_since, extra={"code": "audit.write"})
                        self._failing_since = self._failure = None
            self._checkpoint_when_due()
            if closing and not self._queue:
                return

    def _failed(self, exc: Exception, waiting: int) -> None:
        """A write that failed (a database gone, a disk full): said with its traceback the first time, then
        once a minute while it keeps failing (a retry every second would fill the log, and the disk)."""
        now = time.monotonic()
        self._failure = exc
        if self._failing_since is None:
            self._failing_since, self._said_at = now, now
            log.error("audit.write: %d entries not yet written; retrying every second", waiting, exc_info=exc,
                      extra={"code": "audit.write"})
        elif now - self._said_at >= FAILING_SAID_EVERY:
            self._said_at = now
            log.error("audit.write: %d entries still not written after %.0f s (%s: %s); retrying", waiting,
                      now - self._failing_since, type(exc).__name__, exc, extra={"code": "audit.write"})

    def _checkpoint_when_due(self) -> None:
        if self.checkpoint_seconds <= 0 or self.key_box is None or time.monotonic() < self._next_checkpoint:
            return
        self._next_checkpoint = time.monotonic() + self.checkpoint_seconds
        try:
            with self.engine.begin() as conn:
                make_checkpoint(conn, self.key_box)
        except Exception:
            log.exception("audit.checkpoint: the checkpoint of the trail's head was not made; trying again in %.0f s",
                          self.checkpoint_seconds, extra={"code": "audit.checkpoint"})

    def _write(self, chunk: list[Mapping[str, Any]]) -> None:
        with self.engine.connect() as conn:
            transaction = conn.begin()
            append_entries(conn, chunk)
            with self._commit:
                if self._abandoned.is_set():
                    transaction.rollback()
                    conn.invalidate()  # closed now, not returned to a pool the server may have disposed of
                    return
                transaction.commit()
                del self._pending[:len(chunk)]
                self._written_at = time.monotonic()
