"""A batch's writer: each checked chunk of a credit batch looked up against the records held (by id, in one
query a chunk), judged (created, updated, unchanged, a duplicate in the file, a record revoked or corrected
since, values kept over today's limits), and written through the driver's bulk paths (COPY on PostgreSQL) in
the batch's transaction: the current versions in ``credit_records``, the versions they replaced in
``credit_record_versions``, the rejected rows in ``credit_rejects``. services/credit/records.ingest_file reads
the file and hands the chunks over; services/credit/corrections.py keeps versions the same way.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import functools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, insert, select

from jjjcredit.core.codes.personal import is_identity_number, shown_personal
from jjjcredit.core.credit import catalogue, kept_lengths, layouts, persons, records_arrow, records_bulk, working_days
from jjjcredit.core.credit import records as rules
from jjjcredit.core.errors import Severity
from jjjcredit.core.library.records import Problem, shown
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.credit import checking, timeliness
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import records_arrow as services_arrow
from jjjcredit.services.tabular import tables
from jjjcredit.storage import bulk
from jjjcredit.storage.schema import (
    credit_records,
    credit_rejects,
    credit_tallies,
    organizations,
)

if TYPE_CHECKING:
    from jjjcredit.services.credit.records import Summary

_LOOKUP = 2000  #: ids per look-up query
_RECORD_COLUMNS = tuple(c.name for c in credit_records.columns)

#: An accepted row of a chunk: its record (``None`` for a row of the chunk's ``Clean`` columns, which is
#: made a record only when one is needed), subject key, warnings, place in those columns, row.
_Accepted = tuple[rules.Record | None, str, list[Problem], int, int]
#: A row accepted only if its record holds its values over the limits in force: those values, the problems
#: it was refused with, and how to refuse it with them (:meth:`Writer._judge_kept`).
_Held = tuple[tuple[kept_lengths.Kept, ...], tuple[Problem, ...], Callable[[Sequence[Problem]], None]]


class Writer:
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
            rid = rules.record_id(self.item.code, self.provider, record.key)
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
