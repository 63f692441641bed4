"""What an import writes, inside the import's one transaction: organizations into the library (with the
change feed and history, as a batch whose source is ``exchange/<node>``), credit record versions into
``credit_records`` and ``credit_record_versions``.

The producing node decided which value is current (its providers' conflicts are its own): an
organization takes the package's values for every column the package has — an element the audience may
not see is not a column, and is left as this node holds it. A credit record version this node holds
already is left alone; a newer one becomes the current row and the one it replaces is kept as a version;
an older one is kept as a version; a withdrawal (a public delta's row without values) gives the record held
here its new status and version, and is nothing for a record not held. Natural persons arrive under the
producer's subject key, with no sealed number (core/exchange/packages.PERSONAL).

Every version is first checked to be the record its id names: the id is the hash of its item, provider and
document number (core/credit/records.record_id; ``exchange.record_id``), and a record held here is under
the item, provider and document number the version names (``exchange.record_moved``: a record never changes
them). A version that is not is **refused** with every version of its record in the package, each listed with
why; the record held here stays as it is.

A record new to this node is judged by this node's catalogue in force, as its ingest judges a new record
(services/credit/items.item_in_force): under an item the catalogue withdrew in an edition in force when the
producer received the record, or under one no edition here has had, it is **refused** (``credit.withdrawn_item``,
``credit.unknown_item``) — each of its versions counted ``refused`` and listed with why; the package's other
records are applied. Every version a new record comes with is judged so, and one refused refuses the record
whole: a first version under an item in force does not carry a later one under another into the records. A
record held here takes its later versions and withdrawals whatever its item became (it keeps its item's last
rules), and so does one the producer received before the withdrawal came into force (it was collected while the
item was in force). When the producer received a record is its word (``received``), trusted no earlier than the
time it signed the last package applied here from it (``since``, services/exchange/exchange.signed_before): a
record new here reached the producer after that package's range was numbered, so one said received before is
judged as received then — a ``received`` set back does not place a record before a withdrawal. With no edition
published here at all, the package is refused whole (``credit.no_catalogue``): that is this node not set up yet,
and the package applies once it is.

A record refused as ``credit.unknown_item`` (this node has not published the edition that adds its item yet)
is **held back** (:func:`hold_credit`, ``exchange_credit_held``) and taken out again once the item is known
(:func:`take_held`; services/exchange/exchange.apply_held applies it at the next package).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jjjcredit.core.codes.personal import is_identity_number, personal_in, shown_personal
from jjjcredit.core.credit import records as credit_rules
from jjjcredit.core.credit import working_days
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.exchange import rows as rows_check
from jjjcredit.core.exchange import rows_bulk
from jjjcredit.core.library import elements
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import timeliness
from jjjcredit.storage import bulk, times
from jjjcredit.storage.schema import (
    batches,
    changes,
    counters,
    credit_record_versions,
    credit_records,
    exchange_credit_held,
    history,
    organizations,
)

#: The elements a record's effective date is read from, first found first (as the library's ingest).
_EFFECTIVE_FROM = ("last_updated", "approved", "established")
#: The temporary table the changed organizations are copied into on PostgreSQL, to be written by one UPDATE.
_UPDATES = "exchange_organization_updates"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def apply_organizations(conn: Connection, rows: Sequence[Mapping[str, str | None]], columns: Sequence[str],
                        origin: str, batch_id: str, package: str, digest: str,
                        kept: Callable[[str | None, str], bool] | None = None) -> dict[str, int]:
    """Create or change the package's organizations under the change feed's lock; returns the counts.

    New organizations, their feed entries and history go in through storage/bulk (COPY on PostgreSQL); the
    changed ones take the package's values of every column it has (the same as before but where they
    differ, and only those are history) in one UPDATE on PostgreSQL, executemany on SQLite. ``kept``: of
    an organization held here, by its registering authority's region and its source, whether it is left as
    held (counted ``kept_own``; federation: what this node owns) — asked in the same look-up. A package held
    as pyarrow arrays, on PostgreSQL, is first copied as all new (:func:`_copy_new`), with no look-up; only
    when one of its codes is held here does the look-up run."""
    started = _now()
    conn.execute(update(counters).where(counters.c.name == "feed").values(value=counters.c.value))
    seq = first = int(conn.execute(select(counters.c.value).where(counters.c.name == "feed")).scalar_one())
    source = f"exchange/{origin}"[:64]
    names = tuple(c for c in columns if c != "uscc")
    unknown = [n for n in names if n not in elements.BY_NAME]
    if unknown:  # rows.check_organizations refused the package already; the names go into SQL below
        raise ValueError(f"not a data element: {', '.join(unknown)}")
    codes = [str(c) for c in _column(rows, "uscc")]
    dialect = conn.dialect.name
    if dialect == "postgresql" and isinstance(rows, rows_bulk.Rows) \
            and all(rows.arrow(n) is not None for n in ("uscc", *names)) \
            and _copy_new(conn, rows, names, seq, source, batch_id):
        # every organization new (a peer catching up, a first snapshot), held as pyarrow read it: written
        # without a Python step a value, and without looking the codes up (the copy would have stopped at one held)
        return _finish(conn, rows, seq + len(codes), first, source, batch_id, package, digest,
                       {"created": len(codes), "updated": 0, "unchanged": 0}, 0, kept, started)
    held = [organizations.c[n] for n in (*names, "effective", "authority_region", "source")]
    existing: dict[str, tuple[Any, ...]] = {}
    with bulk.by_index(conn):
        for among in bulk.among(conn, organizations.c.uscc, codes):
            existing.update((r[0], tuple(r[1:])) for r in conn.execute(select(organizations.c.uscc, *held).where(
                among)))
    cells = [_column(rows, n) for n in names]  # the package's values, column by column
    dated = [cells[i] for n in _EFFECTIVE_FROM for i, name in enumerate(names) if name == n]
    effective = ([next(filter(None, found), None) for found in zip(*dated, strict=True)] if dated
                 else [None] * len(codes))
    width = len(names)
    new: list[int] = []  # the rows of new organizations
    seqs: list[int] = []  # the seq of each row of ``new``
    changed: list[_Changed] = []
    history_rows: list[tuple[int, str, str, Any, Any]] = []
    unchanged = left = 0
    if not existing:  # every organization new (a first package, a peer catching up): no step a row
        new = list(range(len(codes)))
        seqs = list(range(seq + 1, seq + 1 + len(codes)))
        seq += len(codes)
    else:
        for i, (code, values) in enumerate(zip(codes, zip(*cells, strict=True) if cells else [()] * len(codes),
                                               strict=True)):
            before = existing.get(code)
            if before is None:
                seq += 1
                new.append(i)
                seqs.append(seq)
                continue
            if kept is not None and kept(before[width + 1], before[width + 2]):
                left += 1
                continue
            if values == before[:width]:
                unchanged += 1
                continue
            seq += 1
            history_rows += [(seq, names[j], code, before[j], values[j]) for j in range(width)
                             if before[j] != values[j]]
            changed.append((seq, code, values, max(effective[i] or "", before[width] or "") or None, effective[i]))
    order = sorted(range(len(new)), key=lambda k: codes[new[k]])  # an index takes sorted keys about twice as fast
    new_seqs = list(map(seqs.__getitem__, order))
    new = list(map(new.__getitem__, order))
    new_codes = list(map(codes.__getitem__, new))
    new_effective = list(map(effective.__getitem__, new))
    bulk.insert_prepared(conn, organizations.name, bulk.prepare_columns(
        dialect, ("uscc", *names, "authority_region", "effective", "seq", "created_seq", "source", "batch_id"),
        [new_codes, *(list(map(column.__getitem__, new)) for column in cells), [c[2:8] for c in new_codes],
         new_effective, new_seqs, new_seqs], (source, batch_id)))
    created: list[list[Any]] = [new_seqs, new_codes, new_effective]
    for kind, entries in (("created", created),
                          ("changed", _by_column([(r[0], r[1], r[4]) for r in changed]))):
        bulk.insert_prepared(conn, changes.name, bulk.prepare_columns(
            dialect, ("seq", "uscc", "effective", "kind", "batch_id"), entries, (kind, batch_id)))
    bulk.insert_prepared(conn, history.name, bulk.prepare_columns(
        dialect, ("seq", "element", "uscc", "old_value", "new_value"),
        _by_column(history_rows)))
    _update_organizations(conn, names, changed, source, batch_id)
    return _finish(conn, rows, seq, first, source, batch_id, package, digest,
                   {"created": len(new), "updated": len(changed), "unchanged": unchanged}, left, kept, started)


def _finish(conn: Connection, rows: Sequence[Any], seq: int, first: int, source: str, batch_id: str,
            package: str, digest: str, counts: dict[str, int], left: int,
            kept: Callable[[str | None, str], bool] | None, started: datetime.datetime) -> dict[str, int]:
    """The apply's end: the planner's statistics when the library grew, the feed's counter at ``seq``, the
    batch; the counts."""
    if counts["created"] and conn.dialect.name == "postgresql":
        _refresh_statistics(conn)
    conn.execute(update(counters).where(counters.c.name == "feed").values(value=seq))
    finished = _now()
    conn.execute(insert(batches).values(
        id=batch_id, source=source, file_name=package, file_hash=digest, status="committed", rows=len(rows) - left,
        created=counts["created"], updated=counts["updated"], unchanged=counts["unchanged"], rejected=0,
        warnings=0, conflicts=0, first_seq=first + 1 if seq > first else None, last_seq=seq if seq > first else None,
        started_at=started, finished_at=finished, seconds=round((finished - started).total_seconds(), 3)))
    return counts | ({"kept_own": left} if kept is not None else {})


def _copy_new(conn: Connection, rows: rows_bulk.Rows, names: Sequence[str], seq: int, source: str,
              batch_id: str) -> bool:
    """The package's organizations held as pyarrow arrays, COPY-ed as new (storage/bulk.copy_arrow_new) as
    the list path writes them — ``False``, and nothing written, when one is held here already:
    in the order of their codes (an index takes sorted keys about twice as fast), the seq of each its row's
    place in the package after ``seq``, its effective date the first of :data:`_EFFECTIVE_FROM` it has, its
    authority's region the code's positions 3-8; and each one's ``created`` entry in the change feed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(rows)
    order = pc.sort_indices(rows.arrow("uscc"))
    codes = rows.arrow("uscc").take(order)
    dated = [rows.arrow(name) for name in _EFFECTIVE_FROM if name in names]
    effective = (pc.coalesce(*dated) if len(dated) > 1 else dated[0]).take(order) if dated else pa.nulls(n, pa.string())
    seqs = pc.add(order.cast(pa.int64()), pa.scalar(seq + 1, pa.int64()))
    if not bulk.copy_arrow_new(
            conn, organizations.name,
            ("uscc", *names, "authority_region", "effective", "seq", "created_seq", "source", "batch_id"),
            [codes, *(rows.arrow(name).take(order) for name in names), pc.utf8_slice_codeunits(codes, 2, 8),
             effective, seqs, seqs, pa.repeat(pa.scalar(source, pa.string()), n),
             pa.repeat(pa.scalar(batch_id, pa.string()), n)]):
        return False
    bulk.copy_arrow(conn, changes.name, ("seq", "uscc", "effective", "kind", "batch_id"),
                    [seqs, codes, effective, pa.repeat(pa.scalar("created", pa.string()), n),
                     pa.repeat(pa.scalar(batch_id, pa.string()), n)])
    return True


