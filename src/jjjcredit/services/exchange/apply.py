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
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from jjjcredit.storage.schema import (
    batches,
    changes,
    counters,
    credit_record_versions,
    credit_records,
    history,
    organizations,
)

_CHUNK = 2_000
#: The elements a record's effective date is read from, first found first (as the library's ingest).
_EFFECTIVE_FROM = ("last_updated", "approved", "established")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def apply_organizations(conn: Connection, rows: Sequence[Mapping[str, str | None]], columns: Sequence[str],
                        origin: str, batch_id: str, package: str, digest: str) -> dict[str, int]:
    """Create or change the package's organizations under the change feed's lock; returns the counts."""
    started = _now()
    conn.execute(update(counters).where(counters.c.name == "feed").values(value=counters.c.value))
    seq = first = int(conn.execute(select(counters.c.value).where(counters.c.name == "feed")).scalar_one())
    source = f"exchange/{origin}"[:64]
    names = [c for c in columns if c != "uscc"]
    codes = [str(r["uscc"]) for r in rows]
    existing: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), _CHUNK):
        for found in conn.execute(select(organizations).where(
                organizations.c.uscc.in_(codes[start:start + _CHUNK]))).mappings():
            existing[found["uscc"]] = dict(found)
    new_rows, change_rows, history_rows = [], [], []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for row in rows:
        code = str(row["uscc"])
        values = {n: row.get(n) for n in names}
        effective = next((values[n] for n in _EFFECTIVE_FROM if values.get(n)), None)
        before = existing.get(code)
        if before is None:
            seq += 1
            new_rows.append({**values, "uscc": code, "authority_region": code[2:8], "source": source,
                             "batch_id": batch_id, "effective": effective, "seq": seq, "created_seq": seq,
                             "fingerprint": None})
            change_rows.append({"seq": seq, "uscc": code, "kind": "created", "batch_id": batch_id,
                                "effective": effective})
            counts["created"] += 1
            continue
        changed = {n: v for n, v in values.items() if before.get(n) != v}
        if not changed:
            counts["unchanged"] += 1
            continue
        seq += 1
        change_rows.append({"seq": seq, "uscc": code, "kind": "changed", "batch_id": batch_id,
                            "effective": effective})
        history_rows += [{"seq": seq, "element": n, "uscc": code, "old_value": before.get(n), "new_value": v}
                         for n, v in changed.items()]
        conn.execute(update(organizations).where(organizations.c.uscc == code).values(
            **changed, seq=seq, source=source, batch_id=batch_id, fingerprint=None,
            effective=max(effective or "", before.get("effective") or "") or None))
        counts["updated"] += 1
    for table, items in ((organizations, new_rows), (changes, change_rows), (history, history_rows)):
        for start in range(0, len(items), _CHUNK):
            conn.execute(insert(table), items[start:start + _CHUNK])
    conn.execute(update(counters).where(counters.c.name == "feed").values(value=seq))
    finished = _now()
    conn.execute(insert(batches).values(
        id=batch_id, source=source, file_name=package, file_hash=digest, status="committed", rows=len(rows),
        created=counts["created"], updated=counts["updated"], unchanged=counts["unchanged"], rejected=0,
        warnings=0, conflicts=0, first_seq=first + 1 if seq > first else None, last_seq=seq if seq > first else None,
        started_at=started, finished_at=finished, seconds=round((finished - started).total_seconds(), 3)))
    return counts


def _fingerprint(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:32]


def _current_row(row: Mapping[str, Any], batch_id: str, known: set[str]) -> dict[str, Any]:
    data = json.dumps(json.loads(str(row["values"])), ensure_ascii=False, sort_keys=True)
    code = row["subject_code"]
    return {"subject_key": row["subject_key"], "id": row["id"], "item": row["item"], "provider": row["provider"],
            "document_number": row["document_number"], "subject_type": row["subject_type"],
            "subject_name": row["subject_name"], "subject_code": code, "status": row["status"],
            "version": int(row["version"]), "severity": row["severity"], "decided_on": row["decided_on"],
            "valid_until": row["valid_until"], "due_on": None, "late": 0,
            "unknown_organization": int(row["subject_type"] != "natural_person" and bool(code) and code not in known),
            "data": data, "sealed": None, "fingerprint": _fingerprint(data), "batch_id": batch_id,
            "created_at": _moment(str(row["received"])), "updated_at": _moment(str(row["at"])),
            "revoked_on": row["revoked_on"], "reason": row["reason"], "action": row["action"]}


