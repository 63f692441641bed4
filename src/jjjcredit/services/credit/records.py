"""Credit records: ingest (a file or an API body under one catalogue item, from one provider), the
versions of each record, and a subject's records with their history. A correction or revocation of a
record is in services/credit/corrections.py, which catalogue item applies in services/credit/items.py,
the tallies and the timeliness of providers in services/credit/timeliness.py.

A record's identity is item + provider + document number (``id`` = a hash of the three): a
resubmission with other values is a new version, the same values change nothing, and every version
is kept. Ingest streams: the file is read in chunks (services/tabular/readers.py), each chunk checked
(core/credit/row_checks.py), its existing records looked up in one query, and its writes made through
the driver's bulk paths (COPY on PostgreSQL) — memory holds one chunk. One batch is one transaction,
under a lock per provider and item (:func:`providers.take_lock`); the current version of a record is
kept once, in ``credit_records``, and the versions it replaced in ``credit_record_versions``; the same
file from the same provider for the same item again changes nothing and says so. Whoever writes
``credit_records`` adds what it wrote to the provider's and item's tally
(:func:`timeliness.add_to_tallies`), which the timeliness report reads.

Natural persons are keyed by the keyed hash of their identity number and the number is stored only
sealed (core/credit/persons.py); without the personal data key (no operator secret) their rows are
refused with ``credit.no_secret``, never kept in clear. What a caller sees of records is decided in
services/sharing/disclosure.py, never here.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import datetime
import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml
from sqlalchemy import Connection, Engine, insert, select, update

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import is_identity_number, shown_personal
from jjjcredit.core.credit import catalogue, kept_lengths, layouts, persons, records_arrow, records_bulk, working_days
from jjjcredit.core.credit import columns as national
from jjjcredit.core.credit import records as rules
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.errors import Severity
from jjjcredit.core.library.records import Problem, shown
from jjjcredit.core.limits import DEFAULT as DEFAULT_LIMITS
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.credit import checking, providers, timeliness
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import records_arrow as services_arrow
from jjjcredit.services.tabular import files, readers, tables
from jjjcredit.storage import bulk
from jjjcredit.storage.schema import (
    credit_batches,
    credit_record_versions,
    credit_records,
    credit_rejects,
    credit_tallies,
    organizations,
)

#: Problems a summary lists (all are stored: ``credit rejects BATCH``).
SHOWN_PROBLEMS = 200
_LOOKUP = 2000  #: ids per look-up query
_RECORD_COLUMNS = tuple(c.name for c in credit_records.columns)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def record_id(item: str, provider: str, document_number: str) -> str:
    """A record's id: the hash of its identity (item, provider, document number as compared:
    core/credit/records.document_key)."""
    key = rules.document_key(document_number)
    return hashlib.sha256(f"{item}\x1f{provider}\x1f{key}".encode()).hexdigest()[:32]


def record_ids(item: str, provider: str, document_numbers: Sequence[str]) -> list[str]:
    """:func:`record_id` of each document number (their keys made at once: rules.document_keys)."""
    prefix = f"{item}\x1f{provider}\x1f"
    return [hashlib.sha256((prefix + key).encode()).hexdigest()[:32] for key in rules.document_keys(document_numbers)]


#: An accepted row of a chunk: its record (``None`` for a row of the chunk's ``Clean`` columns, which is
#: made a record only when one is needed), subject key, warnings, place in those columns, row.
_Accepted = tuple[rules.Record | None, str, list[Problem], int, int]
#: A row accepted only if its record holds its values over the limits in force: those values, the problems
#: it was refused with, and how to refuse it with them (:meth:`_Writer._judge_kept`).
_Held = tuple[tuple[kept_lengths.Kept, ...], tuple[Problem, ...], Callable[[Sequence[Problem]], None]]


@dataclass
class Summary:
    """What one submission did; ``rows`` = ``created`` + ``updated`` + ``unchanged`` + ``rejected``, always."""

    batch: str = ""
    item: str = ""
    item_name: str = ""
    edition: int = 0
    provider: str = ""
    file: str = ""
    format: str = ""
    encoding: str | None = None
    header_row: int = 0
    status: str = "committed"  #: the batch is kept; ``message`` says when nothing changed
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: int = 0
    flagged: int = 0
    late: int = 0
    #: records whose collection deadline could not be judged: the calendar has no holiday notice for the year
    undated: int = 0
    blank: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    merged: tuple[str, ...] = ()  #: XLSX cells merged over rows, read as their value in each row they cover
    #: XLSX: the workbook's sheets after the first (only the first is read), the first 20 of them by name, and
    #: how many there are
    sheets_not_read: tuple[str, ...] = ()
    sheets_not_read_count: int = 0
    #: the first :data:`SHOWN_PROBLEMS` problems by row, then field (then as found), whenever each was found:
    #: a row's checks, what is recorded (a duplicate, a revoked record) and warnings of accepted rows come
    #: at different moments, and a clerk walks down the sheet
    problems: list[dict[str, object]] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""
    _order: list[tuple[int, str, int]] = field(default_factory=list, repr=False)  #: each listed one's key
    _noted: int = 0

    def note(self, problem: Problem) -> None:
        self.by_code[problem.code] = self.by_code.get(problem.code, 0) + 1
        if not self.shows_more(problem.row, problem.field):
            return
        self._noted += 1
        key = (problem.row, problem.field, self._noted)
        at = bisect.bisect(self._order, key)
        self._order.insert(at, key)
        self.problems.insert(at, problem.to_dict())
        if len(self.problems) > SHOWN_PROBLEMS:
            del self._order[SHOWN_PROBLEMS:], self.problems[SHOWN_PROBLEMS:]

    def shows_more(self, row: int, name: str = "") -> bool:
        """Whether a problem of ``row`` (and field ``name``) noted now would be listed (else only
        :meth:`count` it: no need to make it)."""
        return len(self.problems) < SHOWN_PROBLEMS or (row, name) < self._order[-1][:2]

    def count(self, code: str, n: int = 1) -> None:
        """A problem (``n`` of them) counted by its code, once the list is full."""
        self.by_code[code] = self.by_code.get(code, 0) + n

    def to_dict(self) -> dict[str, object]:
        return {
            "batch": self.batch, "status": self.status, "message": self.message, "item": self.item,
            "item_name": self.item_name, "edition": self.edition, "provider": self.provider, "file": self.file,
            "format": self.format, "encoding": self.encoding, "header_row": self.header_row, "rows": self.rows,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "rejected": self.rejected, "warnings": self.warnings, "flagged": self.flagged, "late": self.late,
            "undated": self.undated, "blank": self.blank,
            "by_code": dict(sorted(self.by_code.items(), key=lambda kv: (-kv[1], kv[0]))),
            "columns": self.columns, "ignored": list(self.ignored), "merged_cells": list(self.merged),
            "sheets_not_read": list(self.sheets_not_read), "sheets_not_read_count": self.sheets_not_read_count,
            "problems": self.problems, "problems_shown": len(self.problems),
            "seconds": self.seconds,
        }


def file_hash(path: str) -> str:
    """The file's SHA-256; a missing file or a folder is refused as every command refuses them."""
    p = Path(path)
    if not p.exists():
        raise files.not_found(path)
    if p.is_dir():
        raise files.InputFileError("file.is_directory", f"{path}: is a folder, expected a file.")
    digest = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ingest_file(engine: Engine, path: str, item_code: str, provider: str, *,
                protector: persons.Protector | None, channel: str = "cli", file_name: str | None = None,
                today: datetime.date | None = None, limits: Limits = DEFAULT_LIMITS,
                chunk_rows: int = tables.ROWS_PER_CHUNK, own_headers: Mapping[str, str] | None = None,
                max_rows: int | None = None, waiting: Callable[[], None] | None = None,
                mapping_name: str = "--columns", client: str | None = None) -> Summary:
    """Ingest one file of credit records under ``item_code`` from ``provider`` as one batch — sent, over the
    API, by the client whose id is ``client`` (kept with the batch: only that client reads its rejects).

    ``waiting()`` is called when the batch waits for another batch of the same provider and item to end.
    ``own_headers`` maps the provider's own headers to the item's fields (:func:`load_own_headers`,
    :func:`own_headers_of`), which messages call ``mapping_name``.
    ``max_rows``: past that many rows the batch is refused whole (``file.too_many_rows``; nothing kept).
    Raises :class:`files.InputFileError` or :class:`RecordsError` before anything is written (file
    unreadable, header not fitting the item, unknown item, no published catalogue)."""
    db.require_current(engine)
    provider = providers.check_provider(provider)
    started = time.perf_counter()
    today = today or working_days.today()
    digest = file_hash(path)
    name = shown_personal(file_name or Path(path).name)
    with engine.begin() as conn:
        year, item = credit_items.item_in_force(conn, item_code, today)
        layouts.check_mapping(item, own_headers or {}, mapping_name)
        providers.take_lock(conn, provider, item.code, waiting)
        earlier = conn.execute(select(credit_batches.c.id, credit_batches.c.finished_at)
                               .where(credit_batches.c.provider == provider, credit_batches.c.item == item.code,
                                      credit_batches.c.file_hash == digest, credit_batches.c.status == "committed")
                               .order_by(credit_batches.c.finished_at.desc()).limit(1)).first()
        now = _now()
        batch_id = f"C{now:%Y%m%dT%H%M%S}-{digest[:10]}-{secrets.token_hex(2)}"
        summary = Summary(batch=batch_id, item=item.code, item_name=item.name, edition=year, provider=provider,
                          file=name)
        conn.execute(insert(credit_batches).values(
            id=batch_id, item=item.code, edition=year, provider=provider, client=client, channel=channel,
            file_name=name,
            file_hash=digest, status="running", rows=0, created=0, updated=0, unchanged=0, rejected=0,
            warnings=0, flagged=0, late=0, started_at=now, finished_at=now, seconds=0.0))
        more = functools.partial(layouts.fields_not_named, item, own=own_headers, name=name)
        with readers.open_table(path, chunk_rows, limits, more, none_ok=True, arrow=True) as table:
            try:  # (JSON Lines or XML of no record has no header: a report of none, read as the item's own)
                layout = layouts.bind(item, [f.name for f in item.fields] if table.no_records else table.header,
                                      table.name, own_headers, table.header_row)
            except RecordsError as exc:
                if exc.code == "credit.layout" and table.sheet_count > 1:
                    exc.message += " " + _sheets_note(table.sheets, table.sheet_count)
                    exc.args = (exc.message,)
                raise
            summary.sheets_not_read = tuple(shown_personal(s) for s in table.sheets[1:])
            summary.sheets_not_read_count = max(table.sheet_count - 1, 0)
            summary.format, summary.encoding, summary.header_row = table.format, table.encoding, table.header_row
            summary.columns = {} if table.no_records else {shown_personal(b.header): b.field.element
                                                           for b in layout.bound}
            summary.ignored = tuple(shown_personal(h) for h in layout.ignored)
            writer = _Writer(conn, item, provider, batch_id, now, today, protector,
                             resend=earlier.finished_at if earlier is not None else None)
            dropped = [h for h in layout.ignored  # columns of fields an earlier edition had: said, not kept
                       if (c := national.by_header(h)) is not None and c.code in writer.dropped]
            unread = [h for h in layout.ignored if h.strip() and h not in dropped]  # none of the item's fields
            source = checking.Source(path, chunk_rows, limits, more, layout, today, item.code, provider)
            try:
                with contextlib.ExitStack() as stack:
                    if checking.in_own_process(path, table, channel):  # (forked before the writer's thread starts)
                        chunks = stack.enter_context(checking.checked_elsewhere(source))
                    else:
                        chunks = (checking.check(layout, chunk, today, item.code, provider) for chunk in table.chunks)
                    for checked in chunks:
                        chunk = checked.chunk
                        if max_rows is not None and chunk.first_row - table.header_row - 1 + chunk.size > max_rows:
                            raise files.InputFileError(
                                "file.too_many_rows", f"{name}: holds more than {max_rows:,} rows, the most a batch "
                                "sent through the API may hold (setting JJJCREDIT_LIMIT_API_ROWS); nothing was "
                                "recorded: send it in several batches.")
                        writer.chunk(layout, checked, summary)
            except BaseException:
                writer.abandon()
                raise
            writer.close()
            summary.merged = tuple(table.merged)
        writer.tally.records, writer.tally.late = summary.created, summary.late
        timeliness.add_to_tallies(conn, {(provider, item.code): writer.tally})
        if not summary.rows:
            summary.message = ("The file holds no records (a header, or blank rows or lines only, or an XML root "
                               "holding none): kept as a report of none "
                               "(零报告) from this provider for this item, which the timeliness report counts as "
                               "sent. If records were meant to be in it, check the file and send it again.")
        came = "" if earlier is None else f"batch {earlier.id} on {earlier.finished_at:%Y-%m-%d %H:%M}"
        if summary.unchanged and not summary.created and not summary.updated:
            summary.message = "Nothing changed: every accepted row is as recorded."
            if earlier is not None:
                summary.message = (f"Nothing changed: this file was ingested as {came}, and every accepted row is as "
                                   f"recorded{' or was corrected since' if writer.left_corrected else ''}.")
            if summary.rejected:
                rows = "1 row was" if summary.rejected == 1 else f"{summary.rejected:,} rows were"
                summary.message += (f" {rows} rejected all the same: see the problems, mend those rows and send "
                                    "them.")
        elif summary.rejected:
            every = "Every row was rejected: nothing of the file was recorded. " \
                if summary.rejected == summary.rows else ""
            rows = "1 row was" if summary.rejected == 1 else f"{summary.rejected:,} rows were"
            summary.message = (f"{every}{rows} rejected: each, with its problems and values, "
                               f"is listed by `jjjcredit credit rejects {batch_id}` (over the API, GET "
                               f"/api/v1/credit/batches/{batch_id}/rejects); mend those rows and send them.")
        if writer.left_corrected:  # (only a file sent again: ``earlier`` is its batch)
            n = writer.left_corrected
            said = "1 record it holds was" if n == 1 else f"{n:,} records it holds were"
            first = "" if summary.message.startswith("Nothing changed") else f"This file was ingested as {came}: "
            summary.message = (summary.message + " " if summary.message else "") + (
                f"{first}{said} corrected since, and left as corrected: the file's values are older than the "
                "correction and do not set it back (credit.corrected_since, a warning a record). A change to such a "
                "record comes as a correction, or in a file of its new values.")
        if unread:
            summary.message = (summary.message + " " if summary.message else "") + layouts.not_read(item, unread)
        if dropped:
            said = "、".join(shown_personal(h) for h in dropped)
            summary.message = (summary.message + " " if summary.message else "") + (
                f"Column(s) {said} of this file are fields an earlier edition's {item.code} had and the {year} "
                "edition dropped: their values were not kept from this file (those kept before stay with their "
                "records).")
        if writer.kept_absent:
            said = "、".join(f.name for f in item.fields if f.element in writer.kept_absent)
            summary.message = (summary.message + " " if summary.message else "") + (
                f"This file has no column for {said}: the records it sends again keep the values they hold of "
                "them (a file that leaves a column out does not clear it; send the column with the cell empty to "
                "clear a value).")
        if summary.sheets_not_read:
            summary.message = (summary.message + " " if summary.message else "") + _sheets_note(table.sheets,
                                                                                                table.sheet_count)
        if summary.by_code.get("credit.length_kept"):
            summary.message = (summary.message + " " if summary.message else "") + (
                f"{summary.by_code['credit.length_kept']:,} value(s) of this file are longer than the {year} edition "
                "allows, and were kept: their records hold them as sent, recorded under an earlier edition's longer "
                "limit (credit.length_kept). A changed value, or a new record, fits the limit in force.")
        if summary.undated:
            years = ", ".join(str(y) for y in sorted(writer.undated_years))
            summary.message = (summary.message + " " if summary.message else "") + (
                f"The collection deadline of {summary.undated:,} record(s) could not be judged, so they are not "
                f"counted late: the working-day calendar has no holiday notice for {years} (add the State "
                "Council's notice to core/data/working_days.csv); a deadline is never guessed from weekends.")
        summary.seconds = round(time.perf_counter() - started, 3)
        finished = _now()
        conn.execute(update(credit_batches).where(credit_batches.c.id == batch_id).values(
            status="committed", rows=summary.rows, created=summary.created, updated=summary.updated,
            unchanged=summary.unchanged, rejected=summary.rejected, warnings=summary.warnings,
            flagged=summary.flagged, late=summary.late, finished_at=finished, seconds=summary.seconds,
            summary=json.dumps(summary.to_dict(), ensure_ascii=False)))
        timeliness.note_last_batch(conn, provider, item.code, batch_id, finished, summary.rows, summary.rejected)
    return summary