def _refresh_statistics(conn: Connection) -> None:
    """The planner's statistics of the organizations' codes taken anew once the table has at least doubled
    since they were (autovacuum may be off, or behind a catch-up): with a library thought empty, the next
    package's look-up of its codes is a scan of the whole table where the index answers at once."""
    pages, analyzed = conn.exec_driver_sql(
        "SELECT pg_relation_size(oid) / current_setting('block_size')::int, relpages FROM pg_class "
        "WHERE oid = 'organizations'::regclass").one()
    if int(pages) >= 2 * max(int(analyzed), 0) + 32:
        conn.exec_driver_sql("ANALYZE organizations (uscc)")


#: A changed organization: its seq, code, the package's values, its new effective date, the row's own.
_Changed = tuple[int, str, tuple[Any, ...], str | None, str | None]


def _by_column(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows turned column by column (``[]`` for none), as bulk.prepare_columns takes them."""
    return [list(column) for column in zip(*rows, strict=True)]


def _column(rows: Sequence[Mapping[str, Any]], name: str) -> Sequence[Any]:
    """The rows' values of column ``name``, one a row (``None`` where a row has none): the column itself when
    the rows are held column by column (core/exchange/rows_bulk.Rows)."""
    if isinstance(rows, rows_bulk.Rows) and name in rows.columns:
        return rows.column(name)
    return [r.get(name) for r in rows]


def _update_organizations(conn: Connection, names: Sequence[str],
                          changed: Sequence[_Changed],
                          source: str, batch_id: str) -> None:
    """Give the ``changed`` organizations (seq, code, the package's values of ``names``, the new effective
    date) those values, their seq and effective date, ``source`` and ``batch_id``, and no fingerprint:
    on PostgreSQL copied into a temporary table and written by one ``UPDATE … FROM``, on SQLite one
    ``UPDATE`` per row (executemany)."""
    if not changed:
        return
    quote = conn.dialect.identifier_preparer.quote
    width = len(names)
    if conn.dialect.name != "postgresql":
        bulk.execute_tuples(conn, "UPDATE organizations SET {sets} WHERE uscc = {mark}",
                            (*names, "seq", "effective", "source", "batch_id", "fingerprint", "uscc"),
                            [(*r[2], r[0], r[3], source, batch_id, None, r[1]) for r in changed])
        return
    element_columns = "".join(f", {quote(n)} text" for n in names)
    conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {_UPDATES} (uscc text, seq bigint, effective text"
                         f"{element_columns}) ON COMMIT DROP")
    bulk.insert_prepared(conn, _UPDATES, bulk.prepare_columns(
        "postgresql", ("uscc", "seq", "effective", *names),
        [[r[1] for r in changed], [r[0] for r in changed], [r[3] for r in changed],
         *([r[2][i] for r in changed] for i in range(width))]))
    sets = "".join(f", {quote(n)} = t.{quote(n)}" for n in names)
    conn.exec_driver_sql(f"ANALYZE {_UPDATES}")
    conn.exec_driver_sql(f"UPDATE organizations AS o SET seq = t.seq, effective = t.effective, source = %s, "
                         f"batch_id = %s, fingerprint = NULL{sets} FROM {_UPDATES} AS t WHERE o.uscc = t.uscc",
                         (source, batch_id))
    conn.exec_driver_sql(f"DROP TABLE {_UPDATES}")


def _fingerprint(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _current_row(row: Mapping[str, Any], batch_id: str, known: set[str]) -> dict[str, Any]:
    # the stored form, any personal number another node left in a text masked as this node's ingest keeps it
    data = credit_rules.masked_data(credit_rules.values_json(json.loads(str(row["values"]))))
    code = row["subject_code"]
    return {"subject_key": row["subject_key"], "id": row["id"], "item": row["item"], "provider": row["provider"],
            "document_number": shown_personal(str(row["document_number"])), "subject_type": row["subject_type"],
            "subject_name": shown_personal(str(row["subject_name"])), "subject_code": code, "status": row["status"],
            "version": int(row["version"]), "severity": row["severity"], "decided_on": row["decided_on"],
            "valid_until": row["valid_until"], "due_on": None, "late": 0,
            "unknown_organization": int(row["subject_type"] != "natural_person" and bool(code) and code not in known),
            "data": data, "sealed": None, "fingerprint": _fingerprint(data), "batch_id": batch_id,
            "created_at": _moment(str(row["received"])), "updated_at": _moment(str(row["at"])),
            "revoked_on": row["revoked_on"], "action": row["action"],
            "reason": shown_personal(row["reason"]) if row["reason"] else row["reason"]}


def _version_row(current: Mapping[str, Any], subject_key: str) -> dict[str, Any]:
    """A current row (as stored or planned) kept as a version under ``subject_key``."""
    return {"subject_key": subject_key, "record_id": current["id"], "version": int(current["version"]),
            "action": current["action"], "status": current["status"],
            "batch_id": current["batch_id"] if current["action"] in ("created", "updated") else None,
            "at": current["updated_at"], "data": current["data"], "sealed": current["sealed"],
            "fingerprint": current["fingerprint"], "reason": current["reason"]}


def lock_credit(conn: Connection, rows: Sequence[Mapping[str, str | None]]) -> set[tuple[str, str]]:
    """On PostgreSQL, the advisory lock of each provider and item the rows hold — the lock a credit batch of
    this node takes — in one order (taken again in a transaction that holds it, it is held once); returns
    the pairs locked. A withdrawal names only its record: its pair is the one the record is held under here
    (a record's id is a hash of its item, provider and document number, so that pair never changes)."""
    pairs = {(str(r["provider"]), str(r["item"])) for r in rows if r.get("values")}
    withdrawn = sorted({str(r["id"]) for r in rows if not r.get("values")})
    for among in bulk.among(conn, credit_records.c.id, withdrawn):
        pairs.update((p, i) for p, i in conn.execute(
            select(credit_records.c.provider, credit_records.c.item).where(among).distinct()))
    _lock_pairs(conn, pairs)
    return pairs


def _lock_pairs(conn: Connection, pairs: set[tuple[str, str]]) -> None:
    for provider, item in sorted(pairs):
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 3041))", (f"{provider}\x1f{item}",))


