"""The basic resource library: ingest department files, keep every change, answer for a code.

**Ingest** (:func:`ingest_file`) reads a file through its department's crosswalk, checks every row
(core/records), and applies the accepted rows to the library in chunks of bounded size, all inside
**one transaction per batch**: a reader never sees half a batch, and a crash (even ``kill -9``) at
any moment rolls the whole batch back, so running the same command again gives exactly what one
clean run gives. Memory stays bounded: rows stream in chunks, and only one chunk's organizations
are held at a time. A large file is read, checked and planned (compared with the library, its
writes made ready) in a reader process beside the one that writes.

**The change feed**: each created or changed organization gets the next ``seq``. The batch takes
the ``counters`` row lock before it writes, so batches commit one after another and ``seq`` grows
in commit order: a consumer asking for everything after N never misses or double-counts.

**Which value is current** when providers disagree about a code:

1. the registering department of the code (its position-1 department) wins over every other;
2. otherwise — and between two records of the same source — the record with the newest effective
   date wins (the record's last update date, else its approval date, else its establishment date;
   ties go to the newer batch), so a late, stale file cannot undo a newer change.

Every disagreement is kept in ``conflicts`` (the value kept, the other, the rule that decided), not
silently overwritten. An empty cell never erases a value: providers send what they hold.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import multiprocessing
import operator
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, func, insert, select, update

from jjjcredit.core.errors import Error, Severity
from jjjcredit.core.library import crosswalks, elements, quality, records
from jjjcredit.core.library.crosswalks import Crosswalk
from jjjcredit.core.limits import DEFAULT as DEFAULT_LIMITS
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.library import crosswalks as crosswalks_service
from jjjcredit.services.library import search
from jjjcredit.services.tabular import files, readers, tables
from jjjcredit.storage import bulk
from jjjcredit.storage.engine import make_engine, unmapped
from jjjcredit.storage.schema import batches, changes, conflicts, counters, history, organizations, rejects

#: Accepted rows applied per round trip (bounded memory; the batch is still one transaction).
CHUNK_ROWS = 20_000
ELEMENT_NAMES: tuple[str, ...] = tuple(n for n in elements.COLUMN_ORDER if n != "uscc")
#: Every n-th accepted row is run through the quality rulebook during ingest (the full scorecard is
#: ``jjjcredit library quality``); at ~30 µs a record the whole file would double the ingest time.
QUALITY_SAMPLE_EVERY = 50
#: Files at least this big are read and checked in a second process while this one writes: the two
#: halves of an ingest take about as long as each other, so a second core nearly halves the time.
READ_ASIDE_BYTES = 8 << 20
#: Planned parts (of ~32,768 rows, a few MB each) the reader may run ahead of the writing.
AHEAD_PARTS = 4
T = TypeVar("T")
#: The order in which a record's dates give its effective date.
EFFECTIVE_FROM = ("last_updated", "approved", "established")


class LibraryError(Error):
    """A library request that cannot be done; ``code`` is stable (docs/errors.md)."""


@dataclass
class IngestSummary:
    """rows = created + updated + unchanged + rejected, always."""

    batch: str
    source: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    conflicts: int = 0
    blank: int = 0
    seconds: float = 0.0
    #: The search keys brought up to date after the batch committed (services/library/search.py).
    search_indexed: int = 0
    search_seconds: float = 0.0
    already_ingested: bool = False
    note: str = ""
    #: The rulebook (core/library/quality.py) on a systematic sample of the accepted rows: rule → failures.
    quality_sampled: int = 0
    quality_failures: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _department_of(source: str) -> str | None:
    department = source.split("/", 1)[1] if "/" in source else ""
    entry = crosswalks.DEPARTMENTS.get(department)
    return entry[0] if entry else None


def _effective(values: Mapping[str, str | None]) -> str | None:
    for name in EFFECTIVE_FROM:
        value = values.get(name)
        if value:
            return value
    return None


@dataclass
class _Batch:
    """What applying needs to know about the batch being ingested."""

    id: str
    source: str
    department: str | None
    region_prefix: str | None
    seq: int
    now: Any  #: the batch's time, in the driver's form (see _stamp)
    summary: IngestSummary
    #: The elements the file has columns for: the only ones its rows can set. Writing just these
    #: (not all 31) keeps the driver's per-value work proportional to the file, not the schema.
    elements: tuple[str, ...] = ELEMENT_NAMES
    dialect: str = "sqlite"  #: whose form the writes are prepared in (bulk.prepare)
    #: False when the library held no organization as the batch began: no code to look up.
    library_held: bool = True
    org_rows: list[dict[str, Any]] = field(default_factory=list)
    #: New organizations and their feed entries planned column by column (:func:`_create`).
    org_prepared: list[bulk.Prepared] = field(default_factory=list)
    change_prepared: list[bulk.Prepared] = field(default_factory=list)
    org_updates: list[dict[str, Any]] = field(default_factory=list)
    change_rows: list[dict[str, Any]] = field(default_factory=list)
    history_rows: list[dict[str, Any]] = field(default_factory=list)
    conflict_rows: list[dict[str, Any]] = field(default_factory=list)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


#: SQLite page cache while a batch is written (KiB): a batch is one transaction, and at millions of
#: organizations the code index outgrows the usual 64 MiB, so pages would be read back from the WAL.
INGEST_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _ingest_cache(conn: Connection) -> Iterator[None]:
    """A bigger SQLite page cache for the length of the batch, and no memory-mapped reads (a writer
    gains little from them, and mapped pages would count in its memory). PostgreSQL has its shared
    buffers."""
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{INGEST_CACHE_KIB}")
    try:
        with unmapped(conn):
            yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache or -65536)}")


def _take_feed_lock(conn: Connection) -> int:
    """Lock the feed counter for this transaction (PostgreSQL row lock; SQLite write lock) and read it."""
    conn.execute(update(counters).where(counters.c.name == "feed").values(value=counters.c.value))
    value = conn.execute(select(counters.c.value).where(counters.c.name == "feed")).scalar_one()
    return int(value)


def _authority_region(uscc: str, values: Mapping[str, str | None], region_prefix: str | None) -> str:
    """The registering authority's current division: positions 3-8, unless the organization is now
    registered in another region (it moved), when the address division there is the best we know."""
    if region_prefix and uscc[2:4] != region_prefix and uscc[2:8] != "100000":
        division = values.get("address_division") or ""
        return division if division.startswith(region_prefix) else region_prefix + "0000"
    return uscc[2:8]


def _fingerprints(source: str, columns: Mapping[str, Sequence[str | None]], names: Sequence[str]) -> list[str]:
    """Each record's fingerprint: a hash of its source, code and the values of ``names`` (records given
    column by column, ``uscc`` among them)."""
    codes = cast(Sequence[str], columns["uscc"])
    parts: list[Sequence[str]] = [[source] * len(codes), codes]
    for name in names:
        column = columns.get(name)
        parts.append([""] * len(codes) if column is None else
                     [v or "" for v in column] if None in column else cast(Sequence[str], column))
    blake2b = hashlib.blake2b
    texts = map("\x1f".join, zip(*parts, strict=True))
    return [blake2b(text.encode("utf-8"), digest_size=16).hexdigest() for text in texts]


def _stored_fingerprints(conn: Connection, codes: Sequence[str]) -> dict[str, str | None]:
    """code → fingerprint, for the codes already in the library (narrow: two columns)."""
    found: dict[str, str | None] = {}
    if conn.dialect.name == "postgresql":  # one text parameter (codes hold no comma): no per-code work here
        sql = "SELECT uscc, fingerprint FROM organizations WHERE uscc = ANY(string_to_array(%s, ','))"
        found.update(conn.exec_driver_sql(sql, (",".join(codes),)).all())
        return found
    for start in range(0, len(codes), 2_000):
        part = codes[start:start + 2_000]
        sql = f"SELECT uscc, fingerprint FROM organizations WHERE uscc IN ({', '.join(['?'] * len(part))})"
        found.update(conn.exec_driver_sql(sql, tuple(part)).all())
    return found


def _take(column: Sequence[T], rows: Sequence[int]) -> list[T]:
    """``column``'s values at ``rows``, picked by C code (a range is a slice)."""
    if isinstance(rows, range) and rows.step == 1:
        return list(column[rows.start:rows.stop])
    if len(rows) > 1:
        return list(operator.itemgetter(*rows)(column))
    return [column[i] for i in rows]


