"""What an export reads: the library's organizations by the change feed, and credit record versions by
the exchange's own feed of them — each cut to the package's audience by the redaction point
(services/sharing/disclosure.py), never here.

**Organizations.** A package holding sequence ``after`` + 1 to ``to`` carries every organization (in the
scope) whose last change is in that range, as it stands: its current elements, sorted by code. A full
snapshot (``after`` 0) is every organization up to ``to``. An organization changed again after ``to`` is
left for the next delta, which carries it as it then stands — no change is lost, none is carried twice
as a state (``to`` is the feed counter read in the export's transaction; batches commit their sequence
numbers in order under the counter's lock).

**Credit records** have no sequence: batches of different providers commit side by side, and numbering
their versions at ingest would make every batch wait for one lock (the hot path). Instead each export
numbers the versions it has not numbered yet — those written since the last numbering, which the database
itself notes in ``exchange_credit_pending`` on every write of ``credit_records`` (current) and
``credit_record_versions`` (replaced), less any with a row in ``exchange_credit_feed`` — after the numbers
given before, in the order they were kept (time, record, version), under the ``counters`` row
``exchange_credit``, in one statement's snapshot. A version is numbered once (the feed's primary key)
and every committed version is numbered by the first export that sees it, so deltas by that number lose
no version and repeat none; a batch committing while an export runs is numbered by the next export.

A delta for the public also carries **withdrawals**: a record the public would see had it stayed in force,
revoked since, as its id, version, status and time only (the redaction point decides which), so a public
receiver stops showing it; a full snapshot holds what the public sees, and no withdrawal.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, select, text, update

from jjjcredit.core.codes import regions
from jjjcredit.core.exchange.packages import Scope
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import audit as audit_chain
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.sharing import disclosure
from jjjcredit.storage.schema import changes, counters, credit_record_versions, exchange_credit_feed, organizations
from jjjcredit.storage.schema import credit_records as records_table


def feed_position(conn: Connection) -> int:
    """The library's change-feed sequence (what a full snapshot of organizations reaches)."""
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "feed")).scalar_one())


def organization_rows(conn: Connection, caller: access.Caller, scope: Scope, after: int,
                      to: int) -> list[dict[str, Any]]:
    """The organizations whose last change is in ``after`` + 1 … ``to`` (in the scope), sorted by code,
    each as ``caller`` may see it (services/sharing/disclosure.disclose_organization)."""
    return [row for batch in organization_batches(conn, caller, scope, after, to) for row in batch]


#: Organizations read from the database at a time by :func:`organization_batches`.
BATCH_ROWS = 20_000