def apply_credit(conn: Connection, rows: Sequence[Mapping[str, str | None]], batch_id: str,
                 problems: list[dict[str, Any]], refused: list[dict[str, Any]] | None = None,
                 today: datetime.date | None = None, since: datetime.datetime | None = None,
                 held_back: list[Mapping[str, Any]] | None = None) -> dict[str, int]:
    """Write the package's record versions (see the module's text); returns the counts. A version whose
    organization's code is a resident identity number, or holds a personal number however written, that
    the library does not know (as the ingest refuses it) is a problem added to ``problems`` (row numbers
    of ``rows``), and then nothing is written. A record new here under an item this node's catalogue in
    force on ``today`` (Beijing's, by default) withdrew or never had is left out, each of its versions added
    to ``refused`` (row, id, version, field, code, message) and counted ``refused``. Takes the locks a
    credit batch of this node takes for the same records — on PostgreSQL the advisory lock of each provider
    and item the package holds (in one order, so two imports never wait on each other in a circle), on
    SQLite the ``credit`` counter's row — so no batch writes them meanwhile. A record a withdrawal names
    that a batch created after the locks were taken is locked then, and read again under its lock.
    ``since``: when the producer signed the last package applied here from it (:func:`exchange.signed_before`),
    the earliest a record new here is judged as received. ``held_back``: the rows of the records refused as
    ``credit.unknown_item`` go there too, for the caller to hold back (:func:`hold_credit`)."""
    locked: set[tuple[str, str]] | None = None
    if conn.dialect.name == "postgresql":
        locked = lock_credit(conn, rows)
    else:
        conn.execute(update(counters).where(counters.c.name == "credit").values(value=counters.c.value + 1))
    current, held = _held(conn, sorted({str(r["id"]) for r in rows}))
    if locked is not None and (late := {(str(r["provider"]), str(r["item"])) for r in current.values()} - locked):
        _lock_pairs(conn, late)  # (out of the one order: rare, and a circle is ended by the server's detector)
        again = {i for i, r in current.items() if (str(r["provider"]), str(r["item"])) in late}
        current = {i: r for i, r in current.items() if i not in again}
        held = {h for h in held if h[0] not in again}
        now_held, now_versions = _held(conn, sorted(again))
        current.update(now_held)
        held.update(now_versions)
    codes = sorted({str(r["subject_code"]) for r in rows if r.get("subject_code")})
    known: set[str] = set()
    with bulk.by_index(conn):
        for among in bulk.among(conn, organizations.c.uscc, codes):
            known.update(conn.execute(select(organizations.c.uscc).where(among)).scalars())
    counts = {"created": 0, "updated": 0, "withdrawn": 0, "unchanged": 0, "refused": 0}
    found = [rows_check.code_is_identity(number, code) for number, row in enumerate(rows, 1)
             if row.get("values") and (code := row.get("subject_code")) and row["subject_type"] != "natural_person"
             and code not in known and (is_identity_number(code) or personal_in(code))]
    if found:
        problems += found
        return counts
    replaced: dict[str, dict[str, Any]] = {}  # record id → the stored current row being replaced
    versions: list[dict[str, Any]] = []
    # (item, year received, whether that is the producer's last package's) → why refused, if it is
    judged: dict[tuple[str, int, bool], tuple[str, str] | None] = {}
    declined: dict[str, tuple[str, str, str]] = {}  # record id → why it is refused (code, message, field)
    day = today or working_days.today()
    ordered = sorted(enumerate(rows, 1), key=lambda p: (str(p[1]["id"]), int(str(p[1]["version"]))))
    for _number, row in ordered:  # every version's identity: its id, and the record held here under that id
        record_id = str(row["id"])
        if record_id not in declined and row.get("values") and (
                wrong := _identity_refusal(row, current.get(record_id))) is not None:
            declined[record_id] = wrong
    for number, row in ordered:  # a record new here: every version it comes with judged by the catalogue
        record_id = str(row["id"])
        if record_id in current or record_id in declined or not row.get("values"):
            continue
        said = times.utc(_moment(str(row["received"])))
        arrived = max(said, since) if since is not None else said  # no earlier than the producer's last package
        received = arrived.astimezone(working_days.CHINA).year
        key = (str(row["item"]), received, arrived != said)
        if key not in judged:
            judged[key] = _item_refusal(conn, key[0], received, day, since if arrived != said else None)
        why = judged[key]
        if why is not None and why[0] == "credit.no_catalogue":
            problems.append({"row": number, "field": "item", "code": why[0], "message": why[1]})
            return {name: 0 for name in counts}
        if why is not None:
            declined[record_id] = (*why, "item")
    for number, row in ordered:
        record_id, version = str(row["id"]), int(str(row["version"]))
        if (record_id, version) in held:
            counts["unchanged"] += 1
            continue
        now = current.get(record_id)
        if record_id in declined:  # (refused whole: a later version does not carry it in, nor a first one)
            code, message, field = declined[record_id]
            counts["refused"] += 1
            if refused is not None:
                refused.append({"row": number, "id": record_id, "version": version, "field": field,
                                "code": code, "message": f'Record "{record_id}" version {version}: {message}'})
            if held_back is not None and code == "credit.unknown_item":
                held_back.append(row)
            continue
        if not row.get("values"):  # a withdrawal: the record held here takes its status, or it is not held
            if now is None or version <= int(now["version"]):
                counts["unchanged"] += 1
                continue
            held.add((record_id, version))
            if not now.get("_new"):
                replaced.setdefault(record_id, now)
            versions.append(_version_row(now, now["subject_key"]))
            current[record_id] = {**now, "version": version, "status": row["status"], "action": row["action"],
                                  "updated_at": _moment(str(row["at"])), "reason": None, "batch_id": batch_id,
                                  "_new": True}
            counts["withdrawn"] += 1
            continue
        held.add((record_id, version))
        incoming = _current_row(row, batch_id, known)
        if now is None:
            current[record_id] = incoming | {"_new": True}
            counts["created"] += 1
        elif version > int(now["version"]):
            if not now.get("_new"):
                replaced.setdefault(record_id, now)
            versions.append(_version_row(now, incoming["subject_key"]))
            current[record_id] = incoming | {"_new": True}
            counts["updated"] += 1
        else:
            versions.append(_version_row(incoming, now["subject_key"]))
            counts["updated"] += 1
    moved = [(current[record_id]["subject_key"], old["subject_key"], record_id) for record_id, old in replaced.items()
             if current[record_id]["subject_key"] != old["subject_key"]]  # its history follows it to its subject
    bulk.execute_tuples(conn, "UPDATE credit_record_versions SET subject_key = {mark} "
                        "WHERE subject_key = {mark} AND record_id = {mark}", ("to", "subject_key", "record_id"), moved)
    _delete_replaced(conn, [(old["subject_key"], record_id) for record_id, old in replaced.items()])
    fresh = [r for r in current.values() if r.get("_new")]
    for table, items, stamps in ((credit_records, fresh, ("created_at", "updated_at")),
                                 (credit_record_versions, versions, ("at",))):
        for item in items:
            item.update((name, bulk.stamp(conn, item[name])) for name in stamps)
        bulk.insert_rows(conn, table.name, table.c.keys(), items)
    _tally(conn, fresh, list(replaced.values()))
    return counts