@dataclass
class _Accepted:
    """A part's accepted records column by column (element name → a value per record, None where
    empty; ``uscc`` always), with each record's fingerprint."""

    columns: dict[str, list[str | None]]
    prints: list[str]

    def __len__(self) -> int:
        return len(self.prints)

    def record(self, i: int) -> dict[str, str]:
        """Record ``i`` as element name → value, its empty elements left out."""
        return {name: v for name, column in self.columns.items() if (v := column[i]) is not None}

    def rows(self, rows: Sequence[int]) -> _Accepted:
        """The records at ``rows`` (distinct, in order)."""
        if len(rows) == len(self):
            return self  # all of them
        return _Accepted({name: _take(c, rows) for name, c in self.columns.items()}, _take(self.prints, rows))


def _apply(conn: Connection, batch: _Batch, accepted: _Accepted) -> None:
    """Apply accepted records with their fingerprints to the library.

    With each code once in ``accepted`` (as the checker sees to): a code the library does not hold
    is created column by column (:func:`_create`); a record identical to the last one applied from
    the same source (same fingerprint) is unchanged without reading the organization; only the
    others go record by record (:func:`_apply_records`). A library empty before the batch (a first
    load) holds no code: nothing to look up.
    """
    codes = cast(list[str], accepted.columns["uscc"])
    distinct = set(codes)
    stored = _stored_fingerprints(conn, sorted(distinct)) if batch.library_held else {}
    if len(distinct) < len(codes):
        _apply_records(conn, batch, [accepted.record(i) for i in range(len(codes))], accepted.prints, stored)
        return
    if not stored:  # none held (a first load, new codes): no record to sort out
        _create(batch, accepted)
        return
    new: list[int] = []
    changed: list[int] = []
    for i, (code, fingerprint) in enumerate(zip(codes, accepted.prints, strict=True)):
        if code not in stored:
            new.append(i)
        elif stored[code] != fingerprint:
            changed.append(i)
    batch.summary.unchanged += len(codes) - len(new) - len(changed)
    if new:
        _create(batch, accepted.rows(new))
    if changed:
        rest = accepted.rows(changed)
        _apply_records(conn, batch, [rest.record(i) for i in range(len(rest))], rest.prints, stored)


