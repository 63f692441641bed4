"""Credit records: ingest (a file or an API body under one catalogue item, from one provider), the
versions of each record, and a subject's records with their history. A correction or revocation of a
record is in services/credit/corrections.py, which catalogue item applies in services/credit/items.py,
the tallies and the timeliness of providers in services/credit/timeliness.py.

A record's identity is item + provider + document number (``id`` = a hash of the three): a
resubmission with other values is a new version, the same values change nothing, and every version
is kept. Ingest streams: the file is read in chunks (services/tabular/readers.py), each chunk checked
(services/credit/checking.py), its existing records looked up in one query and its writes made through
the driver's bulk paths (COPY on PostgreSQL) by services/credit/writing.py — memory holds one chunk.
One batch is one transaction, under a lock per provider and item (:func:`providers.take_lock`); the
current version of a record is kept once, in ``credit_records``, and the versions it replaced in
``credit_record_versions``; the same file from the same provider for the same item again changes nothing
and says so. Whoever writes
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
import datetime
import functools
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine, insert, select, update

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import columns as national
from jjjcredit.core.credit import layouts, persons, working_days
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.library.records import Problem
from jjjcredit.core.limits import DEFAULT as DEFAULT_LIMITS
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.credit import checking, providers, timeliness, writing
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.tabular import files, readers, tables
from jjjcredit.storage.schema import (
    credit_batches,
    credit_record_versions,
    credit_records,
    credit_rejects,
)

#: Problems a summary lists (all are stored: ``credit rejects BATCH``).
SHOWN_PROBLEMS = 200



def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)





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
        providers.check_known(conn, provider)
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
        names = functools.partial(layouts.names_in, item, own=own_headers, name=name)
        with readers.open_table(path, chunk_rows, limits, more, none_ok=True, arrow=True,
                                header_names=names) as table:
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
            writer = writing.Writer(conn, item, provider, batch_id, now, today, protector,
                             resend=earlier.finished_at if earlier is not None else None)
            dropped = [h for h in layout.ignored  # columns of fields an earlier edition had: said, not kept
                       if (c := national.by_header(h)) is not None and c.code in writer.dropped]
            unread = [h for h in layout.ignored if h.strip() and h not in dropped]  # none of the item's fields
            source = checking.Source(path, chunk_rows, limits, more, names, layout, today, item.code, provider)
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


def subject_records(conn: Connection, subject_key: str, *, versions: bool = True) -> list[dict[str, Any]]:
    """Every record of a subject with its versions (``history``, newest first), as stored: personal numbers masked in
    ``values``, sealed in ``sealed``; without ``versions``, ``history`` holds the current version alone
    (:func:`versions_of` reads the others of the records that need them). Ordered by item, then decided on. Not
    for adapters: services/sharing/disclosure.py reads through this."""
    rows = conn.execute(select(credit_records).where(credit_records.c.subject_key == subject_key)
                        .order_by(credit_records.c.id)).mappings().all()  # (ties ordered alike on every page)
    history = versions_of(conn, subject_key, [r["id"] for r in rows if r["version"] > 1]) if versions else {}
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


def versions_of(conn: Connection, subject_key: str, record_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """The earlier versions (newest first) of a subject's records ``record_ids``, by record id."""
    history: dict[str, list[dict[str, Any]]] = {}
    if not record_ids:
        return history
    v = credit_record_versions.c
    query = select(v.record_id, v.version, v.action, v.status, v.batch_id, v.at, v.data, v.sealed, v.reason) \
        .where(v.subject_key == subject_key).order_by(v.record_id, v.version.desc())
    wanted = set(record_ids)
    if len(wanted) <= 500:  # a page's: looked up by id; a subject's whole history: read whole
        query = query.where(v.record_id.in_(sorted(wanted)))
    for h in conn.execute(query).mappings():
        if h["record_id"] in wanted:
            history.setdefault(h["record_id"], []).append(dict(h))
    return history


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