def hold_credit(conn: Connection, origin: str, package: str, rows: Sequence[Mapping[str, Any]],
                since: datetime.datetime | None, owned: bool) -> int:
    """Hold back the record versions ``rows`` (refused as ``credit.unknown_item``) from ``origin``'s
    ``package`` in ``exchange_credit_held``, each as the row it came as, with the earliest time it is judged
    as received (``since``) and whether ``origin`` owns the record once it is applied (federation); a
    version held already is left as held. Returns how many were held."""
    if not rows:
        return 0
    h = exchange_credit_held.c
    keys = {(str(r["id"]), int(str(r["version"]))) for r in rows}
    there: set[tuple[str, int]] = set()
    for among in bulk.among(conn, h.record_id, sorted({k[0] for k in keys})):
        there.update((i, int(v)) for i, v in conn.execute(select(h.record_id, h.version).where(
            among, h.origin == origin)))
    now = _now()
    fresh = {(str(r["id"]), int(str(r["version"]))): r for r in rows}
    found = [{"origin": origin, "record_id": i, "version": v, "item": str(r["item"]),
              "row": json.dumps({c: r.get(c) for c in rows_check.CREDIT_COLUMNS}, ensure_ascii=False),
              "since": since, "owned": int(owned), "package": package, "held_at": now}
             for (i, v), r in sorted(fresh.items()) if (i, v) not in there]
    if found:
        conn.execute(insert(exchange_credit_held), found)
    return len(found)