def _create(batch: _Batch, new: _Accepted) -> None:
    """Plan new organizations (codes the library does not hold, each once) and their "created" feed
    entries, column by column: sequence numbers in the file's order, organizations in code order (an
    index takes sorted keys about twice as fast as random ones)."""
    n = len(new)
    columns = new.columns
    codes = cast(list[str], columns["uscc"])
    first = batch.seq + 1
    batch.seq += n
    effective: list[str | None] = [None] * n
    for name in reversed(EFFECTIVE_FROM):
        if name in columns:
            effective = [v or e for v, e in zip(columns[name], effective, strict=True)]
    batch.change_prepared.append(bulk.prepare_columns(
        batch.dialect, ("seq", "uscc", "effective", "kind", "batch_id"),
        [range(first, first + n), codes, effective], ("created", batch.id)))
    regions = [code[2:8] for code in codes]
    if batch.region_prefix:
        divisions = columns.get("address_division")
        for i, code in enumerate(codes):
            if code[2:4] != batch.region_prefix:
                regions[i] = _authority_region(code, {"address_division": divisions[i] if divisions else None},
                                               batch.region_prefix)
    order = sorted(range(n), key=codes.__getitem__)
    seqs = [first + i for i in order]
    fields = [_take(codes, order), *(_take(columns[name], order) if name in columns else [None] * n
                                     for name in batch.elements),
              _take(regions, order), _take(effective, order), seqs, seqs, _take(new.prints, order)]
    batch.org_prepared.append(bulk.prepare_columns(
        batch.dialect, ("uscc", *batch.elements, "authority_region", "effective", "seq", "created_seq",
                        "fingerprint", "source", "batch_id"),
        fields, (batch.source, batch.id)))
    batch.summary.created += n


def _apply_records(conn: Connection, batch: _Batch, incoming: Sequence[dict[str, str]], prints: Sequence[str],
                   stored: Mapping[str, str | None]) -> None:
    """Apply accepted records (element name → normalized value) with their fingerprints, ``stored``
    holding the fingerprint the library keeps for each code it holds.

    A record identical to the last one applied from the same source (same fingerprint) is
    unchanged without reading the organization; only the others are read in full and compared.
    """
    counts: dict[str, int] = {}
    for r in incoming:
        counts[r["uscc"]] = counts.get(r["uscc"], 0) + 1
    same = {r["uscc"] for r, fp in zip(incoming, prints, strict=True)
            if counts[r["uscc"]] == 1 and stored.get(r["uscc"]) == fp}
    wanted = sorted(c for c in stored if c not in same)
    current: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 2_000):
        part = wanted[start:start + 2_000]
        for found in conn.execute(select(organizations).where(organizations.c.uscc.in_(part))).mappings():
            current[found["uscc"]] = dict(found)
    fresh: set[str] = set()
    blank: dict[str, Any] = dict.fromkeys(batch.elements) | {
        "source": batch.source, "batch_id": batch.id}
    for values, fingerprint in zip(incoming, prints, strict=True):
        code = values["uscc"]
        if code in same:
            batch.summary.unchanged += 1
            continue
        effective = _effective(values)
        existing = current.get(code)
        if existing is None:
            seq = batch.next_seq()
            row: dict[str, Any] = {**blank, **values, "authority_region": _authority_region(
                code, values, batch.region_prefix), "effective": effective, "seq": seq, "created_seq": seq,
                "fingerprint": fingerprint}
            current[code] = row
            fresh.add(code)
            batch.org_rows.append(row)
            batch.change_rows.append({"seq": seq, "uscc": code, "kind": "created", "batch_id": batch.id,
                                      "effective": effective})
            batch.summary.created += 1
            continue
        diff = {n: v for n, v in values.items() if n != "uscc" and existing.get(n) != v}
        if not diff:
            batch.summary.unchanged += 1
            continue
        wins, rule = _incoming_wins(code, existing, batch, effective)
        applied: dict[str, str] = {}
        other_source = existing["source"] != batch.source
        for name, value in diff.items():
            old = existing.get(name)
            if wins or old is None:
                applied[name] = value
                if old is not None and other_source:
                    batch.conflict_rows.append(_conflict(batch, code, name, value, batch.source, old,
                                                         existing["source"], "replaced", rule))
            elif other_source:
                batch.conflict_rows.append(_conflict(batch, code, name, old, existing["source"], value,
                                                     batch.source, "kept", rule))
        if not applied:
            batch.summary.unchanged += 1
            continue
        seq = batch.next_seq()
        batch.change_rows.append({"seq": seq, "uscc": code, "kind": "changed", "batch_id": batch.id,
                                  "effective": effective})
        for name, value in applied.items():
            batch.history_rows.append({"seq": seq, "element": name, "uscc": code,
                                       "old_value": existing.get(name), "new_value": value})
        existing.update(applied)
        if wins:
            existing.update(source=batch.source, batch_id=batch.id, fingerprint=fingerprint,
                            effective=max(effective or "", existing.get("effective") or "") or None,
                            authority_region=_authority_region(code, existing, batch.region_prefix))
        existing["seq"] = seq
        if code not in fresh:
            batch.org_updates.append(existing)
        batch.summary.updated += 1


