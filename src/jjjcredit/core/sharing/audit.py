"""The audit trail's hash chain. Pure: the canonical form of an entry, its hash, and the check of a
whole trail that finds — and locates — an edited, inserted or deleted entry.

Each entry's ``hash`` is SHA-256 over the previous entry's hash and the entry's canonical JSON
(sorted keys, no spaces, UTF-8); the first entry's previous hash is :data:`GENESIS`.

The chain alone cannot tell a rewrite by someone who can write to the database (edit an entry and
recompute every later hash; delete the last entries and lower the counter): signed **checkpoints** of
its head, kept outside the database, can (:func:`sign_checkpoint`, :func:`check_checkpoints`).

>>> first = dict(seq=1, at="2026-01-01T00:00:00.000000Z", request_id="r1", client=None, service="verify",
...              purpose=None, method="POST", path="/api/v1/verify", codes=["91130100MA0000000X"], status=200,
...              outcome="ok", latency_ms=1.5)
>>> chain = link([first, {**first, "seq": 2, "request_id": "r2"}])
>>> chain[1]["prev_hash"] == chain[0]["hash"], verify_chain(chain)
(True, [])
>>> [p.kind for p in verify_chain([chain[0], {**chain[1], "client": "someone"}])]
['edited']
>>> [(p.seq, p.kind) for p in verify_chain([chain[1]])]
[(1, 'deleted')]
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import evidence

#: The fields an entry's hash covers, in the order the trail is exported.
FIELDS: tuple[str, ...] = ("seq", "at", "request_id", "client", "service", "purpose", "method", "path", "codes",
                           "status", "outcome", "latency_ms")
#: Fields an entry may have besides :data:`FIELDS`, covered by its hash only when set (an entry
#: without them — every entry written before they existed — hashes as it always did): ``address_class``,
#: the network a public call came from (:func:`address_class`, never the address itself), and ``items``,
#: the catalogue items whose credit records the call was answered with.
OPTIONAL_FIELDS: tuple[str, ...] = ("address_class", "items")
#: The previous hash of the very first entry.
GENESIS = "0" * 64


@functools.lru_cache(maxsize=4096)
def address_class(address: str) -> str:
    """The class of address a public call is known by in the trail and in a subject's query log: its
    network (IPv4 /24, IPv6 /48), or what kind of address it is — never the address itself.

    >>> address_class("61.135.169.121"), address_class("2400:da00:1:2::5"), address_class("127.0.0.1")
    ('61.135.169.0/24', '2400:da00:1::/48', 'loopback')
    >>> address_class("10.1.2.3"), address_class("testclient")
    ('private network', 'unknown')
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.is_loopback:
        return "loopback"
    if ip.is_private:
        return "private network"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def kept_code(code: str) -> str:
    """A code as the trail keeps it, whoever writes the entry (an API call, a staff command): a personal
    number masked; a subject key as it is (the query log of a natural person is found by it, and its hex may
    hold a run of digits shaped like a mobile number).

    >>> key = "P:" + "ab13812345678cd" * 2 + "0123456789"
    >>> kept_code("130102198503151230"), kept_code("91350100M000100Y43"), kept_code(key) == key
    ('130102********1230', '91350100M000100Y43', True)
    """
    return code if persons.is_subject_key(code) else shown_personal(code)


def format_time(at: datetime.datetime | str) -> str:
    """The one text form of an entry's time: UTC, microseconds, ``Z`` (a naive time is taken as UTC).

    >>> format_time(datetime.datetime(2026, 3, 1, 8, 0, 0, 5))
    '2026-03-01T08:00:00.000005Z'
    """
    if isinstance(at, str):
        return at
    if at.tzinfo is not None:
        at = at.astimezone(datetime.UTC).replace(tzinfo=None)
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes an entry's hash covers: its :data:`FIELDS` and those of :data:`OPTIONAL_FIELDS` it has
    (not empty), as JSON, sorted keys, no spaces, UTF-8.

    >>> canonical({"seq": 1, "at": "t", "codes": [], "client": "局", "request_id": "r", "service": "s",
    ...            "purpose": None, "method": "GET", "path": "/", "status": 200, "outcome": "ok", "latency_ms": 0.5})
    b'{"at":"t","client":"\\xe5\\xb1\\x80","codes":[],"latency_ms":0.5,"method":"GET","outcome":"ok","path":"/","purpose":null,"request_id":"r","seq":1,"service":"s","status":200}'
    """
    data = {name: entry[name] for name in FIELDS}
    data.update({name: entry[name] for name in OPTIONAL_FIELDS if entry.get(name)})
    if "items" in data:
        data["items"] = list(data["items"])
    data["at"] = format_time(data["at"])
    data["codes"] = list(data["codes"])
    data["latency_ms"] = float(data["latency_ms"])
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """SHA-256 (hex) over the previous entry's hash, a newline, and the entry's canonical form."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