@dataclass(frozen=True)
class Held:
    """Record versions held back from one producer, now under an item this node knows: the rows as they came,
    the earliest time they are judged as received, and whether the producer owns their records."""

    origin: str
    since: datetime.datetime | None
    owned: bool
    rows: list[dict[str, str | None]]


def take_held(conn: Connection, today: datetime.date | None = None) -> list[Held]:
    """The record versions held back (:func:`hold_credit`) whose item this node's catalogue in force on ``today``
    now has (or withdrew since: the apply refuses them then), taken out of the table — by producer, earliest
    time received and ownership, each group's rows in record and version order. Nothing while no edition is in
    force, or for an item still unknown."""
    h = exchange_credit_held.c
    day = today or working_days.today()
    known = []
    for item in conn.execute(select(h.item).distinct()).scalars():
        try:
            credit_items.item_in_force(conn, str(item), day)
        except RecordsError as exc:
            if exc.code != "credit.withdrawn_item":
                continue
        known.append(str(item))
    if not known:
        return []
    groups: dict[tuple[str, datetime.datetime | None, bool], list[dict[str, str | None]]] = {}
    taken = conn.execute(select(h.origin, h.since, h.owned, h.row).where(h.item.in_(known))
                         .order_by(h.origin, h.record_id, h.version)).all()
    for origin, since, owned, row in taken:
        groups.setdefault((str(origin), times.utc(since), bool(owned)), []).append(json.loads(row))
    conn.execute(exchange_credit_held.delete().where(h.item.in_(known)))
    return [Held(origin, since, owned, rows) for (origin, since, owned), rows in groups.items()]