def _incoming_wins(code: str, existing: Mapping[str, Any], batch: _Batch, effective: str | None) -> tuple[bool, str]:
    registering = code[0]
    incoming_registers = batch.department == registering
    current_registers = _department_of(existing["source"]) == registering
    if incoming_registers != current_registers:
        return incoming_registers, "registering_department"
    return (effective or "") >= (existing.get("effective") or ""), "newest_effective"


def _conflict(batch: _Batch, code: str, element: str, kept: str | None, kept_source: str, other: str | None,
              other_source: str, outcome: str, rule: str) -> dict[str, Any]:
    batch.summary.conflicts += 1
    return {"id": uuid.uuid4().hex, "uscc": code, "element": element, "kept_value": kept,
            "kept_source": kept_source, "other_value": other, "other_source": other_source,
            "outcome": outcome, "rule": rule, "batch_id": batch.id, "recorded_at": batch.now}


_ORG_COLUMNS = ("authority_region", "source", "batch_id", "effective", "seq", "fingerprint")


@dataclass
class _Writes:
    """What one chunk writes, ready for the database (bulk.prepare: tuples, or PostgreSQL's COPY text):
    built where the chunk is planned (in the reader process, for a large file), so the writer only
    writes."""

    org_rows: list[bulk.Prepared]
    org_updates: bulk.Prepared
    change_rows: list[bulk.Prepared]
    history_rows: bulk.Prepared
    conflict_rows: bulk.Prepared


def _package(batch: _Batch) -> _Writes:
    """The chunk :func:`_apply` planned, as :class:`_Writes`; new organizations in code order (an index
    takes sorted keys about twice as fast as random ones). Empties the batch's lists."""
    org_columns = ("uscc", *batch.elements, *_ORG_COLUMNS, "created_seq")
    update_columns = (*batch.elements, *_ORG_COLUMNS, "uscc")
    batch.org_rows.sort(key=operator.itemgetter("uscc"))

    def ready(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], copy: bool = True) -> bulk.Prepared:
        return bulk.prepare(batch.dialect if copy else "", columns, rows)

    writes = _Writes([*batch.org_prepared, ready(org_columns, batch.org_rows)],
                     ready(update_columns, batch.org_updates, copy=False),
                     [*batch.change_prepared, ready(changes.c.keys(), batch.change_rows)],
                     ready(history.c.keys(), batch.history_rows), ready(conflicts.c.keys(), batch.conflict_rows))
    for rows in (batch.org_rows, batch.org_updates, batch.change_rows, batch.history_rows, batch.conflict_rows):
        rows.clear()
    batch.org_prepared, batch.change_prepared = [], []
    return writes


def _flush(conn: Connection, writes: _Writes) -> None:
    """Write one planned chunk, in an order the foreign keys accept."""
    for prepared in writes.org_rows:
        bulk.insert_prepared(conn, organizations.name, prepared)
    for prepared in writes.change_rows:
        bulk.insert_prepared(conn, changes.name, prepared)
    bulk.insert_prepared(conn, history.name, writes.history_rows)
    updates = writes.org_updates
    bulk.execute_tuples(conn, "UPDATE organizations SET {sets} WHERE uscc = {mark}", updates.columns, updates.rows)
    bulk.insert_prepared(conn, conflicts.name, writes.conflict_rows)


def ingest_file(engine: Engine, path: str, source: str | None, batch_id: str | None = None,
                progress: Callable[[int], None] | None = None, crosswalks_dir: Path | None = None,
                refresh_search: bool = True, read_aside_bytes: int = READ_ASIDE_BYTES,
                limits: Limits = DEFAULT_LIMITS, layout: Path | None = None) -> IngestSummary:
    """Ingest one department file as one batch, then (``refresh_search``) bring the search keys up to
    the new changes in transactions of their own. A file of ``read_aside_bytes`` or more is read and
    checked by a second process while this one writes; lines and cells over ``limits`` are rejected rows.
    The layout is ``source``'s (``crosswalks.load``), or the file ``layout`` (whose source the batch is
    then from). Raises ``files.InputFileError``,
    ``records.LayoutError`` or :class:`LibraryError` before anything is written."""
    crosswalk = crosswalks_service.load(source, crosswalks_dir, layout)
    summary = _ingest(engine, path, crosswalk, batch_id, progress, read_aside_bytes, limits)
    if refresh_search:
        refreshed = search.refresh(engine)
        summary.search_indexed, summary.search_seconds = refreshed.indexed, refreshed.seconds
    return summary