def _version_row(current: Mapping[str, Any], subject_key: str) -> dict[str, Any]:
    """A current row (as stored or planned) kept as a version under ``subject_key``."""
    return {"subject_key": subject_key, "record_id": current["id"], "version": int(current["version"]),
            "action": current["action"], "status": current["status"],
            "batch_id": current["batch_id"] if current["action"] in ("created", "updated") else None,
            "at": current["updated_at"], "data": current["data"], "sealed": current["sealed"],
            "fingerprint": current["fingerprint"], "reason": current["reason"]}


def apply_credit(conn: Connection, rows: Sequence[Mapping[str, str | None]], batch_id: str) -> dict[str, int]:
    """Write the package's record versions (see the module's text); returns the counts. Takes the locks a
    credit batch of this node takes for the same records — on PostgreSQL the advisory lock of each provider
    and item the package holds (in one order, so two imports never wait on each other in a circle), on
    SQLite the ``credit`` counter's row — so no batch writes them meanwhile."""
    if conn.dialect.name == "postgresql":
        for pair in sorted({f"{r['provider']}\x1f{r['item']}" for r in rows}):
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 3041))", (pair,))
    else:
        conn.execute(update(counters).where(counters.c.name == "credit").values(value=counters.c.value + 1))
    ids = sorted({str(r["id"]) for r in rows})
    current: dict[str, dict[str, Any]] = {}
    held: set[tuple[str, int]] = set()
    for start in range(0, len(ids), _CHUNK):
        part = ids[start:start + _CHUNK]
        for found in conn.execute(select(credit_records).where(credit_records.c.id.in_(part))).mappings():
            current[found["id"]] = dict(found)
            held.add((found["id"], int(found["version"])))
        held.update((r, int(v)) for r, v in conn.execute(select(
            credit_record_versions.c.record_id, credit_record_versions.c.version).where(
            credit_record_versions.c.record_id.in_(part))))
    codes = sorted({str(r["subject_code"]) for r in rows if r.get("subject_code")})
    known: set[str] = set()
    for start in range(0, len(codes), _CHUNK):
        known.update(conn.execute(select(organizations.c.uscc).where(
            organizations.c.uscc.in_(codes[start:start + _CHUNK]))).scalars())
    counts = {"created": 0, "updated": 0, "withdrawn": 0, "unchanged": 0}
    replaced: dict[str, dict[str, Any]] = {}  # record id → the stored current row being replaced
    versions: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (str(r["id"]), int(str(r["version"])))):
        record_id, version = str(row["id"]), int(str(row["version"]))
        if (record_id, version) in held:
            counts["unchanged"] += 1
            continue
        now = current.get(record_id)
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
    for record_id, old in replaced.items():
        new_key = current[record_id]["subject_key"]
        if new_key != old["subject_key"]:  # the record's history follows it to its new subject
            conn.execute(update(credit_record_versions).where(
                credit_record_versions.c.subject_key == old["subject_key"],
                credit_record_versions.c.record_id == record_id).values(subject_key=new_key))
        conn.execute(delete(credit_records).where(credit_records.c.subject_key == old["subject_key"],
                                                  credit_records.c.id == record_id))
    fresh = [{k: v for k, v in r.items() if k != "_new"} for r in current.values() if r.get("_new")]
    for table, items in ((credit_records, fresh), (credit_record_versions, versions)):
        for start in range(0, len(items), _CHUNK):
            conn.execute(insert(table), items[start:start + _CHUNK])
    return counts