def _sheets_note(sheets: Sequence[str], count: int) -> str:
    """What a workbook of ``count`` sheets (``sheets`` the first of them by name) is told: only the first is
    read."""
    sheets = [shown_personal(s) for s in sheets[:6]]
    others = "、".join(f"“{s}”" for s in sheets[1:6]) + (f" … {count - 1:,} in all" if count > 6 else "")
    return (f"Only the workbook's first sheet, “{sheets[0]}”, was read; its other sheets ({others}) were not read: "
            "put the records on the first sheet, or send each sheet as a file of its own.")


def load_own_headers(path: str) -> dict[str, str]:
    """A provider's header mapping from a YAML (or JSON) file: ``their header: field name or column code``. A
    missing file or a folder is refused as the file of records is (``file.not_found``, ``file.is_directory``)."""
    p = Path(path)
    if not p.exists():
        raise files.not_found(path, "the header mapping, a YAML file of `your header: field name or column code`")
    if p.is_dir():
        raise files.InputFileError("file.is_directory", f"{path}: is a folder, expected the header mapping file.")
    try:
        if Path(path).stat().st_size > 1 << 20:
            raise RecordsError("credit.layout", f"{path}: a header mapping is at most 1 MiB.", field="columns")
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordsError("credit.layout", f"{path}: the header mapping cannot be read ({exc}).",
                           field="columns") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RecordsError("credit.layout", f"{path}: not YAML: {str(exc).splitlines()[0]}.", field="columns") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise RecordsError("credit.layout", f"{path}: expected a mapping of your header to a field, one per line "
                           "(处罚文号: 行政处罚决定书文号).", field="columns")
    return dict(data)