def _identity_refusal(row: Mapping[str, Any], held: Mapping[str, Any] | None) -> tuple[str, str, str] | None:
    """Why a version (with values) is not the record it names (its error code, message and field), or ``None``
    when it is: its id is the hash of its item, provider and document number
    (core/credit/records.record_id), and a record held here under that id has that item, provider and
    document number (compared as identities compare them; a number held masked as this node keeps it)."""
    item, provider = str(row["item"]), str(row["provider"])
    number = str(row["document_number"])
    shown = shown_personal(number)[:60]
    if credit_rules.record_id(item, provider, number) != str(row["id"]):
        return "exchange.record_id", (
            f'its id is not the hash of its item "{item[:40]}", provider "{provider[:60]}" and document number '
            f'"{shown}": a record\'s id names those three, and a version that names others is not the record. It is '
            "not kept here, nor any version of the record in this package; the package's other records are. The "
            "producer checks the record's id and fields, and sends it again."), "id"
    if held is None:
        return None
    keys = {credit_rules.document_key(number), credit_rules.document_key(shown_personal(number))}
    for what, before, now, same in (
            ("item", str(held["item"]), item, str(held["item"]) == item),
            ("provider", str(held["provider"]), provider, str(held["provider"]) == provider),
            ("document number", shown_personal(str(held["document_number"])), shown,
             credit_rules.document_key(str(held["document_number"])) in keys)):
        if not same:
            return "exchange.record_moved", (
                f'it names {what} "{now[:60]}", and the record held here under that id has {what} '
                f'"{before[:60]}": a record never changes its item, provider or document number. It is not kept '
                "here, nor any version of the record in this package; the record stays as held here, to be checked "
                "against the producer's (`jjjcredit credit show`)."), what.replace(" ", "_")
    return None


