"""Exchange packages: what one is called, what its manifest says, how it is signed and checked, and
whether a receiving node applies, skips or refuses it. Pure: the service reads and writes the files.

A package is a folder holding its data file and ``manifest.json``; a large package's data is cut into
parts of about the same size (:data:`MAX_PARTS` at most), each a whole file of its format, named by its
number (:func:`data_file`), so a receiver checks and applies one part at a time. It carries one **kind** of data
(:data:`KINDS`: the library's organizations, or credit records) for one **audience** (:data:`AUDIENCES`:
what the public may see, or what government sharing between departments and nodes may see — decided by
the one redaction point, never here) and one **scope** (every record, or a region, a registering
department, a catalogue item). It is a **full snapshot** (``after`` 0) or a **delta**: everything after
sequence ``after`` up to ``to`` of the producing node's sequence for that kind (the library's change
feed; for credit records the exchange's own feed of record versions).

Its name says all of that (:func:`package_name`)::

    hebei-organizations-all-public-000000000001-000000000042-20260601T080000Z

The manifest holds the counts, each file's size and SHA-256, the sequence range, the catalogue edition,
the data elements' version, the producing node, and an Ed25519 signature with the node's evidence key over
the RFC 8785 (JCS) form of everything else in it (:func:`canonical`), so a package is checked with the
keys the node publishes at ``/api/v1/keys``.

>>> name = package_name("hebei", "organizations", Scope(), "public", 0, 42,
...                     datetime.datetime(2026, 6, 1, 8, tzinfo=datetime.UTC))
>>> name
'hebei-organizations-all-public-000000000001-000000000042-20260601T080000Z'
>>> decide_sequence(0, 42, None), decide_sequence(42, 50, 42), decide_sequence(10, 42, 42)
('apply', 'apply', 'skip')
>>> decide_sequence(43, 50, 42)
Traceback (most recent call last):
...
jjjcredit.core.exchange.packages.ExchangeError: A gap: this package holds sequence 44 to 50, and the last package applied from this node ended at 42; expected the package that starts at 43 (after 42).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature

from jjjcredit.core.codes import departments, regions
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error
from jjjcredit.core.library import element_schemas
from jjjcredit.core.sharing import evidence

#: The kinds of data a package carries, each with its own sequence.
KINDS: tuple[str, ...] = ("organizations", "credit_records")
#: Whom a package is meant for: the redaction point cuts it to what that audience may see.
AUDIENCES: tuple[str, ...] = ("public", "government")
FORMATS: tuple[str, ...] = ("jsonl", "csv", "xml", "parquet")
#: The encodings a CSV package is written in.
CSV_ENCODINGS: tuple[str, ...] = ("utf-8-sig", "gb18030")
MANIFEST = "manifest.json"
#: The manifest's own version: a receiver refuses one it does not know.
FORMAT_VERSION = 1
#: The standard the data elements follow, and a digest of their definitions (names, formats, value
#: lists, levels): two nodes with the same version read each other's organizations the same way.
ELEMENTS_STANDARD = "DB11/DB12/DB13 T 3040-2024"
#: How natural persons' identity numbers travel: masked, as stored in ``data`` (never the sealed value:
#: each node's personal data key is its own, and no node can open another's seal).
PERSONAL = "masked"
_NODE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_MANIFEST_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format_version": int, "package": str, "node": str, "kind": str, "audience": str, "scope": dict,
    "sequence": dict, "snapshot": bool, "created_at": str, "as_of": str, "catalogue_edition": (int, type(None)),
    "data_elements": str, "personal": str, "format": str, "encoding": (str, type(None)), "columns": list,
    "files": list, "counts": dict, "signature": dict}


class ExchangeError(Error, ValueError):
    """Why a package is refused, or an export cannot be made: ``exchange.*`` codes (core/errors.py)."""


def elements_version() -> str:
    """The data elements' version a package's organizations follow: the standard and a digest of the
    generated JSON Schema (any change to an element changes it)."""
    digest = hashlib.sha256(element_schemas.json_schema_text().encode("utf-8")).hexdigest()[:12]
    return f"{ELEMENTS_STANDARD} elements-{digest}"


def check_node(name: str, what: str = "node") -> str:
    """A node's name: a lower-case word (``hebei``, ``beijing``, ``tianjin``, ``hebei-2``).

    >>> check_node("hebei")
    'hebei'
    >>> check_node("Hebei Node")
    Traceback (most recent call last):
    ...
    jjjcredit.core.exchange.packages.ExchangeError: A node is named by a lower-case letter then up to 31 lower-case letters, digits or hyphens (hebei, beijing-2); "Hebei Node" is not.
    """
    if not isinstance(name, str) or not _NODE.match(name):
        raise ExchangeError("exchange.node", "A node is named by a lower-case letter then up to 31 lower-case "
                            f'letters, digits or hyphens (hebei, beijing-2); "{shown_personal(str(name)[:80])}" is '
                            "not.", field=what)
    return name


@dataclass(frozen=True)
class Scope:
    """What part of the data a package covers: everything, or a region (the registering authority's
    province: ``hebei``), a registering department (a code's position 1: ``9``) — organizations — or a
    catalogue item (``JJJ-03-001``) — credit records."""

    region: str | None = None
    department: str | None = None
    item: str | None = None

    def key(self) -> str:
        """The scope as a package name writes it.

        >>> Scope().key(), Scope(region="hebei", department="9").key(), Scope(item="JJJ-03-001").key()
        ('all', 'region-hebei+department-9', 'item-JJJ-03-001')
        """
        parts = [f"{k}-{v}" for k, v in (("region", self.region), ("department", self.department),
                                         ("item", self.item)) if v]
        return "+".join(parts) or "all"

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("region", self.region), ("department", self.department), ("item", self.item))
                if v}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scope:
        values = {k: data.get(k) for k in ("region", "department", "item")}
        if set(data) - set(values) or any(v is not None and not isinstance(v, str) for v in values.values()):
            raise ExchangeError("exchange.malformed", f"The manifest's scope {dict(data)} is not a region, "
                                "department or item.", field="scope")
        return cls(**values)


def check_scope(kind: str, scope: Scope) -> Scope:
    """The scope, checked for the kind: a region or department for organizations, an item for credit
    records, each a known value."""
    if kind == "organizations" and scope.item:
        raise ExchangeError("exchange.scope", "An organizations package is scoped by --region or --department; "
                            "--item scopes credit records.", field="item")
    if kind == "credit_records" and (scope.region or scope.department):
        raise ExchangeError("exchange.scope", "A credit records package is scoped by --item (a catalogue item); "
                            "--region and --department scope organizations.", field="region")
    if scope.region and scope.region not in regions.REGIONS:
        raise ExchangeError("exchange.scope", f'Region "{scope.region}" is not one of '
                            f"{', '.join(regions.REGIONS)}.", field="region")
    if scope.department and scope.department not in departments.DEPARTMENTS:
        raise ExchangeError("exchange.scope", f'Department "{scope.department}" is not a registration management '
                            f"department code: expected one of {', '.join(departments.DEPARTMENTS)}.",
                            field="department")
    if scope.item is not None and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", scope.item):
        raise ExchangeError("exchange.scope", f'Item "{scope.item}" is not a catalogue item code (JJJ-03-001).',
                            field="item")
    return scope


def check_choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ExchangeError(f"exchange.{field}", f'{field.capitalize()} "{value}" is not one of '
                            f"{', '.join(allowed)}.", field=field)
    return value


def package_name(node: str, kind: str, scope: Scope, audience: str, after: int, to: int,
                 at: datetime.datetime) -> str:
    """The folder name of a package: node, kind, scope, audience, first and last sequence, time (UTC)."""
    return f"{node}-{kind}-{scope.key()}-{audience}-{after + 1:012d}-{to:012d}-{at.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}"


#: Data files one package holds at most (its parts).
MAX_PARTS = 10_000


def data_file(kind: str, fmt: str, part: int | None = None) -> str:
    """The name of a package's data file (``organizations.jsonl``), or of its part ``part`` (from 1) when
    its data is cut into parts; the manifest lists each with its rows, size and hash.

    >>> data_file("credit_records", "parquet"), data_file("organizations", "jsonl", 2)
    ('credit_records.parquet', 'organizations.0002.jsonl')
    """
    return f"{kind}.{fmt}" if part is None else f"{kind}.{part:04d}.{fmt}"


def data_entries(manifest: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The manifest's entries of the data file or its parts, in order (not an XML package's schema)."""
    files = list(manifest["files"])
    return files[:-1] if manifest["format"] == "xml" else files


def canonical(manifest: Mapping[str, Any]) -> bytes:
    """The bytes a manifest's signature covers: RFC 8785 (JCS) of the manifest without ``signature``.

    >>> canonical({"b": 1, "a": "某", "signature": {"x": 1}})
    b'{"a":"\\xe6\\x9f\\x90","b":1}'
    """
    return bytes(rfc8785.dumps({k: v for k, v in manifest.items() if k != "signature"}))


def sign(manifest: Mapping[str, Any], key: Any, key_id: str) -> dict[str, Any]:
    """The manifest with its ``signature``: Ed25519 with ``key`` (the node's evidence key ``key_id``)."""
    signature = key.sign(canonical(manifest))
    return {**{k: v for k, v in manifest.items() if k != "signature"},
            "signature": {"key_id": key_id, "algorithm": evidence.ALGORITHM,
                          "value": base64.b64encode(signature).decode("ascii")}}


def check_signature(manifest: Mapping[str, Any], public_keys: Mapping[str, str], what: str = "manifest") -> str:
    """The key id a manifest (or a receipt: ``what``) was signed with, once the signature checks against
    ``public_keys`` (key id → PEM, the signing node's published keys); else ``exchange.signature`` saying why."""
    signed = manifest.get("signature")
    if not isinstance(signed, dict) or not all(isinstance(signed.get(k), str)
                                               for k in ("key_id", "algorithm", "value")):
        raise ExchangeError("exchange.signature", f"The {what} has no signature {{key_id, algorithm, value}}: it "
                            "was not made by `jjjcredit exchange`.", field="signature")
    node = manifest.get("node") or manifest.get("receiver")
    if signed["algorithm"] != evidence.ALGORITHM:
        raise ExchangeError("exchange.signature", f'The {what} was signed with "{signed["algorithm"]}": expected '
                            f"{evidence.ALGORITHM}.", field="signature")
    key_id = str(signed["key_id"])
    if key_id not in public_keys:
        known = ", ".join(sorted(public_keys)) or "none"
        raise ExchangeError("exchange.signature", f'The {what} was signed with key "{key_id}", which is not among '
                            f'the keys known for node "{node}" ({known}): use its current keys (`jjjcredit exchange '
                            f"peers add {node} --keys FILE`).", field="signature")
    try:
        value = base64.b64decode(signed["value"], validate=True)
        evidence.load_public(public_keys[key_id], key_id).verify(value, canonical(manifest))
    except (binascii.Error, ValueError, InvalidSignature, evidence.EvidenceError):
        raise ExchangeError("exchange.signature", f"The {what}'s signature does not match it: the {what} was "
                            f'changed after node "{node}" signed it (key "{key_id}"), or another node\'s key '
                            "signed it.", field="signature") from None
    return key_id


def check_manifest(data: Any) -> dict[str, Any]:
    """A manifest read from JSON, with every field of the right type and known values (kind, audience,
    format, version); else ``exchange.malformed`` naming what is wrong."""
    if not isinstance(data, dict):
        raise ExchangeError("exchange.malformed", f"{MANIFEST} holds no JSON object.", field="manifest")
    for name, kind in _MANIFEST_FIELDS.items():
        if name not in data:
            raise ExchangeError("exchange.malformed", f'{MANIFEST} has no "{name}".', field=name)
        value = data[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ExchangeError("exchange.malformed", f'{MANIFEST}: "{name}" has the wrong type.', field=name)
    if data["format_version"] != FORMAT_VERSION:
        raise ExchangeError("exchange.malformed", f'{MANIFEST}: format_version {data["format_version"]} is not '
                            f"{FORMAT_VERSION}: the package was made by another version of the platform.",
                            field="format_version")
    check_node(data["node"])
    for name, allowed in (("kind", KINDS), ("audience", AUDIENCES), ("format", FORMATS)):
        if data[name] not in allowed:
            raise ExchangeError("exchange.malformed", f'{MANIFEST}: {name} "{data[name]}" is not one of '
                                f"{', '.join(allowed)}.", field=name)
    seq = data["sequence"]
    if not all(isinstance(seq.get(k), int) and not isinstance(seq.get(k), bool) and seq[k] >= 0
               for k in ("after", "to")) or seq["after"] > seq["to"]:
        raise ExchangeError("exchange.malformed", f"{MANIFEST}: sequence {seq} is not {{after, to}} with "
                            "0 <= after <= to.", field="sequence")
    check_scope(data["kind"], Scope.from_dict(data["scope"]))
    files = data["files"]
    extra = [f"{data['kind']}.xsd"] if data["format"] == "xml" else []
    if not 1 + len(extra) <= len(files) <= MAX_PARTS + len(extra) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) and isinstance(f.get("bytes"), int)
            and isinstance(f.get("rows"), int) and isinstance(f.get("sha256"), str) for f in files):
        raise ExchangeError("exchange.malformed", f"{MANIFEST}: files is not the data file or its 1 to {MAX_PARTS} "
                            "parts (and an XML package's schema), each {name, bytes, rows, sha256}.", field="files")
    if [f["name"] for f in files[len(files) - len(extra):]] != extra:
        raise ExchangeError("exchange.malformed", f"{MANIFEST}: an XML package lists its schema {extra} after its "
                            "data, and no other package lists more than its data.", field="files")
    parts = len(files) - len(extra)
    names = [data_file(data["kind"], data["format"], None if parts == 1 else i) for i in range(1, parts + 1)]
    if [f["name"] for f in files[:parts]] != names:
        shown = names[0] if parts == 1 else f"{names[0]} to {names[-1]}"
        raise ExchangeError("exchange.malformed", f'{MANIFEST}: the data is {", ".join(f["name"] for f in files[:3])}'
                            f'{", …" if parts > 3 else ""}; expected {shown}.', field="files")
    if sum(f["rows"] for f in files[:parts]) != data["counts"].get("rows"):
        raise ExchangeError("exchange.malformed", f"{MANIFEST}: the data files' rows add up to "
                            f'{sum(f["rows"] for f in files[:parts])}, and its counts say {data["counts"].get("rows")}.',
                            field="counts")
    if not all(isinstance(c, str) for c in data["columns"]):
        raise ExchangeError("exchange.malformed", f"{MANIFEST}: columns is not a list of names.", field="columns")
    return data