def _ingest(engine: Engine, path: str, crosswalk: Crosswalk, batch_id: str | None,
            progress: Callable[[int], None] | None, read_aside_bytes: int, limits: Limits) -> IngestSummary:
    db.require_current(engine)
    started = time.perf_counter()
    source = crosswalk.source
    digest = file_hash(path)
    batch_id = batch_id or f"{_now():%Y%m%dT%H%M%S}-{digest[:12]}"
    summary = IngestSummary(batch=batch_id, source=source, file=path)
    with engine.begin() as conn, _ingest_cache(conn):
        seq = _take_feed_lock(conn)
        earlier = conn.execute(select(batches).where(
            (batches.c.id == batch_id) | ((batches.c.file_hash == digest) & (batches.c.source == source)))
        ).mappings().first()
        if earlier is not None:
            if earlier["file_hash"] != digest or earlier["source"] != source:  # matched by id alone
                raise LibraryError("library.batch_id_reused", f'Batch id "{batch_id}" was used on '
                                   f'{earlier["finished_at"]:%Y-%m-%d %H:%M} for {earlier["file_name"]} from '
                                   f'{earlier["source"]}, not for this file: choose a new batch id.')
            return _already(summary, dict(earlier), digest, started)
        now = _now()
        conn.execute(insert(batches).values(
            id=batch_id, source=source, file_name=Path(path).name, file_hash=digest, status="running", rows=0,
            created=0, updated=0, unchanged=0, rejected=0, warnings=0, conflicts=0, started_at=now,
            finished_at=now, seconds=0.0))
        with readers.open_table(path, limits=limits) as table:  # the layout is checked before anything is written
            layout = records.bind(crosswalk, table.header, table.name)
        reading = _Reading(path, crosswalk, batch_id, source,
                           tuple(n for n in ELEMENT_NAMES if layout.column(n) is not None),
                           crosswalk.department_code, now.date(), engine.url.render_as_string(hide_password=False),
                           crosswalk.region_prefix, seq, bulk.stamp(conn, now), conn.dialect.name,
                           conn.execute(select(organizations.c.uscc).limit(1)).first() is not None, limits)
        if Path(path).stat().st_size >= read_aside_bytes and engine.url.database not in (None, "", ":memory:"):
            parts = _read_aside(reading)  # (an in-memory database is this process's alone)
        else:
            parts = _planned(reading, conn, _read(reading))
        first_seq, last_seq = None, seq
        # Closed however the batch ends: a failed write stops the reader at once, not when the error
        # is dropped.
        with contextlib.closing(parts):
            for part in parts:
                if part.rejects:
                    conn.execute(insert(rejects), part.rejects)
                for writes in part.writes:
                    _flush(conn, writes)
                summary.rows += part.rows
                summary.rejected += len(part.rejects)
                summary.warnings += part.warnings
                summary.blank += part.blank
                summary.created += part.created
                summary.updated += part.updated
                summary.unchanged += part.unchanged
                summary.conflicts += part.conflicts
                summary.quality_sampled += part.quality_sampled
                for rule, n in part.quality_failures.items():
                    summary.quality_failures[rule] = summary.quality_failures.get(rule, 0) + n
                first_seq = first_seq or part.first_seq
                last_seq = part.last_seq or last_seq
                if progress:
                    progress(summary.rows)
        summary.seconds = round(time.perf_counter() - started, 3)
        conn.execute(update(counters).where(counters.c.name == "feed").values(value=last_seq))
        conn.execute(update(batches).where(batches.c.id == batch_id).values(
            status="committed", rows=summary.rows, created=summary.created, updated=summary.updated,
            unchanged=summary.unchanged, rejected=summary.rejected, warnings=summary.warnings,
            conflicts=summary.conflicts, first_seq=first_seq, last_seq=first_seq and last_seq,
            finished_at=_now(), seconds=summary.seconds))
    return summary


# --- reading: file → checked parts (in this process, or in a reader process beside it) ------------

@dataclass(frozen=True)
class _Reading:
    """What reading a file and planning its writes need (picklable: it crosses to the reader process)."""

    path: str
    crosswalk: Crosswalk
    batch_id: str
    source: str
    elements: tuple[str, ...]  #: the elements the file has columns for: the only ones its rows can set
    department: str | None
    today: datetime.date
    url: str  #: the library, which the reader process reads as it was before the batch
    region_prefix: str | None
    seq: int  #: the feed counter when the batch took its lock: the batch's changes follow it
    now: Any  #: the batch's time, in the driver's form (bulk.stamp)
    dialect: str  #: the library's database: whose form the writes are prepared in
    library_held: bool = True  #: whether the library held any organization before the batch
    limits: Limits = DEFAULT_LIMITS  #: the longest line and cell read


@dataclass
class _Part:
    """One chunk of the file, read and checked (accepted records with their fingerprints, rejected rows
    ready to store, counts), then planned: the accepted records become :class:`_Writes` and counts."""

    rows: int
    warnings: int
    blank: int
    accepted: _Accepted
    rejects: list[dict[str, Any]]
    quality_sampled: int = 0
    quality_failures: dict[str, int] = field(default_factory=dict)
    writes: list[_Writes] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    first_seq: int | None = None
    last_seq: int | None = None