def link(entries: Sequence[Mapping[str, Any]], prev_hash: str = GENESIS) -> list[dict[str, Any]]:
    """The entries with ``prev_hash`` and ``hash`` set, chained after ``prev_hash``."""
    linked = []
    for entry in entries:
        digest = entry_hash(prev_hash, entry)
        linked.append({**entry, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    return linked


@dataclass(frozen=True)
class Problem:
    """Where the chain breaks: ``seq`` (the entry or the first missing one), ``kind`` (``edited``,
    ``deleted``, ``inserted``, ``relinked``, ``beyond_counter``; against checkpoints ``rewritten``,
    ``truncated``, ``checkpoint_signature``, ``checkpoint_unknown_key``, ``checkpoint_malformed``) and a
    message saying what was found."""

    seq: int
    kind: str
    message: str


def verify_chain(entries: Iterable[Mapping[str, Any]], first_seq: int = 1,
                 first_prev: str | None = GENESIS) -> list[Problem]:
    """Every place the chain breaks, in order; ``[]`` when the whole trail is intact.

    ``entries`` are read once, in ``seq`` order (a stream is fine). ``first_seq``/``first_prev`` say
    where the trail starts after a purge (``first_prev=None``: trust the first entry's ``prev_hash``).
    """
    problems: list[Problem] = []
    expected_seq, expected_prev = first_seq, first_prev
    for entry in entries:
        seq = int(entry["seq"])
        if seq > expected_seq:
            gone = f"entry {expected_seq}" if seq == expected_seq + 1 else f"entries {expected_seq}-{seq - 1}"
            problems.append(Problem(expected_seq, "deleted", f"{gone} missing: the trail jumps from "
                                    f"{expected_seq - 1} to {seq} (deleted)."))
        elif seq < expected_seq:
            problems.append(Problem(seq, "inserted", f"entry {seq} comes after entry {expected_seq - 1}: "
                                    "out of order or inserted."))
        elif expected_prev is not None and entry["prev_hash"] != expected_prev:
            problems.append(Problem(seq, "relinked", f"entry {seq} does not follow entry {seq - 1}: its previous "
                                    f"hash is {str(entry['prev_hash'])[:12]}…, expected {expected_prev[:12]}… "
                                    f"(entry {seq - 1} was rewritten, or an entry was inserted or deleted here)."))
        if entry_hash(str(entry["prev_hash"]), entry) != entry["hash"]:
            problems.append(Problem(seq, "edited", f"entry {seq} was edited: its content does not match its hash."))
        expected_seq, expected_prev = max(expected_seq, seq + 1), str(entry["hash"])
    return problems


#: What a checkpoint's signature covers besides the head: so it is never taken for an answer's evidence.
CHECKPOINT_KIND = "jjjcredit.audit.checkpoint"
CHECKPOINT_FIELDS: tuple[str, ...] = ("seq", "hash", "at", "key_id", "algorithm", "signature")


def checkpoint_bytes(seq: int, hash_: str, at: str, key_id: str) -> bytes:
    """The bytes a checkpoint signs: RFC 8785 (JCS) of ``{kind, seq, hash, at, key_id}``.

    >>> checkpoint_bytes(7, "ab", "2026-01-01T00:00:00.000000Z", "k1")
    b'{"at":"2026-01-01T00:00:00.000000Z","hash":"ab","key_id":"k1","kind":"jjjcredit.audit.checkpoint","seq":7}'
    """
    return rfc8785.dumps({"kind": CHECKPOINT_KIND, "seq": seq, "hash": hash_, "at": at, "key_id": key_id})


def sign_checkpoint(key: Ed25519PrivateKey, key_id: str, seq: int, hash_: str, at: str) -> dict[str, Any]:
    """A checkpoint of the chain's head: entry ``seq`` has ``hash`` at time ``at``, signed with ``key``."""
    signature = key.sign(checkpoint_bytes(seq, hash_, at, key_id))
    return {"seq": seq, "hash": hash_, "at": at, "key_id": key_id, "algorithm": evidence.ALGORITHM,
            "signature": base64.b64encode(signature).decode("ascii")}


def check_checkpoints(checkpoints: Any, public_keys: Mapping[str, str], hash_at: Callable[[int], str | None],
                      last_seq: int, first_seq: int = 1) -> list[Problem]:
    """What saved checkpoints say of the trail as it is now: each checkpoint's signature is checked
    against ``public_keys`` (key id → PEM), then the entry it names — ``hash_at(seq)``, the trail's hash
    of that entry — must still have the hash it had. A checkpoint beyond ``last_seq`` (the trail's last
    entry) finds entries deleted at the end with the counter lowered (``truncated``); a hash that
    differs finds an entry edited with every later hash recomputed (``rewritten``). A checkpoint
    before ``first_seq`` (purged) is not compared. Entries after the last checkpoint are not covered.

    >>> key = evidence.new_private_key()
    >>> cp = sign_checkpoint(key, "k1", 2, "h2", "2026-01-01T00:00:00.000000Z")
    >>> check_checkpoints([cp], {"k1": evidence.public_pem(key)}, {1: "h1", 2: "h2"}.get, 2)
    []
    >>> [p.kind for p in check_checkpoints([cp], {"k1": evidence.public_pem(key)}, {1: "h1", 2: "x"}.get, 2)]
    ['rewritten']
    >>> [p.kind for p in check_checkpoints([cp], {"k1": evidence.public_pem(key)}, {1: "h1"}.get, 1)]
    ['truncated']
    """
    if isinstance(checkpoints, dict):
        checkpoints = checkpoints.get("checkpoints")
    if not isinstance(checkpoints, list):
        raise evidence.EvidenceError("evidence.malformed", "The checkpoints file holds no JSON list: save the body "
                                     "of /api/v1/audit/checkpoints or the output of `jjjcredit audit checkpoints`.")
    problems: list[Problem] = []
    for number, cp in enumerate(checkpoints, 1):
        if not isinstance(cp, dict) or any(k not in cp for k in CHECKPOINT_FIELDS) or \
                not isinstance(cp["seq"], int) or isinstance(cp["seq"], bool):
            problems.append(Problem(0, "checkpoint_malformed", f"checkpoint {number} of the file lacks one of "
                                    f"{', '.join(CHECKPOINT_FIELDS)} (or its seq is not a whole number)."))
            continue
        seq, key_id = cp["seq"], str(cp["key_id"])
        if key_id not in public_keys:
            problems.append(Problem(seq, "checkpoint_unknown_key", f'the checkpoint of entry {seq} was signed with '
                                    f'key "{key_id}", which the trail\'s keys do not hold.'))
            continue
        try:
            signature = base64.b64decode(str(cp["signature"]), validate=True)
            evidence.load_public(public_keys[key_id], key_id).verify(
                signature, checkpoint_bytes(seq, str(cp["hash"]), str(cp["at"]), key_id))
        except (InvalidSignature, binascii.Error, ValueError):
            problems.append(Problem(seq, "checkpoint_signature", f"the checkpoint of entry {seq} ({cp['at']}) does "
                                    "not verify: it was changed after signing."))
            continue
        if seq < first_seq:
            continue  # purged: nothing to compare it with
        if seq > last_seq:
            problems.append(Problem(last_seq + 1, "truncated", f"the checkpoint of {cp['at']} saw entry {seq}, but the "
                                    f"trail ends at entry {last_seq}: entries were deleted at the end (and the "
                                    "counter lowered)."))
        elif hash_at(seq) != cp["hash"]:
            problems.append(Problem(seq, "rewritten", f"entry {seq} no longer has the hash the checkpoint of "
                                    f"{cp['at']} signed: the trail was rewritten at or before entry {seq} (and "
                                    "the later hashes recomputed)."))
    return problems