def check_file(entry: Mapping[str, Any], size: int | None, sha256: str | None) -> None:
    """A data file as found (``size`` ``None``: missing) against its manifest entry: missing or shorter
    is ``exchange.truncated``, another size or hash is ``exchange.tampered``."""
    name = entry["name"]
    if size is None:
        raise ExchangeError("exchange.truncated", f'The package has no file "{name}" that its manifest lists: '
                            "copy the whole folder again.", field=name)
    if size < entry["bytes"]:
        raise ExchangeError("exchange.truncated", f'"{name}" has {size} bytes; the manifest says {entry["bytes"]}: '
                            "the copy was cut short — copy the whole folder again.", field=name)
    if size != entry["bytes"] or sha256 != entry["sha256"]:
        raise ExchangeError("exchange.tampered", f'"{name}" does not match its manifest: SHA-256 {sha256} '
                            f'({size} bytes), expected {entry["sha256"]} ({entry["bytes"]} bytes). The file '
                            "was changed after the package was signed; ask the producing node for it again.",
                            field=name)


def decide_sequence(after: int, to: int, last_to: int | None) -> str:
    """Whether a package holding sequence ``after`` + 1 to ``to`` follows what was applied from its node
    (``last_to``: the end of the last package applied for the same kind, scope and audience; ``None``:
    none yet): ``"apply"``, ``"skip"`` (already applied), or ``exchange.gap`` / ``exchange.overlap``.

    A full snapshot (``after`` 0) applies when it reaches past what was applied; a delta applies when it
    starts where the last one ended.

    >>> decide_sequence(0, 42, 30), decide_sequence(0, 30, 42)
    ('apply', 'skip')
    >>> decide_sequence(5, 9, None)
    Traceback (most recent call last):
    ...
    jjjcredit.core.exchange.packages.ExchangeError: A gap: this package holds sequence 6 to 9, and nothing was applied from this node yet; expected a full snapshot (after 0) first.
    >>> decide_sequence(30, 50, 42)
    Traceback (most recent call last):
    ...
    jjjcredit.core.exchange.packages.ExchangeError: An overlap: this package holds sequence 31 to 50, and sequence 31 to 42 was applied already; expected the package that starts at 43 (after 42).
    """
    held = f"this package holds sequence {after + 1} to {to}"
    if last_to is None:
        if after == 0:
            return "apply"
        raise ExchangeError("exchange.gap", f"A gap: {held}, and nothing was applied from this node yet; expected "
                            "a full snapshot (after 0) first.", field="sequence")
    if to <= last_to:
        return "skip"
    if after == 0 or after == last_to:
        return "apply"
    if after > last_to:
        raise ExchangeError("exchange.gap", f"A gap: {held}, and the last package applied from this node ended at "
                            f"{last_to}; expected the package that starts at {last_to + 1} (after {last_to}).",
                            field="sequence")
    raise ExchangeError("exchange.overlap", f"An overlap: {held}, and sequence {after + 1} to {last_to} was applied "
                        f"already; expected the package that starts at {last_to + 1} (after {last_to}).",
                        field="sequence")


def receipt(manifest: Mapping[str, Any] | None, package: str, node: str, status: str, *, reason: Error | None = None,
            problems: list[dict[str, Any]] | None = None, applied: int = 0, at: str = "") -> dict[str, Any]:
    """What the receiving ``node`` answers the producer: the package, ``accepted`` / ``skipped`` /
    ``rejected``, the reason (code and message), the rows applied, and each row's problems."""
    seq = manifest.get("sequence") if manifest else None
    return {"package": package, "receiver": node, "producer": manifest.get("node") if manifest else None,
            "kind": manifest.get("kind") if manifest else None, "sequence": seq, "status": status,
            "reason": {"code": reason.code, "message": reason.message} if reason else None,
            "rows": applied, "problems": problems or [], "at": at}
