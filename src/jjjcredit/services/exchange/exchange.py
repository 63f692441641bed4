"""Exchange packages: export a full snapshot or a delta of the library or of the credit records, signed;
import one all or nothing, with a receipt; the peer nodes whose packages are accepted.

**Export** (:func:`export_package`) reads in one transaction (services/exchange/feed.py), through the
redaction point for the package's audience — ``public``: what the public sees (level-1 elements, credit
records in public disclosure that day, never a natural person); ``government``: what government sharing
at level 2 sees (elements up to level 2, every record of a government-sharing item with its versions,
natural persons included with their identity numbers masked) — writes the data in its format as the
rows are read (a batch at a time from server-side cursors: memory stays flat), in numbered parts past
``JJJCREDIT_LIMIT_EXCHANGE_PART_BYTES`` or ``_PART_ROWS``; then the manifest (core/exchange/packages.py)
signed with the node's current evidence key, into a folder that appears whole (written under a temporary
name, then renamed), and enters the export in the audit trail.

**Import** (:func:`import_package`) checks before it reads a row: the manifest's form, the producing
node among the peers, the signature with the peer's keys, each file's size and SHA-256; then the sequence
against what was applied from that node (a gap or an overlap refused, a package applied already
skipped); then, in one transaction, each data file or part's rows (every problem listed) and, while none
has a problem, applies them; then records the package — a refusal writes nothing but its audit entry,
and memory holds one part. A credit record new here under an item this node's catalogue withdrew or never
had is refused alone (services/exchange/apply.py): the receipt counts and lists it, the rest applies, and the
package is applied — the sequence moves on past it, as the same package would be refused the same record
again (the producer is told by the receipt; a later version comes with the record whole, a snapshot
``--after 0`` sends it again). Every outcome is a receipt for the producer
and an entry in the audit trail (who sent which range, accepted, skipped or refused, and why).
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, func, insert, select, update

from jjjcredit.core import limits
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error
from jjjcredit.core.exchange import packages, rows, rows_bulk
from jjjcredit.core.exchange.packages import ExchangeError, Scope
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing import audit as audit_chain
from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.exchange import apply, feed
from jjjcredit.services.library import search
from jjjcredit.services.sharing import audit, disclosure, evidence
from jjjcredit.storage import bulk, times
from jjjcredit.storage.schema import credit_records, exchange_packages, exchange_peers, federation_records

#: The largest manifest read (a manifest is a few KiB).
MANIFEST_BYTES = 1 << 20


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def audience_caller(audience: str, node: str) -> access.Caller:
    """The caller a package's audience reads as: the public, or an application party granted records at
    the government-sharing level (core/sharing/access.SHARING_LEVEL), named after the producing node."""
    packages.check_choice(audience, packages.AUDIENCES, "audience")
    if audience == "public":
        return access.PUBLIC
    return access.Caller(f"node:{node}", frozenset({"records", "changes", "lookup"}), access.SHARING_LEVEL, "client")


@dataclass(frozen=True)
class Exported:
    path: Path
    manifest: dict[str, Any]


def _entry(conn: Connection, command: str, outcome: str, purpose: str, operator: str | None,
           service: str = "exchange") -> None:
    """The exchange's entry in the audit trail (services/sharing/audit.py), in the caller's transaction."""
    name = operator or getpass.getuser()
    audit.append_entries(conn, [{
        "at": _now(), "request_id": uuid.uuid4().hex, "client": f"staff:{name}"[:200], "service": service,
        "purpose": purpose, "method": "CLI", "path": command, "codes": [], "status": 0 if outcome == "ok" else 1,
        "outcome": outcome, "latency_ms": 0.0, "items": []}])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_package(engine: Engine, out: str | Path, *, node: str, kind: str = "organizations",
                   audience: str = "public", fmt: str = "jsonl", after: int = 0, scope: Scope = Scope(),
                   box: evidence.KeyBox | None, encoding: str = "utf-8-sig", today: datetime.date | None = None,
                   operator: str | None = None, bounds: limits.Limits = limits.DEFAULT) -> Exported:
    """Write one package into the folder ``out`` (see the module's text); returns its folder and manifest.
    Its data goes on in a next part before a file holds more than ``bounds.exchange_part_bytes`` or
    ``bounds.exchange_part_rows``."""
    db.require_current(engine)
    packages.check_node(node)
    packages.check_choice(kind, packages.KINDS, "kind")
    packages.check_choice(fmt, packages.FORMATS, "format")
    packages.check_choice(encoding, packages.CSV_ENCODINGS, "encoding")
    packages.check_scope(kind, scope)
    caller = audience_caller(audience, node)
    parent = Path(out)
    if not parent.is_dir():
        raise ExchangeError("exchange.out", f'--out "{out}" is not a folder: packages are written as folders '
                            "inside it; create it first.", field="out")
    if after < 0:
        raise ExchangeError("exchange.after", f"--after {after} is below 0.", field="after")
    now = _now()
    day = today or disclosure.current_day()
    with engine.begin() as conn:
        if kind == "organizations":
            to = feed.feed_position(conn)
        else:
            to = feed.number_credit_versions(conn)
        if after > to:
            raise ExchangeError("exchange.after", f"--after {after} is past this node's {kind} sequence, which is at "
                                f"{to}: nothing has that number yet.", field="after")
        columns = (rows.columns_of(kind, disclosure.view_of(caller).elements) if kind == "organizations"
                   else rows.CREDIT_COLUMNS)
        name = packages.package_name(node, kind, scope, audience, after, to, now)
        target = parent / name
        if target.exists():
            raise ExchangeError("exchange.out", f'"{target}" exists already: a package is never overwritten.',
                                field="out")
        temporary = parent / f".{name}.partial"
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir()
        data: _Parts | None = None
        try:
            # the data written as its rows are read (a snapshot of the library is never held whole), in parts
            data = _Parts(temporary, fmt, kind, columns, encoding, bounds.exchange_part_bytes,
                          bounds.exchange_part_rows)
            if kind == "organizations":
                for batch in feed.organization_batches(conn, caller, scope, after, to):
                    data.write(batch)
                counts = {"rows": data.rows}
            else:
                counts = {"rows": 0, "records": 0, "withdrawals": 0}
                for batch in feed.credit_batches(conn, caller, scope, after, to, day):
                    data.write(batch)
                    counts = {k: counts[k] + n for k, n in _counts(kind, batch).items()}  # (a record in one batch)
            files = data.close()
            manifest, extra = _signed_manifest(conn, box, node=node, kind=kind, audience=audience, fmt=fmt,
                                               scope=scope, after=after, to=to, files=files, counts=counts,
                                               columns=columns, day=day, now=now, encoding=encoding)
            for file_name, content in extra.items():
                (temporary / file_name).write_bytes(content)
            (temporary / packages.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n",
                                                       encoding="utf-8")
            _entry(conn, f"exchange export {name}", "ok", f"sent {kind} {after + 1}-{to} ({audience}, "
                   f"{scope.key()}, {fmt}): {data.rows} rows", operator)
            os.replace(temporary, target)
        except BaseException:
            if data is not None:
                data.abandon()
            shutil.rmtree(temporary, ignore_errors=True)
            raise
    return Exported(target, manifest)


class _Parts:
    """A package's data written into ``folder`` a batch at a time: one file, or — when the next batch would
    take a file past ``part_bytes`` (by the bytes a row has taken so far) or ``part_rows`` — numbered parts
    (:func:`packages.data_file`), each a whole file of its format; a part is larger only when one batch is.
    ``close`` gives the manifest's entries of them."""

    def __init__(self, folder: Path, fmt: str, kind: str, columns: Sequence[str], encoding: str,
                 part_bytes: int, part_rows: int) -> None:
        self.folder, self.fmt, self.kind, self.columns, self.encoding = folder, fmt, kind, columns, encoding
        self.part_bytes, self.part_rows = part_bytes, part_rows
        self.files: list[dict[str, Any]] = []
        self.rows = 0
        self._sink: BinaryIO | None = None
        self._data: rows.DataWriter | None = None
        self._start()

    def _start(self) -> None:
        name = packages.data_file(self.kind, self.fmt, len(self.files) + 1)
        self._sink = (self.folder / name).open("wb")
        self._data = rows.DataWriter(self._sink, self.fmt, self.kind, self.columns, self.encoding)
        self.files.append({"name": name})

    def _finish(self) -> None:
        assert self._data is not None and self._sink is not None
        self._data.close()
        self._sink.close()
        self.files[-1].update(bytes=self._data.size, rows=self._data.rows, sha256=self._data.sha256)

    def write(self, batch: Sequence[Mapping[str, Any]]) -> None:
        assert self._data is not None
        written, size = self._data.rows, self._data.size
        if written and batch and (size + len(batch) * size / written > self.part_bytes
                                  or written + len(batch) > self.part_rows):  # the batch would pass either
            self._finish()
            if len(self.files) >= packages.MAX_PARTS:
                raise ExchangeError("exchange.too_large", f"The package would be more than {packages.MAX_PARTS} files "
                                    f"of {self.part_bytes:,} bytes: export it in smaller scopes (--region, "
                                    "--department, --item) or deltas.", field="out")
            self._start()
        self._data.write(batch)
        self.rows += len(batch)

    def close(self) -> list[dict[str, Any]]:
        """The last file ended; the entries of the data's files (one file named as a whole package's)."""
        self._finish()
        if len(self.files) == 1:
            whole = packages.data_file(self.kind, self.fmt)
            (self.folder / self.files[0]["name"]).rename(self.folder / whole)
            self.files[0]["name"] = whole
        return self.files

    def abandon(self) -> None:
        if self._sink is not None:
            self._sink.close()


def sign_package(conn: Connection, box: evidence.KeyBox | None, *, node: str, kind: str, audience: str, fmt: str,
                 scope: Scope, after: int, to: int, found: list[dict[str, Any]], columns: Sequence[str],
                 day: datetime.date, now: datetime.datetime, encoding: str = "utf-8-sig",
                 ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A package of ``found`` (rows already read through the redaction point for ``audience``): its manifest,
    signed with the node's current evidence key, and its files by name (the data file, an XML package's
    schema) — what :func:`export_package` writes as a folder and federation sends as a message."""
    out = io.BytesIO()
    data = rows.DataWriter(out, fmt, kind, columns, encoding)
    data.write(found)
    data.close()
    files = [{"name": packages.data_file(kind, fmt), "bytes": data.size, "rows": data.rows, "sha256": data.sha256}]
    manifest, extra = _signed_manifest(conn, box, node=node, kind=kind, audience=audience, fmt=fmt, scope=scope,
                                       after=after, to=to, files=files, counts=_counts(kind, found),
                                       columns=columns, day=day, now=now, encoding=encoding)
    return manifest, {packages.data_file(kind, fmt): out.getvalue(), **extra}


def _signed_manifest(conn: Connection, box: evidence.KeyBox | None, *, node: str, kind: str, audience: str,
                     fmt: str, scope: Scope, after: int, to: int, files: list[dict[str, Any]],
                     counts: dict[str, int], columns: Sequence[str], day: datetime.date, now: datetime.datetime,
                     encoding: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The signed manifest of a package whose data is in ``files`` (the manifest's entries of its data file
    or parts), and the package's other files by name (an XML package's schema)."""
    edition = catalogue_service.latest_published(conn, before=day.year + 1)
    files = list(files)
    extra: dict[str, bytes] = {}
    if fmt == "xml":
        schema = rows.xsd(kind).encode("utf-8")
        files.append({"name": f"{kind}.xsd", "bytes": len(schema), "rows": 0,
                      "sha256": hashlib.sha256(schema).hexdigest()})
        extra[files[-1]["name"]] = schema
    manifest: dict[str, Any] = {
        "format_version": packages.FORMAT_VERSION, "package": packages.package_name(node, kind, scope, audience,
                                                                                    after, to, now),
        "node": node, "kind": kind,
        "audience": audience, "scope": scope.to_dict(), "sequence": {"after": after, "to": to},
        "snapshot": after == 0, "created_at": audit_chain.format_time(now), "as_of": day.isoformat(),
        "catalogue_edition": edition.year if edition else None, "data_elements": packages.elements_version(),
        "personal": packages.PERSONAL, "format": fmt, "encoding": encoding if fmt == "csv" else None,
        "columns": list(columns), "files": files, "counts": counts, "signature": {}}
    key_id, key = evidence.current_key(conn, box)
    return packages.sign(manifest, key, key_id), extra


def _counts(kind: str, found: list[dict[str, Any]]) -> dict[str, int]:
    """A package's counts: its rows; for credit records also the records and the withdrawals among them."""
    if kind == "organizations":
        return {"rows": len(found)}
    return {"rows": len(found), "records": len({r["id"] for r in found}),
            "withdrawals": sum(1 for r in found if not r.get("values"))}


# --- import ------------------------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / packages.MANIFEST
    if not path.is_file():
        raise ExchangeError("exchange.truncated", f'"{folder}" holds no {packages.MANIFEST}: not a whole package '
                            "(copy the whole folder again).", field="manifest")
    if path.stat().st_size > MANIFEST_BYTES:
        raise ExchangeError("exchange.malformed", f"{packages.MANIFEST} is over {MANIFEST_BYTES} bytes.",
                            field="manifest")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExchangeError("exchange.malformed", f"{packages.MANIFEST} is not JSON ({exc}): the copy was cut "
                            "short or changed.", field="manifest") from None
    return packages.check_manifest(data)


def _peer_keys(conn: Connection, name: str, own: str) -> dict[str, str]:
    peer = exchange_peers.c
    stored = conn.execute(select(peer["keys"]).where(peer.name == name)).scalar_one_or_none()
    if stored is None:
        known = ", ".join(conn.execute(select(exchange_peers.c.name).order_by(exchange_peers.c.name)).scalars())
        mine = " (it is this node's own name)" if name == own else ""
        shown = shown_personal(name)  # (not signed yet: what it says is not trusted, nor shown in clear)
        raise ExchangeError("exchange.unknown_node", f'The package comes from node "{shown}"{mine}, which is not '
                            f"among this node's peers ({known or 'none'}): add it with `jjjcredit exchange peers "
                            f"add {shown} --keys FILE` (its published keys) before importing its packages.",
                            field="node")
    return dict(json.loads(stored))


def _check_files(folder: Path, manifest: Mapping[str, Any], bounds: limits.Limits) -> None:
    """Every file of the package against its manifest entry — none over ``bounds.exchange_file_bytes`` or
    ``bounds.exchange_file_rows`` (a data file or part is read whole), all together not over
    ``bounds.exchange_package_bytes`` — before any of them is read past its hash."""
    sizes: list[tuple[Mapping[str, Any], Path, int]] = []
    for entry in manifest["files"]:
        path = folder / entry["name"]
        exists = path.is_file()
        size = max(path.stat().st_size if exists else 0, int(entry.get("bytes") or 0))
        if size > bounds.exchange_file_bytes:
            raise ExchangeError("exchange.too_large", f'"{entry["name"]}" is {size:,} bytes, over the '
                                f"{bounds.exchange_file_bytes:,} a package's file may have "
                                "(JJJCREDIT_LIMIT_EXCHANGE_FILE_BYTES): export it again with smaller parts "
                                "(JJJCREDIT_LIMIT_EXCHANGE_PART_BYTES), in smaller scopes (--region, --department, "
                                "--item) or as deltas.", field=entry["name"])
        if int(entry.get("rows") or 0) > bounds.exchange_file_rows:
            raise ExchangeError("exchange.too_large", f'"{entry["name"]}" holds {int(entry["rows"]):,} rows, over the '
                                f"{bounds.exchange_file_rows:,} a package's file may have "
                                "(JJJCREDIT_LIMIT_EXCHANGE_FILE_ROWS): export it again with smaller parts "
                                "(JJJCREDIT_LIMIT_EXCHANGE_PART_ROWS), in smaller scopes or as deltas.",
                                field=entry["name"])
        sizes.append((entry, path, size))
    total = sum(size for _entry, _path, size in sizes)
    if total > bounds.exchange_package_bytes:
        raise ExchangeError("exchange.too_large", f"The package's files are {total:,} bytes together, over the "
                            f"{bounds.exchange_package_bytes:,} a package may have (JJJCREDIT_LIMIT_EXCHANGE_PACKAGE_"
                            "BYTES): export it in smaller scopes (--region, --department, --item) or as deltas.",
                            field="files")
    for entry, path, _size in sizes:
        exists = path.is_file()
        packages.check_file(entry, path.stat().st_size if exists else None, _sha256(path) if exists else None)


def _read_part(folder: Path, entry: Mapping[str, Any], most: int) -> bytes:
    """A data file or part read whole, as its manifest entry says it is (checked again as read: a file
    changed since :func:`_check_files` hashed it is refused, never applied)."""
    path = folder / entry["name"]
    try:
        with path.open("rb") as fh:
            data: bytes = fh.read(most + 1)
    except OSError:  # gone since (or unreadable): as missing
        packages.check_file(entry, None, None)
        raise
    packages.check_file(entry, len(data), hashlib.sha256(data).hexdigest())
    return data


def peer_keys(conn: Connection, name: str, own: str) -> dict[str, str]:
    """The published keys of peer ``name`` (key id → PEM); ``exchange.unknown_node`` when it is none."""
    return _peer_keys(conn, name, own)


def checked_contents(manifest: Mapping[str, Any], contents: Mapping[str, bytes]) -> tuple[Sequence[rows.Row],
                                                                                         list[dict[str, Any]]]:
    """As a folder's files are checked, files held in memory (a package sent as a message, whose data is one
    file): each file against its manifest entry, then the data file's rows and their problems."""
    entries = packages.data_entries(manifest)
    if len(entries) != 1:
        raise ExchangeError("exchange.malformed", f"The package's data is {len(entries)} parts: a package sent as "
                            "a message holds one data file.", field="files")
    for entry in manifest["files"]:
        content = contents.get(entry["name"])
        packages.check_file(entry, None if content is None else len(content),
                            None if content is None else hashlib.sha256(content).hexdigest())
    return checked_rows(manifest, entries[0], contents[entries[0]["name"]])


def checked_rows(manifest: Mapping[str, Any], entry: Mapping[str, Any], data: bytes,
                 ) -> tuple[Sequence[rows.Row], list[dict[str, Any]]]:
    """The rows of a data file (or part: ``entry``, its manifest entry) that matches its entry, and their
    problems (each naming the part, when the data is in parts)."""
    found, cells = rows_bulk.read_cells(manifest["format"], manifest["kind"], manifest["columns"], data,
                                        manifest["encoding"] or "utf-8")
    if len(found) != entry["rows"]:
        raise ExchangeError("exchange.malformed", f'"{entry["name"]}" holds {len(found)} rows; the manifest says '
                            f'{entry["rows"]}.', field=entry["name"])
    if manifest["kind"] == "organizations":
        problems = rows_bulk.check_organizations(found, manifest["columns"], cells)
    else:
        problems = rows_bulk.check_credit(found, manifest["columns"], cells)
    if len(packages.data_entries(manifest)) > 1:
        for problem in problems:
            problem["file"] = entry["name"]
    return found, problems


def import_package(engine: Engine, folder: str | Path, *, node: str, box: evidence.KeyBox | None = None,
                   operator: str | None = None, bounds: limits.Limits = limits.DEFAULT,
                   today: datetime.date | None = None) -> dict[str, Any]:
    """Check and apply one package (see the module's text); returns the receipt — ``status`` accepted,
    skipped or rejected, with the reason and each row's problems; accepted, with the counts and the credit
    records ``refused`` (each with why) — signed with this node's evidence key when ``box`` (the operator's
    secret) is given, so the producer can check it with the keys this node publishes
    (:func:`packages.check_signature`). Nothing is applied unless all is, but the records refused alone.
    ``today``: the day the catalogue in force is read on (Beijing's, by default)."""
    answer = _import(engine, folder, node, operator, bounds, today)
    if box is None:
        return answer
    with engine.begin() as conn:
        key_id, key = evidence.current_key(conn, box)
    return packages.sign(answer, key, key_id)


def _import(engine: Engine, folder: str | Path, node: str, operator: str | None,
            bounds: limits.Limits, today: datetime.date | None) -> dict[str, Any]:
    db.require_current(engine)
    path = Path(folder)
    if not path.is_dir():
        raise ExchangeError("exchange.malformed", f'"{folder}" is not a folder: a package is the folder '
                            "`jjjcredit exchange export` wrote.", field="package")
    manifest: dict[str, Any] | None = None
    name = path.name
    problems: list[dict[str, Any]] = []
    try:
        manifest = _read_manifest(path)
        name = str(manifest["package"])
        with engine.connect() as conn:
            keys = _peer_keys(conn, manifest["node"], node)
        packages.check_signature(manifest, keys)
        _check_files(path, manifest, bounds)
        return _apply(engine, path, manifest, node, operator, bounds.exchange_file_bytes, problems, today)
    except ExchangeError as exc:
        return _refused(engine, manifest, name, node, exc, problems, operator)


def _refused(engine: Engine, manifest: Mapping[str, Any] | None, name: str, node: str, reason: Error,
             problems: list[dict[str, Any]], operator: str | None) -> dict[str, Any]:
    with engine.begin() as conn:
        _entry(conn, f"exchange import {name}", reason.code, _purpose(manifest, "refused", reason.message), operator)
    return packages.receipt(manifest, name, node, "rejected", reason=reason, problems=problems,
                            at=audit_chain.format_time(_now()))


def record_entry(conn: Connection, command: str, outcome: str, purpose: str, operator: str | None,
                 service: str = "exchange") -> None:
    """An entry in the audit trail for an exchange (or a federation's: ``service``), in the caller's transaction."""
    _entry(conn, command, outcome, purpose, operator, service)


def purpose_of(manifest: Mapping[str, Any] | None, outcome: str, why: str = "") -> str:
    """What the audit trail says of a package: from which node, which kind and range, the outcome and why."""
    return _purpose(manifest, outcome, why)


def _purpose(manifest: Mapping[str, Any] | None, outcome: str, why: str = "") -> str:
    if manifest is None:
        return f"{outcome}: {why}"[:2000]
    seq = manifest["sequence"]
    text = (f'from {manifest["node"]}: {manifest["kind"]} {seq["after"] + 1}-{seq["to"]} ({manifest["audience"]}, '
            f'{Scope.from_dict(manifest["scope"]).key()}) {outcome}')
    return (f"{text}: {why}" if why else text)[:2000]


def _keys(manifest: Mapping[str, Any], found: Sequence[rows.Row]) -> list[Any]:
    """The rows' keys: an organization's code, a credit record's id (its versions travel together)."""
    key = "uscc" if manifest["kind"] == "organizations" else "id"
    if isinstance(found, rows_bulk.Rows) and key in found.columns:
        return list(found.column(key))
    return [r.get(key) for r in found]


def _in_order(manifest: Mapping[str, Any], entry: Mapping[str, Any], found: Sequence[rows.Row],
              last: str | None, refused: set[int]) -> tuple[list[dict[str, Any]], str | None]:
    """The problem of a part whose first key is not after ``last``, the last key of the part before (an
    export writes parts in key order, so a key in two parts — which each part's own checks cannot see — is
    refused here), and this part's last key; rows refused already (``refused``) left out."""
    keys = [(str(k), row) for row, k in enumerate(_keys(manifest, found), 1) if k and row not in refused]
    if not keys:
        return [], last
    (first, row), end = min(keys), max(keys)[0]
    if last is None or first > last:
        return [], end
    field = "uscc" if manifest["kind"] == "organizations" else "id"
    return [{"row": row, "field": field, "code": "exchange.row", "file": entry["name"],
             "message": f'"{first}" is not after "{last}", the last {field} of the part before: a package\'s parts '
                        f"hold their {field}s in order, each in one part."}], end


def _apply(engine: Engine, path: Path, manifest: Mapping[str, Any], node: str, operator: str | None, most: int,
           problems: list[dict[str, Any]], today: datetime.date | None) -> dict[str, Any]:
    """Apply the package in one transaction, a data file (or part) at a time: each part's rows checked, then
    applied; once a part has problems, the rest are only checked (every problem goes into ``problems`` for
    the receipt) and the transaction is rolled back — nothing applied unless all is (the credit records
    refused alone, listed in the receipt's ``refused``, aside)."""
    scope = Scope.from_dict(manifest["scope"]).key()
    seq = manifest["sequence"]
    digest = _sha256(path / packages.MANIFEST)
    entries = packages.data_entries(manifest)
    with engine.begin() as conn:
        p = exchange_packages.c
        last = conn.execute(select(func.max(p.to_seq)).where(
            p.origin == manifest["node"], p.kind == manifest["kind"], p.scope == scope,
            p.audience == manifest["audience"])).scalar_one_or_none()
        decision = packages.decide_sequence(seq["after"], seq["to"], None if last is None else int(last))
        if decision == "skip":
            why = (f"Already applied: this node applied sequence up to {last} from {manifest['node']}, and this "
                   f"package ends at {seq['to']}; nothing was changed.")
            _entry(conn, f"exchange import {manifest['package']}", "exchange.already_applied",
                   _purpose(manifest, "skipped", why), operator)
            return packages.receipt(manifest, str(manifest["package"]), node, "skipped",
                                    reason=Error("exchange.already_applied", why), at=audit_chain.format_time(_now()))
        package_id = f"X{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        since = signed_before(conn, manifest["node"], manifest["kind"], scope, manifest["audience"])
        apply_held(conn, today=today, operator=operator)  # what an edition published since lets in, first
        counts: dict[str, int] = {}
        declined: list[dict[str, Any]] = []  # credit records refused alone (services/exchange/apply.py)
        applied = 0
        credit = manifest["kind"] == "credit_records"
        if credit and len(entries) > 1 and conn.dialect.name == "postgresql":
            # every part's provider-and-item locks taken first, in one order (a part at a time would take
            # them out of order: two imports could wait on each other in a circle)
            for entry in entries:
                apply.lock_credit(conn, checked_rows(manifest, entry, _read_part(path, entry, most))[0])
        before: str | None = None  # the part before's last key: parts hold their keys in order, each once
        for number, entry in enumerate(entries, 1):
            found, found_problems = checked_rows(manifest, entry, _read_part(path, entry, most))
            disorder, before = _in_order(manifest, entry, found, before, {p["row"] for p in found_problems})
            problems += found_problems + disorder
            if problems:  # the rest only checked
                del found
                continue
            if manifest["kind"] == "organizations":
                batch = package_id if len(entries) == 1 else f"{package_id}.{number:04d}"
                done = apply.apply_organizations(conn, found, manifest["columns"], manifest["node"], batch,
                                                 str(manifest["package"])[:1000], digest)
            else:
                at_apply: list[dict[str, Any]] = []  # refusing the package
                alone: list[dict[str, Any]] = []  # refusing a record
                held_back: list[Mapping[str, Any]] = []  # of records under an item unknown here yet
                done = apply.apply_credit(conn, found, package_id, at_apply, alone, today, since, held_back)
                apply.hold_credit(conn, manifest["node"], str(manifest["package"]), held_back, since, False)
                if len(entries) > 1:
                    for problem in (*at_apply, *alone):
                        problem["file"] = entry["name"]
                problems += at_apply
                declined += alone
            for key, value in done.items():
                counts[key] = counts.get(key, 0) + value
            applied += len(found)
            del found
        if problems:  # (raised inside the transaction: what the parts before wrote is rolled back)
            raise ExchangeError("exchange.rows", f"{len(problems)} problems in the package's rows (listed in the "
                                "receipt): nothing was applied.", field="rows")
        conn.execute(insert(exchange_packages).values(
            id=package_id[:32], package=manifest["package"], origin=manifest["node"], kind=manifest["kind"],
            scope=scope, audience=manifest["audience"], after_seq=seq["after"], to_seq=seq["to"],
            format=manifest["format"], manifest_sha256=digest, rows=applied, applied_at=_now(),
            created_at=signed_at(manifest)))
        _entry(conn, f"exchange import {manifest['package']}", "ok",
               _purpose(manifest, "accepted", counted(counts, declined)), operator)
    if manifest["kind"] == "organizations":
        search.refresh(engine)
    result = packages.receipt(manifest, str(manifest["package"]), node, "accepted", applied=applied,
                              at=audit_chain.format_time(_now()))
    result["counts"] = counts
    if credit:
        result["refused"] = declined
    return result


def apply_held(conn: Connection, *, today: datetime.date | None = None, operator: str | None = None,
               service: str = "exchange") -> dict[str, int]:
    """Apply the credit record versions held back (services/exchange/apply.take_held: their item unknown here
    when they came, known now), in the caller's transaction, as their packages would have: judged received no
    earlier than when they were first offered; a producer's record under federation (``owned``) left when this
    node or a third node now owns it, else given its owner. An audit entry for each producer's; returns the
    counts. Versions the apply refuses whole (a problem of the rows) are held back again."""
    total: dict[str, int] = {}
    for group in apply.take_held(conn, today):
        rows_ = group.rows
        kept = 0
        if group.owned:
            rows_, kept = _owned_by(conn, rows_, group.origin)
        batch = f"H{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        problems: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        again: list[Mapping[str, Any]] = []
        counts = apply.apply_credit(conn, rows_, batch, problems, refused, today, group.since, again)
        if problems:
            apply.hold_credit(conn, group.origin, "(held back)", rows_, group.since, group.owned)
            _entry(conn, "exchange apply held", problems[0]["code"], f"held back from {group.origin}: still held, "
                   f"{len(problems)} problems, the first: {problems[0]['message']}", operator, service)
            continue
        apply.hold_credit(conn, group.origin, "(held back)", again, group.since, group.owned)
        if group.owned:
            taken = {str(r["id"]) for r in rows_} - {str(r["id"]) for r in refused}
            f = federation_records.c
            owned: set[str] = set()
            for among in bulk.among(conn, f.record_id, sorted(taken)):
                owned.update(conn.execute(select(f.record_id).where(among)).scalars())
            bulk.insert_rows(conn, federation_records.name, ("record_id", "origin"),
                             [{"record_id": r, "origin": group.origin} for r in sorted(taken - owned)])
            counts["kept_own"] = kept
        _entry(conn, "exchange apply held", "ok", f"held back from {group.origin}, applied now: "
               f"{counted(counts, refused)}", operator, service)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def _owned_by(conn: Connection, found: Sequence[Mapping[str, Any]], origin: str,
              ) -> tuple[list[dict[str, str | None]], int]:
    """Of held rows from ``origin`` (federation), those of records ``origin`` owns — a record not held here, or
    one it owns already — and how many were left (this node's own, or a third node's)."""
    ids = sorted({str(r["id"]) for r in found})
    owners: dict[str, str] = {}
    held: set[str] = set()
    for among in bulk.among(conn, federation_records.c.record_id, ids):
        owners.update(conn.execute(select(federation_records.c.record_id, federation_records.c.origin)
                                   .where(among)).all())
    for among in bulk.among(conn, credit_records.c.id, ids):
        held.update(conn.execute(select(credit_records.c.id).where(among)).scalars())
    mine = [dict(r) for r in found if owners.get(str(r["id"]), origin if str(r["id"]) not in held else "") == origin]
    return mine, len(found) - len(mine)


def signed_at(manifest: Mapping[str, Any]) -> datetime.datetime | None:
    """When the producer signed a package (its manifest's ``created_at``), in UTC; ``None`` when that is no time."""
    try:
        return times.utc(datetime.datetime.fromisoformat(str(manifest["created_at"]).replace("Z", "+00:00")))
    except ValueError:
        return None


def signed_before(conn: Connection, origin: str, kind: str, scope: str, audience: str) -> datetime.datetime | None:
    """When ``origin`` signed the last package of ``kind``, ``scope`` (its key) and ``audience`` applied here —
    ``None`` before the first. A credit record this node has not taken from an earlier package of the producer
    reached the producer after it numbered that package's range, so no earlier than about this time (the
    producer's own word, given before the record was sent): a record new here is judged as received no earlier
    (services/exchange/apply.py), so a ``received`` set back cannot place it before a withdrawal."""
    p = exchange_packages.c
    found = conn.execute(select(p.created_at).where(
        p.origin == origin, p.kind == kind, p.scope == scope, p.audience == audience)
        .order_by(p.to_seq.desc(), p.applied_at.desc()).limit(1)).scalar_one_or_none()
    return times.utc(found)


def counted(counts: Mapping[str, int], refused: Sequence[Mapping[str, Any]]) -> str:
    """What the audit trail says an accepted package did: its counts, and the credit records refused alone
    (which, and the first one's code)."""
    text = ", ".join(f"{k} {v}" for k, v in counts.items())
    ids = sorted({str(r["id"]) for r in refused})
    if ids:
        text += f" (records refused: {', '.join(ids[:20])}{' …' if len(ids) > 20 else ''}; {refused[0]['code']})"
    return text


# --- peers and keys ------------------------------------------------------------------------------------


def add_peer(conn: Connection, name: str, keys: Any, *, own: str, operator: str | None = None) -> dict[str, Any]:
    """Know node ``name`` by its published keys (the body of its ``/api/v1/keys``, or ``exchange keys``),
    each checked to be an Ed25519 public key; a node added again has its keys replaced."""
    packages.check_node(name, "name")
    if name == own:
        raise ExchangeError("exchange.peer", f'"{name}" is this node\'s own name (JJJCREDIT_NODE): a peer is '
                            "another node.", field="name")
    try:
        public = evidence.key_map(keys)
    except (signatures.EvidenceError, TypeError, KeyError) as exc:
        raise ExchangeError("exchange.peer", f"The keys file is not a list of published keys: {exc}.",
                            field="keys") from None
    if not public:
        raise ExchangeError("exchange.peer", "The keys file holds no key: save the body of the node's "
                            "/api/v1/keys (or `jjjcredit exchange keys` run there).", field="keys")
    for key_id, pem in public.items():
        try:
            signatures.load_public(pem, key_id)
        except signatures.EvidenceError as exc:
            raise ExchangeError("exchange.peer", exc.message, field="keys") from None
    stored = json.dumps(dict(sorted(public.items())))
    who = operator or getpass.getuser()
    if conn.execute(select(exchange_peers.c.name).where(exchange_peers.c.name == name)).first() is None:
        conn.execute(insert(exchange_peers).values(name=name, keys=stored, added_by=who, added_at=_now()))
    else:
        conn.execute(update(exchange_peers).where(exchange_peers.c.name == name).values(
            keys=stored, added_by=who, added_at=_now()))
    _entry(conn, f"exchange peers add {name}", "ok", f"peer {name}: keys {', '.join(sorted(public))}", operator)
    return {"name": name, "keys": sorted(public)}


def list_peers(conn: Connection) -> list[dict[str, Any]]:
    """The peers, by name: their key ids, who added them and when, and the last package applied from each."""
    p = exchange_packages.c
    out = []
    for row in conn.execute(select(exchange_peers).order_by(exchange_peers.c.name)).mappings():
        last = conn.execute(select(p.package, p.applied_at).where(p.origin == row["name"])
                            .order_by(p.applied_at.desc()).limit(1)).first()
        out.append({"name": row["name"], "keys": sorted(json.loads(row["keys"])), "added_by": row["added_by"],
                    "added_at": audit_chain.format_time(row["added_at"]),
                    "last_package": last.package if last else None})
    return out


def own_keys(conn: Connection, node: str, box: evidence.KeyBox | None = None) -> dict[str, Any]:
    """This node's published keys, in the form ``exchange peers add`` reads (and ``/api/v1/keys`` serves);
    with the operator's secret, the signing key is made first when there is none yet."""
    if box is not None:
        evidence.current_key(conn, box)
    return {"node": node, "keys": evidence.public_keys(conn)}