def organization_batches(conn: Connection, caller: access.Caller, scope: Scope, after: int, to: int,
                         size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """:func:`organization_rows` a batch of ``size`` at a time, read from the server as they are used
    (a full snapshot of the library never held whole)."""
    query = select(organizations).where(organizations.c.seq > after, organizations.c.seq <= to)
    if after > 0:  # a delta: the codes the feed names in the range (its primary key), not a scan of the library
        query = query.where(organizations.c.uscc.in_(
            select(changes.c.uscc).where(changes.c.seq > after, changes.c.seq <= to)))
    if scope.region:
        query = query.where(organizations.c.authority_region.startswith(regions.REGIONS[scope.region].prefix))
    if scope.department:
        query = query.where(organizations.c.uscc.startswith(scope.department))
    size = size or BATCH_ROWS
    result = conn.execute(query.order_by(organizations.c.uscc),
                          execution_options={"stream_results": True, "yield_per": size}).mappings()
    for part in result.partitions(size):
        batch = []
        for row in part:
            shown = disclosure.disclose_organization(caller, dict(row))
            shown.pop("authority_region", None)  # the node's own reading of the code: not an element
            batch.append(shown)
        yield batch


def number_credit_versions(conn: Connection) -> int:
    """Number every credit record version not numbered yet (see the module's text); returns the last
    number given (the exchange's credit sequence)."""
    conn.execute(update(counters).where(counters.c.name == "exchange_credit").values(value=counters.c.value))
    last = int(conn.execute(select(counters.c.value).where(counters.c.name == "exchange_credit")).scalar_one())
    if conn.dialect.name == "postgresql":  # the versions taken out and numbered in one statement's snapshot
        conn.execute(text("ANALYZE exchange_credit_pending"))  # (how many: a few looked up, or millions joined)
        numbered = conn.execute(text(_TAKEN + _NUMBER.format(pending="taken")), {"last": last}).rowcount
    else:  # (SQLite: this transaction holds the database's one write lock since the counter's update)
        numbered = conn.execute(text(_NUMBER.format(pending="exchange_credit_pending")), {"last": last}).rowcount
        conn.execute(text("DELETE FROM exchange_credit_pending"))
    last += max(numbered, 0)
    conn.execute(update(counters).where(counters.c.name == "exchange_credit").values(value=last))
    return last


#: The versions written since the last numbering (``exchange_credit_pending``, which triggers fill on every
#: write of the two tables), less any numbered already, numbered after ``last`` in the order kept (time,
#: record, version), in one statement: the versions go from the tables to the feed inside the database,
#: however many they are, and an export reads what was written since the last one, not every version held.
#: Each is found by its table's primary key (subject key, record id[, version]); one noted under a subject
#: key its record has left is found under the new one, noted when it moved.
_TAKEN = "WITH taken AS (DELETE FROM exchange_credit_pending RETURNING subject_key, record_id, version) "
_NUMBER = (
    "INSERT INTO exchange_credit_feed (record_id, version, seq) "
    "SELECT id, version, :last + ROW_NUMBER() OVER (ORDER BY at, id, version) FROM ("
    "SELECT r.id AS id, r.version AS version, r.updated_at AS at FROM credit_records r "
    "JOIN (SELECT DISTINCT subject_key, record_id, version FROM {pending}) p "
    "ON r.subject_key = p.subject_key AND r.id = p.record_id AND r.version = p.version "
    "WHERE NOT EXISTS (SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = r.id AND f.version = r.version) "
    "UNION ALL SELECT v.record_id, v.version, v.at FROM credit_record_versions v "
    "JOIN (SELECT DISTINCT subject_key, record_id, version FROM {pending}) p "
    "ON v.subject_key = p.subject_key AND v.record_id = p.record_id AND v.version = p.version "
    "WHERE NOT EXISTS (SELECT 1 FROM exchange_credit_feed f WHERE f.record_id = v.record_id "
    "AND f.version = v.version)) AS u")


def _time(value: Any) -> str:
    return audit_chain.format_time(value) if isinstance(value, datetime.datetime) else str(value)


#: The fields of a record that stay with it across versions (from its current row).
_RECORD_FIELDS = ("id", "version", "status", "item", "provider", "document_number", "subject_type", "subject_key",
                  "subject_name", "subject_code", "severity", "decided_on", "valid_until", "revoked_on",
                  "created_at")


def credit_rows(conn: Connection, caller: access.Caller, scope: Scope, after: int, to: int,
                day: datetime.date) -> list[dict[str, Any]]:
    """The credit record versions numbered ``after`` + 1 … ``to`` (in the scope), as ``caller`` may see
    them on ``day`` (services/sharing/disclosure.disclose_record_versions), one row per version, sorted by
    record id and version."""
    return [row for batch in credit_batches(conn, caller, scope, after, to, day) for row in batch]


def credit_batches(conn: Connection, caller: access.Caller, scope: Scope, after: int, to: int, day: datetime.date,
                   size: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """:func:`credit_rows` about ``size`` rows at a time (a record's versions never split), read from the
    server as they are used: the current versions in the range and the replaced ones, each ordered by
    record id, merged as they come; a record whose current version is outside the range (a delta) has its
    fields looked up by id, a batch's at once."""
    r, v, f = records_table.c, credit_record_versions.c, exchange_credit_feed.c
    in_range = (f.seq > after, f.seq <= to)
    by_id = r.id.collate("C") if conn.dialect.name == "postgresql" else r.id  # bytewise: as Python orders text
    current = select(*(r[n] for n in _RECORD_FIELDS), r.action, r.updated_at, r.data, r.reason).join(
        exchange_credit_feed, (f.record_id == r.id) & (f.version == r.version)).where(*in_range).order_by(by_id)
    replaced = select(v.record_id, v.version, v.action, v.status, v.at, v.data, v.reason).join(
        exchange_credit_feed, (f.record_id == v.record_id) & (f.version == v.version)).where(*in_range)
    if scope.item:
        current = current.where(r.item == scope.item)
        replaced = replaced.join(records_table, r.id == v.record_id).where(r.item == scope.item)
    replaced = replaced.order_by(v.record_id.collate("C") if conn.dialect.name == "postgresql" else v.record_id,
                                 v.version)
    size = size or BATCH_ROWS
    streamed = {"stream_results": True, "yield_per": size}
    currents = iter(conn.execute(current, execution_options=streamed).mappings())
    olders = iter(conn.execute(replaced, execution_options=streamed).mappings())
    in_force = credit_items.items_for_records(conn, day)  # (an item withdrawn since keeps its last rules)
    now, old = next(currents, None), next(olders, None)
    batch: list[dict[str, Any]] = []  # records, each with its versions in the range
    rows = 0
    while now is not None or old is not None:
        if now is not None and (old is None or now["id"] <= old["record_id"]):
            record_id = now["id"]
        else:
            assert old is not None  # (the loop runs while either is)
            record_id = old["record_id"]
        record: dict[str, Any] = {"id": record_id, "versions": []}
        if now is not None and now["id"] == record_id:
            record = {n: now[n] for n in _RECORD_FIELDS}
            record["versions"] = [{"version": now["version"], "action": now["action"], "status": now["status"],
                                   "at": now["updated_at"], "data": now["data"], "reason": now["reason"]}]
            now = next(currents, None)
        while old is not None and old["record_id"] == record_id:
            record["versions"].append({"version": old["version"], "action": old["action"], "status": old["status"],
                                       "at": old["at"], "data": old["data"], "reason": old["reason"]})
            old = next(olders, None)
        batch.append(record)
        rows += len(record["versions"])
        if rows >= size or (now is None and old is None):
            if shown := _credit_batch(conn, caller, batch, day, in_force, after):  # (none: nothing to write)
                yield shown
            batch, rows = [], 0


def _credit_batch(conn: Connection, caller: access.Caller, batch: list[dict[str, Any]], day: datetime.date,
                  in_force: Mapping[str, Any], after: int) -> list[dict[str, Any]]:
    """A batch of records (in id order) as rows, the fields of those whose current version was outside the
    range looked up first."""
    r = records_table.c
    missing = [record["id"] for record in batch if "item" not in record]
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(missing), 2_000):
        for row in conn.execute(select(*(r[n] for n in _RECORD_FIELDS)).where(
                r.id.in_(missing[start:start + 2_000]))).mappings():
            found[row["id"]] = {n: row[n] for n in _RECORD_FIELDS}
    stored = [record if "item" in record else {**found[record["id"]], "versions": record["versions"]}
              for record in batch if "item" in record or record["id"] in found]
    rows = []
    for record in disclosure.disclose_record_versions(caller, stored, day, in_force, withdrawals=after > 0):
        for version in sorted(record["versions"], key=lambda x: int(x["version"])):
            rows.append(_withdrawal(record, version) if record["channel"] == "withdrawn"
                        else _credit_row(record, version))
    return rows


def _withdrawal(record: Mapping[str, Any], version: Mapping[str, Any]) -> dict[str, Any]:
    """A record withdrawn from public view, as a delta for the public carries it: which record, its version,
    status and time — no values, no subject (core/exchange/rows.py: a row without ``values``)."""
    return {"id": record["id"], "version": str(version["version"]), "action": version["action"],
            "status": version["status"], "at": _time(version["at"])}


def _credit_row(record: Mapping[str, Any], version: Mapping[str, Any]) -> dict[str, Any]:
    values = json.loads(version["data"])
    return {"id": record["id"], "version": str(version["version"]), "action": version["action"],
            "status": version["status"], "at": _time(version["at"]), "received": _time(record["created_at"]),
            "item": record["item"], "provider": record["provider"], "document_number": record["document_number"],
            "subject_type": record["subject_type"], "subject_key": record["subject_key"],
            "subject_name": record["subject_name"], "subject_code": record["subject_code"],
            "severity": record["severity"], "decided_on": record["decided_on"],
            "valid_until": record["valid_until"], "revoked_on": record["revoked_on"], "reason": version["reason"],
            "values": json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))}