def _item_refusal(conn: Connection, item: str, received: int, day: datetime.date,
                  since: datetime.datetime | None = None) -> tuple[str, str] | None:
    """Why a record new to this node under ``item``, received by its producer in the year ``received``, is not
    kept here on ``day`` (its error code and message), or ``None`` when it is (see the module's text);
    ``since``: the producer's last package applied here, when the record said it was received before it."""
    try:
        credit_items.item_in_force(conn, item, day)
        return None
    except RecordsError as exc:
        if exc.code == "credit.no_catalogue":
            return exc.code, ("No catalogue edition is published on this node yet: a record is kept under an item "
                              "of a published edition. Nothing of the package was applied; publish the catalogue "
                              "(jjjcredit catalogue publish), then apply the package again.")
        gone = credit_items.item_withdrawal(conn, item, day) if exc.code == "credit.withdrawn_item" else None
        if gone is None:
            edition = catalogue_service.latest_published(conn, before=day.year + 1)
            return "credit.unknown_item", (
                f'its item "{item}" is not one this node\'s catalogue has had (the '
                f"{edition.year if edition else '?'} edition is in force): a record is kept under an item of the "
                "catalogue. It is not kept here yet but held back, and applied once this node publishes an edition "
                "with the item (at the next package applied after that); the package's other records are kept.")
    in_force, last, by, why = gone
    if received < by:  # collected while the item was in force: it keeps the item's last rules
        return None
    when = (f"in {received} (it says earlier, but it comes after the producer's package signed "
            f"{since.astimezone(working_days.CHINA):%Y-%m-%d %H:%M} Beijing time, the last applied here before this "
            "one, and a record is taken as received no earlier than that)" if since is not None else f"in {received}")
    return "credit.withdrawn_item", (
        f'its item "{item}" ({last.name}) was withdrawn from this node\'s catalogue by its {by} edition ({why}), '
        f"and the producer received the record {when}, with that withdrawal in force (the {in_force} edition "
        "is in force): nothing new is kept under the item. It is not kept here; the package's other records are. "
        "Records received before the withdrawal, and the later versions of those held here, are kept under the "
        "item's last rules.")