def _read(reading: _Reading) -> Iterator[_Part]:
    """Read and check the file chunk by chunk."""
    with readers.open_table(reading.path, limits=reading.limits) as table:
        layout = records.bind(reading.crosswalk, table.header, table.name)
        checker = records.Checker(layout, keep_columns=True, spill=tempfile.TemporaryFile)  # files of no name
        try:
            for chunk in table.chunks:
                checked = checker.check_columns(chunk.first_row, chunk.size, chunk.columns, chunk.issues,
                                                chunk.stripped)
                columns, stored = _split(reading.batch_id, chunk, checked, layout)
                part = _Part(checked.rows, checked.warnings, checked.blank,
                             _Accepted(columns, _fingerprints(reading.source, columns, reading.elements)), stored)
                _sample_quality(part, reading.department, reading.today)
                yield part
        finally:
            checker.close()


def _planned(reading: _Reading, conn: Connection, parts: Iterable[_Part]) -> Generator[_Part, None, None]:
    """Each part with its accepted records planned into writes (:func:`_apply`), in chunks of
    :data:`CHUNK_ROWS`, against ``conn``: the writer's own connection, or in the reader process a
    connection of its own that sees the library as it was before the batch. Both see the same for
    every code a part holds, because a file's accepted rows hold each code once (the checker rejects
    a duplicate, records.py), so no earlier part of the batch wrote it."""
    summary = IngestSummary(batch=reading.batch_id, source=reading.source, file=reading.path)
    batch = _Batch(reading.batch_id, reading.source, reading.department, reading.region_prefix, reading.seq,
                   reading.now, summary, reading.elements, reading.dialect, library_held=reading.library_held)
    for part in parts:
        before = (summary.created, summary.updated, summary.unchanged, summary.conflicts, batch.seq)
        for start in range(0, len(part.accepted), CHUNK_ROWS):
            _apply(conn, batch, part.accepted.rows(range(start, min(start + CHUNK_ROWS, len(part.accepted)))))
            part.writes.append(_package(batch))
        part.created, part.updated = summary.created - before[0], summary.updated - before[1]
        part.unchanged, part.conflicts = summary.unchanged - before[2], summary.conflicts - before[3]
        if batch.seq != before[4]:
            part.first_seq, part.last_seq = before[4] + 1, batch.seq
        part.accepted = _Accepted({}, [])  # planned: the writer needs only the writes
        yield part