def own_headers_of(pairs: Sequence[str]) -> dict[str, str]:
    """A provider's header mapping given as ``its header=field name or column code`` pairs (the API's
    ``columns=``, one a header; a field's name never holds ``=``, so a header may)."""
    own: dict[str, str] = {}
    for pair in pairs:
        mine, sep, target = pair.rpartition("=")
        if not sep or not mine.strip() or not target.strip():
            raise RecordsError("credit.layout", f'columns=: "{shown_personal(pair)}" maps no header to a field; '
                               "expected `your header=field name or column code` (处罚文号=行政处罚决定书文号), one "
                               "header a parameter.", field="columns")
        own[mine.strip()] = target.strip()
    return own


class _Writer:
    """Checks and writes a batch's chunks: look-ups, versions, rejects, in the batch's transaction."""

    def __init__(self, conn: Connection, item: catalogue.Item, provider: str, batch_id: str,
                 now: datetime.datetime, today: datetime.date, protector: persons.Protector | None, *,
                 resend: datetime.datetime | None = None) -> None:
        self.conn, self.item, self.provider, self.batch_id = conn, item, provider, batch_id
        self.now, self.today, self.protector = now, today, protector
        # when the same file came in an earlier batch: its rows are older than a correction made since then
        self.resend = None if resend is None else _utc(resend)
        self.left_corrected = 0  # records corrected since the file's earlier batch, left as corrected
        self.stamp = bulk.stamp(conn, now)
        self.dialect = conn.dialect.name
        self.days = credit_items.collection_days(item)
        self._periods = catalogue_service.in_force_periods(conn)  # when each edition is in force
        self._days_in: dict[int | None, int | None] = {}  # the edition in force on a decision → its limit
        self._undated: set[str | None] = set()  # decision dates whose deadline the calendar cannot give
        # whether the provider had records of the item before this batch: if not, a record can only
        # be found again under another subject when this batch wrote it (the filter says which may)
        self.prior = bool(conn.execute(select(credit_tallies.c.records).where(
            credit_tallies.c.provider == provider, credit_tallies.c.item == item.code)).scalar())
        self.tally = timeliness.Tally()  # what the batch adds to the provider's and item's tally
        published = credit_items.published_definitions(conn, item)
        self.dropped = credit_items.dropped_elements(item, published)  # fields earlier editions had: values kept
        self.longer = kept_lengths.longer_limits(item, published)  # fields earlier editions allowed longer: kept
        self._longer: tuple[layouts.Layout, layouts.Layout] | None = None  # a file's layout, and with those limits
        self.absent: frozenset[str] = frozenset()  # the item's fields the file has no column for: values kept
        self.kept_absent: set[str] = set()  # those of them whose values records this file sent again kept
        self.seen = _Seen()
        self._earlier: set[str] = set()  # the chunk's ids the filter says an earlier chunk may have held
        self._kept = False  # whether ids left unchanged are kept in the batch's temporary table
        self._dues: dict[str | None, tuple[str | None, int]] = {}  # :meth:`_due_of`
        self.undated_years: set[int] = set()  # years of decisions whose deadline the calendar cannot give
        # On PostgreSQL a chunk's rows are copied in while the next chunk is checked (the server's work
        # beside this process's); every other use of the connection waits for that copy first.
        self._pool = ThreadPoolExecutor(1, "credit-copy") if self.dialect == "postgresql" else None
        self._pending: Future[None] | None = None

    def _wait(self) -> None:
        """Wait for the chunk being written (its error raised here)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """The last chunk written; raises what writing it raised."""
        try:
            self._wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
        self._drop_kept()

    def abandon(self) -> None:
        """Wait for the chunk being written, whatever came of it (the batch's transaction is rolled back).
        When the wait itself is interrupted (another Ctrl-C), the connection the thread may still be using
        is thrown away, never given back to the pool with part of a batch in it."""
        try:
            with contextlib.suppress(Exception):  # the error that stops the batch is the caller's to raise
                self.close()
        except BaseException:
            self.conn.invalidate()
            raise

    def _insert(self, new_rows: Sequence[tuple[Any, ...]], rejects: Sequence[dict[str, Any]],
                unchanged: Sequence[str] = (), arrays: Sequence[Any] | None = None) -> None:
        if unchanged:
            self._keep_unchanged(unchanged)
        if new_rows:
            bulk.insert_prepared(self.conn, credit_records.name, bulk.prepare_columns(
                self.dialect, _RECORD_COLUMNS, list(zip(*new_rows, strict=True))))
        if arrays is not None:
            bulk.copy_arrow(self.conn, credit_records.name, _RECORD_COLUMNS, arrays)
        if rejects:
            self.conn.execute(insert(credit_rejects), rejects)

    def chunk(self, layout: layouts.Layout, checked: checking.Checked, summary: Summary) -> None:
        """Write a chunk as checked (services/credit/checking)."""
        self.absent = layout.absent
        chunk, clean, others, clean_ids = checked.chunk, checked.clean, checked.others, checked.ids
        columns = chunk.columns
        block: services_arrow.Block | None = None
        walked = None
        if len(set(clean_ids)) == len(clean_ids) and not any(i in chunk.issues for i in clean.at.tolist()):
            block = services_arrow.Block(clean, clean_ids)  # the rows with nothing to say, written as one
            before = copy.deepcopy(summary)
            walked = self._walk(layout, chunk, summary, clean, clean_ids, others, block)
            if walked is None:  # a row of the block has the document number of another row
                summary.__dict__.update(before.__dict__)
                block = None
        written: records_bulk.Clean | records_arrow.Clean = clean
        if walked is None:
            written = clean.lists()
            walked = self._walk(layout, chunk, summary, written, clean_ids, others, None)
        assert walked is not None, "a chunk walked whole names no record of a block"
        accepted, held, rejects = walked
        first = chunk.first_row
        new_rows, unchanged, arrays = self._write(
            accepted, written, summary, rejects, lambda row: _shown_cells(layout, [c[row - first] for c in columns]),
            held, block)
        if self._pool is None:
            self._insert(new_rows, rejects, unchanged, arrays)
        else:
            self._pending = self._pool.submit(self._insert, new_rows, rejects, unchanged, arrays)

    def _walk(self, layout: layouts.Layout, chunk: tables.Chunk, summary: Summary,
              clean: records_bulk.Clean | records_arrow.Clean, clean_ids: Sequence[str],
              others: Mapping[int, rules.Checked], block: services_arrow.Block | None,
              ) -> tuple[dict[str, _Accepted], dict[str, _Held], list[dict[str, Any]]] | None:
        """A chunk's rows a row at a time — every row, or with a ``block`` only those that have something to
        say (the block's are counted here and written by :meth:`_write`): the rows accepted, those held
        (:meth:`_judge_kept`) and the rejects; ``None`` when a row names a record of the block (the chunk is
        then walked whole, without one)."""
        accepted: dict[str, _Accepted] = {}  # id → the row accepted
        held: dict[str, _Held] = {}  # id → a row accepted only if its record holds its long values (_judge_kept)
        rejects: list[dict[str, Any]] = []
        columns = chunk.columns

        def reject(row: int, cells: Sequence[str], problems: Sequence[Problem]) -> None:
            summary.rejected += 1
            for p in problems:
                summary.note(p)
            rejects.append({"batch_id": self.batch_id, "row": row,
                            "problems": json.dumps([p.to_dict() for p in problems], ensure_ascii=False),
                            "data": json.dumps(_shown_cells(layout, cells), ensure_ascii=False)})

        def duplicate(row: int, i: int, number: str, rid: str) -> None:
            reject(row, [c[i] for c in columns], [Problem(
                row, "", "credit.duplicate", f"Document number {number} is in row {accepted[rid][4]} of "
                "this file already; a record is submitted once per file (send a correction in a later file).",
                number[:60])])

        if block is not None:
            summary.rows += len(block.ids)
            order: Iterator[int] | range = iter(sorted(others))
        else:
            order = range(chunk.size)
            assert isinstance(clean, records_bulk.Clean)
        k = 0  # the next row of the clean columns (they are in the chunk's order)
        for i in order:
            row = chunk.first_row + i
            issue = chunk.issues.get(i)
            checked = others.get(i)
            if checked is None:  # a row with nothing to say: its subject key is its code
                if issue is None:
                    summary.rows += 1
                    rid = clean_ids[k]
                    if rid in accepted:
                        duplicate(row, i, clean.keys[k], rid)
                    else:
                        accepted[rid] = (None, clean.codes[k], [], k, row)
                    k += 1
                    continue
                checked = rules.Checked(row, clean.record(k), ())  # (a row that was not read has no cells)
                k += 1
            record = checked.record
            if issue is None and record is None and not any(c[i].strip() for c in columns):
                summary.blank += 1
                continue
            summary.rows += 1
            if issue is not None:
                code, message, value = issue  # a raw line: any identity number in it masked
                reject(row, [], [Problem(row, "", code, shown_personal(message), shown(value))])
                continue
            kept: tuple[kept_lengths.Kept, ...] = ()
            if record is None:
                cells = [c[i] for c in columns]
                again = self._check_kept(layout, checked, cells) if self.longer else None
                if again is None:
                    reject(row, cells, checked.problems)
                    continue
                refused, (checked, kept) = checked.problems, again
                record = checked.record
                assert record is not None
            key = self._subject_key(record)
            if key is None:  # the platform's configuration, not the row: the batch is refused whole
                raise persons.PersonalDataError(
                    "credit.no_secret", f"Row {row} is a natural person's record, kept only with the identity number "
                    "sealed, and the platform has no operator secret (JJJCREDIT_SIGNING_KEY_SECRET or "
                    "JJJCREDIT_SIGNING_KEY_FILE) to seal it with: nothing of this file was recorded. The operator "
                    "sets one; then send the file again.")
            rid = record_id(self.item.code, self.provider, record.key)
            if block is not None and rid in block.id_set:
                return None
            if rid in accepted:
                duplicate(row, i, record.key, rid)
                continue
            accepted[rid] = (record, key, list(checked.problems), -1, row)
            if kept:
                held[rid] = (kept, refused, functools.partial(reject, row, cells))
        return accepted, held, rejects

    # A document number that comes twice in a file is refused the second time. A row that created or
    # updated its record leaves the batch's id on it; one that found its record unchanged leaves nothing,
    # so its id is kept in a temporary table of the batch's transaction (dropped with it), looked up only
    # for an id the filter says an earlier chunk may have held — the same file again changes nothing.

    def _keep_unchanged(self, ids: Sequence[str]) -> None:
        if not self._kept:
            if self.dialect == "postgresql":
                self.conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS credit_batch_unchanged "
                                          "(id varchar(32) PRIMARY KEY) ON COMMIT DROP")
            else:
                self.conn.exec_driver_sql("CREATE TEMPORARY TABLE IF NOT EXISTS credit_batch_unchanged "
                                          "(id TEXT PRIMARY KEY)")
            self.conn.exec_driver_sql("DELETE FROM credit_batch_unchanged")
            self._kept = True
        bulk.insert_prepared(self.conn, "credit_batch_unchanged",
                             bulk.prepare_columns(self.dialect, ("id",), [list(ids)]))

    def _left_unchanged(self, ids: Sequence[str]) -> set[str]:
        """Which of these ids an earlier chunk of the batch found unchanged."""
        if not self._kept or not ids:
            return set()
        found: set[str] = set()
        for start in range(0, len(ids), _LOOKUP):
            part = list(ids[start:start + _LOOKUP])
            if self.dialect == "postgresql":
                rows = self.conn.exec_driver_sql("SELECT id FROM credit_batch_unchanged WHERE id = ANY(%s)",
                                                 (bulk.array_text(part),))
            else:
                rows = self.conn.exec_driver_sql(
                    f"SELECT id FROM credit_batch_unchanged WHERE id IN ({', '.join('?' * len(part))})", tuple(part))
            found.update(r[0] for r in rows)
        return found

    def _drop_kept(self) -> None:
        if self._kept and self.dialect != "postgresql":  # (PostgreSQL drops it at commit)
            self.conn.exec_driver_sql("DROP TABLE temp.credit_batch_unchanged")
        self._kept = False

    def _existing(self, accepted: Mapping[str, _Accepted],
                  block: services_arrow.Block | None = None) -> dict[str, dict[str, Any]]:
        """The current rows of the chunk's records. When the provider had no records of the item before
        this batch, only ids this batch may have written (the filter says which) can exist, and only
        those are looked up: a first load looks nothing up. Otherwise, on PostgreSQL, by (subject key,
        id), which the partitions prune to one index probe a record, and only a record that may have been
        filed under another subject is then looked up by id alone, in every partition (to be refused:
        ``credit.other_subject``); SQLite has one index by id."""
        ids = list(accepted)
        keys = [accepted[i][1] for i in ids]
        if block is not None:  # (the block's subject key is its code)
            ids += block.ids
            keys += block.codes
        seen = self.seen
        maybe = seen.held_then_add(ids)
        self._earlier = set(maybe)
        if not self.prior:
            return _existing(self.conn, maybe) if maybe else {}
        if self.dialect != "postgresql":
            return _existing(self.conn, ids)
        found = _existing_pairs(self.conn, list(zip(keys, ids, strict=True)))
        rest = [i for i in ids if i not in found]
        if rest:
            found.update(_existing(self.conn, rest))
        return found

    def _due_of(self, decided: str | None) -> tuple[str | None, int]:
        """A new record's collection deadline (ISO) and whether it is late, from its ISO decision date."""
        found = self._dues.get(decided)
        if found is None:
            day = None if decided is None else datetime.date.fromisoformat(decided)
            days = self._days(day)
            found = self._dues[decided] = credit_items.collection_deadline(days, day, self.today)
            if found[0] is None and days is not None and day is not None and not found[1]:
                known = working_days.default().years  # (the deadline runs into a year without its notice)
                self.undated_years.update(y for y in (day.year, day.year + 1) if y not in known)
                self._undated.add(decided)
        return found

    def _days(self, decided: datetime.date | None) -> int | None:
        """The collection time limit a decision of ``decided`` is judged by
        (:func:`credit_items.collection_days_on`)."""
        if decided is None:
            return self.days
        year = catalogue.in_force_on(self._periods, decided)
        if year not in self._days_in:
            self._days_in[year] = credit_items.collection_days_on(self.conn, self.item, decided, self._periods)
        return self._days_in[year]

    def undated(self, decided: str | None) -> bool:
        """Whether a record decided on ``decided`` has a deadline the calendar cannot give and is not late
        whatever it is (:meth:`_due_of` said so)."""
        return decided in self._undated

    def _subject_key(self, record: rules.Record) -> str | None:
        if record.subject_code is not None and record.subject_type != "natural_person":
            return record.subject_code
        if self.protector is None or record.identity_number is None:
            return None
        return self.protector.subject_key(record.identity_number)

    def _sealed(self, record: rules.Record) -> str | None:
        if not record.personal:
            return None
        if self.protector is None:
            raise persons.PersonalDataError("credit.no_secret", "No personal data key to seal identity numbers with.")
        return json.dumps({k: self.protector.seal(k, v) for k, v in sorted(record.personal.items())})

    def _check_kept(self, layout: layouts.Layout, checked: rules.Checked,
                    cells: Sequence[str]) -> tuple[rules.Checked, tuple[kept_lengths.Kept, ...]] | None:
        """A row refused for lengths alone, checked again by the longer limits of earlier editions
        (kept_lengths.check_kept): accepted once its record is found holding those values (:meth:`_judge_kept`)."""
        if self._longer is None or self._longer[0] is not layout:
            self._longer = (layout, kept_lengths.with_limits(layout, self.longer))
        return kept_lengths.check_kept(layout, self._longer[1], checked, cells, self.today)

    def _judge_kept(self, held: Mapping[str, _Held], accepted: dict[str, _Accepted],
                    existing: Mapping[str, Mapping[str, Any]]) -> None:
        """The rows whose values are longer than the edition in force allows, now that their records are
        looked up: a record that holds those very values (kept under an earlier edition's longer limit)
        keeps them, the row going on with a warning a value (``credit.length_kept``); any other row — a new
        record, or one that changes a long value — leaves ``accepted``, refused for the lengths check_row
        refused it for."""
        stored = _stored_values(self.conn, [rid for rid in held if rid in existing])
        for rid, (kept, problems, refuse) in held.items():
            record, _key, warnings, _k, row = accepted[rid]
            assert record is not None
            values = stored.get(rid)
            changed = {k.header for k in kept
                       if values is None or record.values.get(k.element) != values.get(k.element)}
            if not changed:
                warnings.extend(k.warning(row, record.values[k.element]) for k in kept)
                continue
            del accepted[rid]
            if values is not None:  # the record's own long values are no reason: the changed ones are
                said = {k.header: k for k in kept if k.header in changed}
                problems = tuple(said[p.field].refused(p) if p.field in said else p for p in problems
                                 if p.code != "record.length" or p.field in said)
            refuse(problems)

    def _write(self, accepted: dict[str, _Accepted], clean: records_bulk.Clean | records_arrow.Clean,
               summary: Summary, reject_later: list[dict[str, Any]],
               shown_row: Callable[[int], dict[str, str]],
               held: Mapping[str, _Held] | None = None, block: services_arrow.Block | None = None,
               ) -> tuple[list[tuple[Any, ...]], list[str], list[Any] | None]:
        """The chunk's look-ups and replaced versions; returns its rows to insert, the ids it found
        unchanged, and the block's new records as arrays (:meth:`_insert`). A new record of a row of the
        ``clean`` columns is written from them — those of a ``block`` (:meth:`_walk`) all at once —; every
        other row as its record; a row of ``held`` only as :meth:`_judge_kept` says. ``shown_row``: a row's
        cells as a reject keeps them (:func:`_shown_cells`: by the file's headers, as sent)."""
        self._wait()
        existing = self._existing(accepted, block)
        if block is not None and existing:  # a record of the block held already: written a row at a time
            for k, rid in enumerate(block.ids):
                if rid in existing:
                    block.held[k] = True
                    accepted[rid] = (None, block.codes[k], [], k, block.clean.first_row + int(block.clean.at[k]))
        if held:
            self._judge_kept(held, accepted, existing)
        repeated = self._left_unchanged([i for i in self._earlier if (before := existing.get(i)) is not None
                                         and before["batch_id"] != self.batch_id])
        unchanged: list[str] = []
        codes = {r.subject_code for r, _k, _w, _c, _row in accepted.values()
                 if r is not None and r.subject_code and r.subject_type != "natural_person"}
        codes.update(clean.codes.unique().to_pylist() if isinstance(clean, records_arrow.Clean) else clean.codes)
        known = _known_organizations(self.conn, codes)
        item, provider, batch, stamp = self.item.code, self.provider, self.batch_id, self.stamp
        tally = self.tally
        due_of = self._due_of
        new_rows: list[tuple[Any, ...]] = []  # in the order of _RECORD_COLUMNS
        replaced: list[tuple[str, str, str]] = []  # (new subject key, old subject key, id): kept as versions

        def refuse(record: rules.Record, code: str, message: str) -> None:
            """A row that passed its checks but not what is recorded (a duplicate, a revoked record)."""
            problem = Problem(record.row, "", code, message, shown_personal(record.key[:60]))
            summary.rejected += 1
            summary.note(problem)
            reject_later.append({"batch_id": self.batch_id, "row": record.row,
                                 "problems": json.dumps([problem.to_dict()], ensure_ascii=False),
                                 "data": json.dumps(shown_row(record.row), ensure_ascii=False)})

        absent = self.absent
        stored = _stored_values(self.conn, [i for i in accepted if i in existing]) if self.dropped or absent else {}
        for rid, (record, key, warnings, k, row) in accepted.items():
            before = existing.get(rid)
            if record is None:
                if before is None:  # a new record of a row with nothing to say, as the general path below writes it
                    text, severity, code = clean.texts[k], clean.severities[k], clean.codes[k]
                    unknown = 0 if code in known else 1  # (never an identity number: records_bulk._codes)
                    if unknown:
                        if summary.shows_more(row):
                            summary.note(services_arrow.unknown_organization(row, code))
                        else:
                            summary.count("credit.unknown_organization")
                        summary.warnings += 1
                        summary.flagged += 1
                    deadline, late = due_of(clean.decided[k])
                    if deadline is None and self.undated(clean.decided[k]):
                        summary.undated += 1
                    if late:
                        summary.late += 1
                        tally.add_late(clean.keys[k])
                    summary.created += 1
                    new_rows.append((key, rid, item, provider, clean.keys[k], clean.subject_types[k], clean.names[k],
                                     code, "in_force", 1, severity, clean.decided[k], clean.until[k], deadline, late,
                                     unknown, text, None, rules.fingerprint_of(text, severity), batch, stamp, stamp,
                                     None, None, "created"))
                    continue
                record = clean.record(k)
            if before is not None and (before["batch_id"] == self.batch_id or rid in repeated):
                refuse(record, "credit.duplicate", f"Document number {record.key[:60]} is in an earlier row of this "
                       "file already; a record is submitted once per file.")
                continue
            kept_absent: list[str] = []
            if rid in stored:  # values of fields the layout dropped since, or the file has no column for: kept
                record = with_dropped(record, stored[rid], self.item, {}, absent)
                kept_absent = [c for c in absent if c in stored[rid]]
            values = record.values_text()
            fingerprint = record.fingerprint(values)
            if before is not None and (before["fingerprint"] != fingerprint or before["subject_key"] != key):
                if (self.resend is not None and before["action"] == "corrected"  # the file is older than the
                        and _utc(before["updated_at"]) > self.resend):  # correction
                    self.left_corrected += 1
                    summary.unchanged += 1
                    summary.warnings += 1
                    summary.note(_corrected_since(record))
                    unchanged.append(rid)
                    continue
                if before["subject_key"] != key:  # never told whose it is: the row's own number only
                    refuse(record, "credit.other_subject", _other_subject(record.key))
                    continue
            if before is not None and before["status"] == "revoked":
                refuse(record, "credit.revoked", f"Document number {record.key[:60]} was revoked; a revoked "
                       "decision does not come back (a new decision has a new document number).")
                continue
            unknown = 0
            if record.subject_type != "natural_person" and record.subject_code and record.subject_code not in known:
                if is_identity_number(record.subject_code):
                    refuse(record, "credit.code_is_identity", _code_is_identity(record.subject_code))
                    continue
                unknown = 1
                if summary.shows_more(record.row):
                    warnings.append(services_arrow.unknown_organization(record.row, record.subject_code))
                else:
                    summary.count("credit.unknown_organization")
            for w in warnings:
                summary.note(w)
            if warnings or unknown:
                summary.warnings += 1
            summary.flagged += unknown
            self.kept_absent.update(kept_absent)
            if before is not None and before["fingerprint"] == fingerprint:
                summary.unchanged += 1
                unchanged.append(rid)
                continue
            decided = record.decided_on.isoformat() if record.decided_on else None
            if before is None:
                due, late = due_of(decided)
                summary.undated += due is None and self.undated(decided)
            elif decided == before["decided_on"]:
                due, late = before["due_on"], int(before["late"])
            else:  # a decision date changed: judged again from the day the record first came; once late, late
                due, came_late = credit_items.collection_deadline(
                    self._days(record.decided_on), record.decided_on,
                    min(credit_items.arrival_day(before["created_at"]), self.today))
                late = int(before["late"]) | came_late
            version = 1 if before is None else before["version"] + 1
            if before is None:
                summary.created += 1
            else:
                summary.updated += 1
                replaced.append((key, before["subject_key"], rid))
            if late and not (before is not None and before["late"]):
                summary.late += 1
                tally.add_late(record.key)
            new_rows.append((
                key, rid, self.item.code, self.provider, record.key, record.subject_type, record.subject_name,
                record.subject_code, "in_force", version, record.severity,
                record.decided_on.isoformat() if record.decided_on else None,
                record.valid_until.isoformat() if record.valid_until else None,
                due, late, unknown, values, self._sealed(record), fingerprint,
                self.batch_id, before["created_at"] if before is not None else self.stamp, self.stamp, None, None,
                "created" if before is None else "updated"))
        keep_as_versions(self.conn, replaced)
        _delete(self.conn, [(old, rid) for _new, old, rid in replaced])
        arrays = None if block is None else services_arrow.new_records(
            block, known, summary, self.tally, self._due_of, self.undated,
            (self.item.code, self.provider, self.batch_id, self.stamp))
        return new_rows, unchanged, arrays


def _utc(moment: datetime.datetime | str) -> datetime.datetime:
    """A time as stored (SQLite's text, naive UTC) or read (an aware datetime), as an aware UTC datetime."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return moment.replace(tzinfo=datetime.UTC) if moment.tzinfo is None else moment.astimezone(datetime.UTC)


def _other_subject(number: str) -> str:
    return (f"The record with document number {shown_personal(number[:60])} is recorded for another subject (this "
            "provider's, under this item): a file does not move a record to another subject, and this row was not "
            "recorded. If the record's subject is wrong, it is corrected with `jjjcredit credit correct` (by the "
            "platform's staff, stating the reason); a new decision needs its own document number.")


def _corrected_since(record: rules.Record) -> Problem:
    return Problem(record.row, "", "credit.corrected_since", f"Document number {shown_personal(record.key[:60])} "
                   "names a record corrected since this file was last ingested: left as the correction made it, not "
                   "set back to the file's older values.", shown_personal(record.key[:60]), Severity.WARNING)


def _code_is_identity(code: str) -> str:
    return (f"{shown_personal(code)} is a resident identity number, not an organization's code (it is not in the "
            "basic resource library): a natural person's record gives the number as 证件号码 with 行政相对人类别 "
            "自然人, and is never published. If the code is an organization's, register it in the library first.")


def _shown_cells(layout: layouts.Layout, cells: Sequence[str]) -> dict[str, str]:
    """A rejected row's values by header, personal numbers masked, long values cut."""
    shown: dict[str, str] = {}
    for b in layout.bound:
        value = cells[b.index].strip() if b.index < len(cells) else ""
        if value:
            value = shown_personal(rules.shown_value(b.field.element, value))
            shown[shown_personal(b.header)] = value if len(value) <= 500 else value[:500] + "…"
    return shown


_EXISTING = ("SELECT id, subject_key, version, fingerprint, status, batch_id, late, created_at, decided_on, due_on, "
             "action, updated_at FROM credit_records WHERE id")


class _Seen:
    """The record ids a batch has written, as a Bloom filter of fixed size (16 MiB, four bits an id; about
    0.4 % false positives at 10,000,000 ids): memory stays flat, and a false positive costs one look-up.
    Ids come a chunk at a time (numpy: no Python step an id)."""

    BITS = 1 << 27

    def __init__(self) -> None:
        self.bits = np.zeros(self.BITS >> 3, dtype=np.uint8)

    def _positions(self, record_ids: Sequence[str]) -> list[npt.NDArray[np.uint64]]:
        """Four 27-bit slices of each id (the id is a hash already: 32 hex digits, 128 bits)."""
        words = np.frombuffer(bytes.fromhex("".join(record_ids)), dtype=">u8").astype(np.uint64).reshape(-1, 2)
        high, low, mask = words[:, 0], words[:, 1], np.uint64(self.BITS - 1)
        return [low & mask, (low >> np.uint64(27)) & mask, ((low >> np.uint64(54)) | (high << np.uint64(10))) & mask,
                (high >> np.uint64(17)) & mask]

    def held_then_add(self, record_ids: Sequence[str]) -> list[str]:
        """The ids the filter may hold already; then all of them are added."""
        if not record_ids:
            return []
        positions = self._positions(record_ids)
        held = np.ones(len(record_ids), dtype=bool)
        for bit in positions:
            held &= (self.bits[bit >> np.uint64(3)] & (np.uint8(1) << (bit & np.uint64(7)).astype(np.uint8))) != 0
        for bit in positions:
            np.bitwise_or.at(self.bits, bit >> np.uint64(3), np.uint8(1) << (bit & np.uint64(7)).astype(np.uint8))
        return [i for i, h in zip(record_ids, held.tolist(), strict=True) if h]


_PAIRS = ("SELECT r.id, r.subject_key, r.version, r.fingerprint, r.status, r.batch_id, r.late, r.created_at, "
          "r.decided_on, r.due_on, r.action, r.updated_at "
          "FROM unnest(%s::varchar[], %s::varchar[]) AS k(subject_key, id) "
          "JOIN credit_records r ON r.subject_key = k.subject_key AND r.id = k.id")


def _existing_pairs(conn: Connection, pairs: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The current rows of (subject key, record id) pairs (PostgreSQL: each pair pruned to its partition)."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(pairs), _LOOKUP):
        part = pairs[start:start + _LOOKUP]
        rows = conn.exec_driver_sql(_PAIRS, ([k for k, _ in part], [i for _, i in part])).all()
        _found_rows(conn, rows, found)
    return found


def _found_rows(conn: Connection, rows: Sequence[Any], found: dict[str, dict[str, Any]]) -> None:
    names = ("id", "subject_key", "version", "fingerprint", "status", "batch_id", "late", "created_at", "decided_on",
             "due_on", "action", "updated_at")
    for row in rows:
        record = dict(zip(names, row, strict=True))
        if isinstance(record["created_at"], datetime.datetime):  # written again with the new version
            record["created_at"] = bulk.stamp(conn, record["created_at"])
        found[record["id"]] = record


def _existing(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The current rows of these record ids. On PostgreSQL one array parameter (``= ANY``): a list of
    thousands of parameters costs more to plan over the partitions than to run."""
    found: dict[str, dict[str, Any]] = {}
    postgres = conn.dialect.name == "postgresql"
    for start in range(0, len(ids), _LOOKUP):
        part = list(ids[start:start + _LOOKUP])
        if postgres:
            rows = conn.exec_driver_sql(_EXISTING + " = ANY(%s)", (bulk.array_text(part),)).all()
        else:
            rows = conn.exec_driver_sql(_EXISTING + f" IN ({', '.join('?' * len(part))})", tuple(part)).all()
        _found_rows(conn, rows, found)
    return found


def _stored_values(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """The values as stored of these records, by id."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), _LOOKUP):
        part = list(ids[start:start + _LOOKUP])
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("SELECT id, data FROM credit_records WHERE id = ANY(%s)",
                                        (bulk.array_text(part),))
        else:
            marks = ", ".join("?" * len(part))
            rows = conn.exec_driver_sql(f"SELECT id, data FROM credit_records WHERE id IN ({marks})", tuple(part))
        found.update((r[0], json.loads(r[1])) for r in rows)
    return found


def _known_organizations(conn: Connection, codes: set[str]) -> set[str]:
    """Which of these codes the library holds (one array parameter on PostgreSQL, as :func:`_existing`)."""
    known: set[str] = set()
    listed = sorted(codes)
    postgres = conn.dialect.name == "postgresql"
    for start in range(0, len(listed), _LOOKUP):
        part = listed[start:start + _LOOKUP]
        if postgres:
            rows = conn.exec_driver_sql("SELECT uscc FROM organizations WHERE uscc = ANY(%s)", (bulk.array_text(part),))
        else:
            rows = conn.execute(select(organizations.c.uscc).where(organizations.c.uscc.in_(part)))
        known.update(r[0] for r in rows)
    return known


def keep_as_versions(conn: Connection, replaced: Sequence[tuple[str, str, str]]) -> None:
    """Before current rows are replaced — (new subject key, old subject key, record id) — keep each as
    a version, under the record's new subject key with its earlier versions (a correction of the
    subject takes the record's history along)."""
    moved = [r for r in replaced if r[0] != r[1]]
    bulk.execute_tuples(conn, "UPDATE credit_record_versions SET subject_key = {mark} "
                        "WHERE subject_key = {mark} AND record_id = {mark}", ("new", "old", "id"), moved)
    bulk.execute_tuples(conn, "INSERT INTO credit_record_versions (subject_key, record_id, version, action, status, "
                        "batch_id, at, data, sealed, fingerprint, reason) SELECT {mark}, id, version, action, status, "
                        # a correction or revocation came in no batch (the row keeps the last file's: see below)
                        "CASE WHEN action IN ('created', 'updated') THEN batch_id END, updated_at, data, sealed, "
                        "fingerprint, reason FROM credit_records "
                        "WHERE subject_key = {mark} AND id = {mark}", ("new", "old", "id"), replaced)


def _delete(conn: Connection, keys: Sequence[tuple[str, str]]) -> None:
    """Remove the current rows that new versions replace (their versions stay), in one statement run per row."""
    bulk.execute_tuples(conn, "DELETE FROM credit_records WHERE subject_key = {mark} AND id = {mark}",
                        ("subject_key", "id"), keys)


def with_dropped(record: rules.Record, stored: Mapping[str, str], item: catalogue.Item,
                 personal: Mapping[str, str], absent: Collection[str] = ()) -> rules.Record:
    """``record`` with the stored values of fields its item's layout no longer has (a later edition dropped
    them): they cannot be sent again, and a new version keeps them as they were rather than lose them; and
    of the ``absent`` fields, those the file has no column for (:attr:`layouts.Layout.absent`)."""
    fields = {f.element for f in item.fields}
    kept = {k: v for k, v in stored.items()
            if (k not in fields or k in absent) and k not in personal and k not in record.values}
    return dataclasses.replace(record, values={**record.values, **kept}, text=None) if kept else record


# --- reading -----------------------------------------------------------------------------------------

def subject_key_of(code: str, protector: persons.Protector | None) -> str:
    """The key records of a subject are kept under: a unified social credit code as it is, an identity
    number through the keyed hash (``credit.no_secret`` without the personal data key)."""
    text = code.strip()
    if text[:2].upper() == persons.PERSON_PREFIX:  # a subject key as a record showed it (any case)
        return persons.PERSON_PREFIX + text[2:].lower()
    compact = uscc.compact(code)
    if uscc.is_valid(compact) or not ric.is_valid(compact):  # a code (or nothing a person could have)
        return compact
    if protector is None:
        raise persons.PersonalDataError("credit.no_secret", "Natural persons' records are found through the personal "
                                        "data key, and the platform has no operator secret.")
    return protector.subject_key(compact)


def subject_records(conn: Connection, subject_key: str) -> list[dict[str, Any]]:
    """Every record of a subject with its versions (newest first), as stored: personal numbers masked in
    ``values``, sealed in ``sealed``. Not for adapters: services/sharing/disclosure.py reads through this."""
    rows = conn.execute(select(credit_records).where(credit_records.c.subject_key == subject_key)).mappings().all()
    history: dict[str, list[dict[str, Any]]] = {}
    if any(r["version"] > 1 for r in rows):
        v = credit_record_versions.c
        for h in conn.execute(select(v.record_id, v.version, v.action, v.status, v.batch_id, v.at, v.data, v.sealed,
                                     v.reason).where(v.subject_key == subject_key)
                              .order_by(v.record_id, v.version.desc())).mappings():
            history.setdefault(h["record_id"], []).append(dict(h))
    out = []
    for r in rows:
        record = dict(r)
        current = {"record_id": r["id"], "version": r["version"], "action": r["action"], "status": r["status"],
                   # a correction or revocation keeps the row's batch (the last file that wrote it) but came in none
                   "batch_id": r["batch_id"] if r["action"] in ("created", "updated") else None,
                   "at": r["updated_at"], "data": r["data"], "sealed": r["sealed"], "reason": r["reason"]}
        record["history"] = [current, *history.get(r["id"], [])]
        out.append(record)
    out.sort(key=lambda r: (r["item"], r["decided_on"] or ""))  # the redaction point orders each item's records
    return out


def batch_item(conn: Connection, batch_id: str, *, client: str | None = None) -> str:
    """The catalogue item a batch was sent under; ``credit.no_batch`` for an id no batch has — or, with
    ``client`` (a client's id), none that client sent (another client's batch, one of a revoked client whose
    name an earlier version gave a new client, is not told apart from none)."""
    query = select(credit_batches.c.item).where(credit_batches.c.id == batch_id)
    if client is not None:
        query = query.where(credit_batches.c.client == client)
    item = conn.execute(query).scalar()
    if item is None:
        raise RecordsError("credit.no_batch", f'No credit batch has the id "{shown_personal(batch_id[:80])}": give '
                           "the batch id an ingest printed (its summary's batch).", field="batch")
    return str(item)


def batch_rejects(conn: Connection, batch_id: str, *, after_row: int = 0,
                  limit: int | None = None) -> Iterator[dict[str, Any]]:
    """A batch's rejected rows in row order (problems and values, personal numbers masked), from the row
    after ``after_row``, at most ``limit``; ``credit.no_batch`` for an id no batch has."""
    batch_item(conn, batch_id)
    rows = conn.execute(select(credit_rejects).where(credit_rejects.c.batch_id == batch_id,
                                                     credit_rejects.c.row > after_row)
                        .order_by(credit_rejects.c.row).limit(limit))
    for r in rows:
        yield {"row": r.row, "problems": json.loads(r.problems), "values": json.loads(r.data)}