def _held(conn: Connection, ids: Sequence[str]) -> tuple[dict[str, dict[str, Any]], set[tuple[str, int]]]:
    """The current rows of records ``ids`` held here, and every (record id, version) held of them."""
    current: dict[str, dict[str, Any]] = {}
    held: set[tuple[str, int]] = set()
    with bulk.by_index(conn):
        for among in bulk.among(conn, credit_records.c.id, ids):
            for found in conn.execute(select(credit_records).where(among)).mappings():
                current[found["id"]] = dict(found)
                held.add((found["id"], int(found["version"])))
        for among in bulk.among(conn, credit_record_versions.c.record_id, ids):
            held.update((r, int(v)) for r, v in conn.execute(select(
                credit_record_versions.c.record_id, credit_record_versions.c.version).where(among)))
    return current, held


def _tally(conn: Connection, written: Sequence[Mapping[str, Any]], removed: Sequence[Mapping[str, Any]]) -> None:
    """Add the current rows written, less those they replaced, to their providers' and items' tallies."""
    tallies: dict[tuple[str, str], timeliness.Tally] = {}
    for rows, sign in ((written, 1), (removed, -1)):
        for row in rows:
            tally = tallies.setdefault((str(row["provider"]), str(row["item"])), timeliness.Tally())
            late = int(row["late"])
            tally.records += sign
            tally.late += sign * late
            if late:
                (tally.add_late if sign > 0 else tally.gone.append)(str(row["document_number"]))
    timeliness.add_to_tallies(conn, tallies)


def _delete_replaced(conn: Connection, keys: Sequence[tuple[str, str]]) -> None:
    """Delete the current rows of ``keys`` (subject key, record id): on PostgreSQL in one statement
    (the keys as two arrays), on SQLite one per row (executemany)."""
    if conn.dialect.name != "postgresql":
        bulk.execute_tuples(conn, "DELETE FROM credit_records WHERE subject_key = {mark} AND id = {mark}",
                            ("subject_key", "id"), keys)
        return
    for start in range(0, len(keys), bulk.ARRAY_CHUNK):
        part = keys[start:start + bulk.ARRAY_CHUNK]
        conn.exec_driver_sql("DELETE FROM credit_records AS c USING unnest(%s::text[], %s::text[]) "
                             "AS d(subject_key, id) WHERE c.subject_key = d.subject_key AND c.id = d.id",
                             ([k for k, _ in part], [i for _, i in part]))