def _read_aside(reading: _Reading) -> Generator[_Part, None, None]:
    """:func:`_read` and :func:`_planned` in a reader process (forked: nothing to import again), its
    planned parts coming through a pipe. A thread here takes them off the pipe as they come, up to
    :data:`AHEAD_PARTS` ahead of the writing, so the reader does not wait for the database (two cores:
    one for the reader, one for the database). If this process dies, the reader's next send fails and
    it ends; if the reader dies, this raises and the batch rolls back; if writing fails, the reader is
    stopped."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    reader = context.Process(target=_reader, args=(reading, sender, receiver), daemon=True, name="jjjcredit-reader")
    reader.start()
    sender.close()
    messages = _ahead(_received(receiver), AHEAD_PARTS, "jjjcredit-receiver")
    finished = False
    try:
        for kind, payload in messages:
            if kind == "ended":
                reader.join(timeout=5)
                raise LibraryError("library.reader_failed", f"The process reading {Path(reading.path).name} "
                                   f"ended unexpectedly (exit code {reader.exitcode}); nothing was written: "
                                   "run the command again.")
            if kind == "done":
                finished = True
                return
            if kind == "error":
                cls, code, message = payload
                raise cls(code, message)
            if kind == "crash":
                raise LibraryError("library.reader_failed", f"Reading {Path(reading.path).name} failed: {payload}")
            yield payload
    finally:
        if not finished and reader.is_alive():
            reader.kill()  # the batch failed: nothing more to read for
        reader.join()
        messages.close()  # its thread ends: the pipe is closed at the other end
        receiver.close()


def _received(receiver: Any) -> Iterator[tuple[str, Any]]:
    """The reader's messages, until one that is not a part; ``("ended", None)`` when the pipe closes
    without one (the reader died)."""
    while True:
        try:
            message: tuple[str, Any] = receiver.recv()
        except (EOFError, OSError):
            message = ("ended", None)
        yield message
        if message[0] != "part":
            return


def _ahead(items: Iterator[T], size: int, name: str) -> Generator[T, None, None]:
    """``items``, produced by a thread of their own up to ``size`` ahead of the one consuming them: the
    producer works while the consumer waits (for the database, the pipe). The producer's exception is
    raised to the consumer; closing this generator stops the producer at its next item."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=size)
    stop = threading.Event()

    def put(message: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(message, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed over: the consumer raises it
            put(("failed", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    producer = threading.Thread(target=produce, daemon=True, name=name)
    producer.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "done":
                return
            if kind == "failed":
                raise item
            yield item
    finally:
        stop.set()
        producer.join()


def _reader(reading: _Reading, sender: Any, receiver: Any) -> None:
    receiver.close()  # the fork's copy of the writer's end: kept open, a send to a dead writer would block
    engine = make_engine(reading.url)  # of its own: the writer's connections stay the writer's
    try:
        # A thread reads and checks the next parts while this one plans (its look-ups wait for the
        # database) and sends.
        with engine.connect() as conn, unmapped(conn), \
                contextlib.closing(_ahead(_read(reading), 2, "jjjcredit-checker")) as parts:
            for part in _planned(reading, conn, parts):
                sender.send(("part", part))
        sender.send(("done", None))
    except BrokenPipeError:
        return  # the writer is gone (stopped or killed): nothing to read for
    except (files.InputFileError, records.LayoutError, crosswalks.CrosswalkError) as exc:
        sender.send(("error", (type(exc), exc.code, exc.message)))
    except Exception as exc:
        sender.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()
        engine.dispose()


def _sample_quality(part: _Part, department: str | None, today: datetime.date) -> None:
    for i in range(0, len(part.accepted), QUALITY_SAMPLE_EVERY):
        record = part.accepted.record(i)
        part.quality_sampled += 1
        for rule, ok in quality.evaluate(record, department, today).items():
            if ok is False:
                part.quality_failures[rule] = part.quality_failures.get(rule, 0) + 1


def _split(batch_id: str, chunk: tables.Chunk, checked: records.Batch,
           layout: records.Layout) -> tuple[dict[str, list[str | None]], list[dict[str, Any]]]:
    """The chunk's accepted records column by column (None where empty), and its rejected rows with
    their reasons and original values."""
    by_row: dict[int, list[records.Problem]] = {}
    for problem in checked.problems:
        by_row.setdefault(problem.row, []).append(problem)
    rejected_rows = {row for row, ps in by_row.items() if any(p.severity is Severity.ERROR for p in ps)}
    columns = checked.columns or {}
    kept = set(checked.checked or ()) if rejected_rows else set()
    stored: list[dict[str, Any]] = []
    for row in sorted(rejected_rows):
        i = row - chunk.first_row
        original = {h: column[i] for h, column in zip(layout.headers, chunk.columns, strict=False)}
        code = columns["uscc"][i] if i in kept and "uscc" in columns else None
        stored.append({"batch_id": batch_id, "row": row, "uscc": code or None,
                       "problems": json.dumps([p.to_dict() for p in by_row[row]], ensure_ascii=False),
                       "original": json.dumps(_masked(original, layout), ensure_ascii=False)})
    accepted = [i for i in checked.checked or () if chunk.first_row + i not in rejected_rows]
    picked: dict[str, list[str | None]] = {}
    for name, column in columns.items():
        values = list(column) if len(accepted) == len(column) else _take(column, accepted)
        picked[name] = [v or None for v in values] if "" in values else values
    return picked, stored


def _masked(original: Mapping[str, str], layout: records.Layout) -> dict[str, str]:
    """Original values as sent, with personal data (ID numbers, contacts) masked: rejects are shown
    to people."""
    personal = {b.header for b in layout.columns if b.element.personal}
    return {k: records.mask_personal(v) if k in personal else v for k, v in original.items()}


def _already(summary: IngestSummary, earlier: Mapping[str, Any], digest: str, started: float) -> IngestSummary:
    summary.already_ingested = True
    summary.rows = int(earlier["rows"])
    summary.unchanged = int(earlier["rows"]) - int(earlier["rejected"])
    summary.rejected = int(earlier["rejected"])
    same = "This file" if earlier["file_hash"] == digest else "A batch with this id"
    rejected = int(earlier["rejected"])
    then = (f" ({rejected:,} row{'' if rejected == 1 else 's'} of it rejected then: "
            f"`jjjcredit library rejects {earlier['id']}`)" if rejected else "")
    summary.note = (f"{same} was already ingested as batch {earlier['id']} on "
                    f"{earlier['finished_at']:%Y-%m-%d %H:%M}: nothing changed{then}.")
    summary.batch = str(earlier["id"])
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


# --- reading the library ---------------------------------------------------------------------------

def get_organization(conn: Connection, code: str) -> dict[str, Any] | None:
    row = conn.execute(select(organizations).where(organizations.c.uscc == code)).mappings().first()
    return dict(row) if row else None


@functools.cache
def _elements_sql(names: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(('uscc', *names))} FROM organizations WHERE uscc = "


def current_elements(conn: Connection, code: str, names: tuple[str, ...] = ELEMENT_NAMES) -> dict[str, str] | None:
    """The current value of each of these elements (default: all) a code has — elements only, no
    provenance: what the lookup service shows — in one query on the driver, the busiest read of the
    API, kept short."""
    raw: Any = conn.connection.driver_connection
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    row = raw.execute(_elements_sql(names) + mark, (code,)).fetchone()
    if row is None:
        return None
    return {name: value for name, value in zip(("uscc", *names), row, strict=True) if value is not None}


#: A change-feed event: the feed's row with its batch's source and time.
_EVENTS = select(changes.c.seq, changes.c.uscc, changes.c.kind, batches.c.source, changes.c.batch_id,
                 changes.c.effective, batches.c.started_at.label("recorded_at")).join(
    batches, batches.c.id == changes.c.batch_id)


def organization_history(conn: Connection, code: str) -> list[dict[str, Any]]:
    """Every change of the organization, oldest first, each with the elements it changed: its "created"
    change (``created_seq``) and the changes its ``history`` rows name."""
    values = conn.execute(select(history).where(history.c.uscc == code).order_by(history.c.seq)).mappings().all()
    seqs = select(organizations.c.created_seq).where(organizations.c.uscc == code).union(
        select(history.c.seq).where(history.c.uscc == code))
    events = [dict(r) for r in conn.execute(_EVENTS.where(changes.c.seq.in_(seqs)).order_by(changes.c.seq)).mappings()]
    return _with_elements(events, values)


def _with_elements(events: list[dict[str, Any]], values: Iterable[Any]) -> list[dict[str, Any]]:
    """Each change event with the elements it changed (old → new), from its ``history`` rows."""
    by_seq: dict[int, list[dict[str, Any]]] = {}
    for v in values:
        by_seq.setdefault(int(v["seq"]), []).append(
            {"element": v["element"], "old": v["old_value"], "new": v["new_value"]})
    for event in events:
        event["elements"] = by_seq.get(int(event["seq"]), [])
    return events


def provenance(organization: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Which source gave each current value, in which batch, effective when: the last change of the
    element, else the record that created the organization."""
    created = next((e for e in events if e["kind"] == "created"), None)
    found: dict[str, dict[str, Any]] = {}
    for name in ELEMENT_NAMES:
        if organization.get(name) is None:
            continue
        last = next((e for e in reversed(events) if any(x["element"] == name for x in e["elements"])), created)
        if last is not None:
            found[name] = {"source": last["source"], "batch": last["batch_id"], "effective": last["effective"],
                           "seq": last["seq"]}
    return found


def show_organization(conn: Connection, code: str, org: Mapping[str, Any]) -> dict[str, Any]:
    """Everything about one organization: the record, the source of each value, former names, history
    and conflicts — every value as stored: what leaves the system goes through
    services/sharing/disclosure.py (``disclosure.show_organization``)."""
    history = organization_history(conn, code)
    sources = provenance(org, history)
    record = {k: v for k, v in org.items() if v is not None}
    times = {event["seq"]: event["recorded_at"] for event in history}  # the batches' times
    record["created_at"], record["updated_at"] = times.get(org.get("created_seq")), times.get(org.get("seq"))
    return {"organization": record, "sources": sources, "former_names": former_names(conn, code),
            "history": history, "conflicts": organization_conflicts(conn, code)}


def former_names(conn: Connection, code: str) -> list[dict[str, Any]]:
    """The names an organization carried before, with when they changed (newest first)."""
    rows = conn.execute(
        _EVENTS.add_columns(history.c.old_value, history.c.new_value).join(history, history.c.seq == changes.c.seq)
        .where(history.c.uscc == code, history.c.element == "name")
        .order_by(history.c.seq.desc())).mappings()
    return [{"name": r["old_value"], "replaced_by": r["new_value"], "effective": r["effective"],
             "recorded_at": r["recorded_at"], "seq": r["seq"]} for r in rows if r["old_value"]]


def organization_conflicts(conn: Connection, code: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(
        select(conflicts).where(conflicts.c.uscc == code).order_by(conflicts.c.recorded_at)).mappings()]


def changes_after(conn: Connection, after: int, limit: int = 1000) -> list[dict[str, Any]]:
    """Committed changes with ``seq > after``, in order, each with its changed elements."""
    events = [dict(r) for r in conn.execute(
        _EVENTS.where(changes.c.seq > after).order_by(changes.c.seq).limit(limit)).mappings()]
    if not events:
        return events
    return _with_elements(events, conn.execute(select(history).where(
        history.c.seq >= events[0]["seq"], history.c.seq <= events[-1]["seq"])).mappings())


def batch_rejects(conn: Connection, batch_id: str) -> Iterator[dict[str, Any]]:
    if conn.execute(select(batches.c.id).where(batches.c.id == batch_id)).first() is None:
        raise LibraryError("library.unknown_batch", f'There is no batch "{batch_id}": `jjjcredit library stats` '
                           "lists the recent batches.")
    for row in conn.execute(select(rejects).where(rejects.c.batch_id == batch_id).order_by(rejects.c.row)).mappings():
        yield {"row": row["row"], "uscc": row["uscc"], "problems": json.loads(row["problems"]),
               "original": json.loads(row["original"])}


def stats(conn: Connection) -> dict[str, Any]:
    total = conn.execute(select(func.count()).select_from(organizations)).scalar_one()
    by_status: dict[Any, int] = dict(conn.execute(select(organizations.c.status, func.count()).group_by(
        organizations.c.status)).all())
    by_source: dict[str, int] = dict(conn.execute(select(organizations.c.source, func.count()).group_by(
        organizations.c.source)).all())
    feed = conn.execute(select(counters.c.value).where(counters.c.name == "feed")).scalar_one()
    recent = [dict(r) for r in conn.execute(select(
        batches.c.id, batches.c.source, batches.c.file_name, batches.c.rows, batches.c.created, batches.c.updated,
        batches.c.unchanged, batches.c.rejected, batches.c.finished_at).order_by(
        batches.c.finished_at.desc()).limit(10)).mappings()]
    return {"organizations": total, "by_status": {str(k): v for k, v in by_status.items()},
            "by_source": by_source, "last_seq": feed, "recent_batches": recent}
