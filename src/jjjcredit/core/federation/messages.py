"""Federation messages: how a node's changes travel between the three nodes.

Each node publishes its **own** changes — the organizations of its region, the credit records it took in —
as small signed exchange packages (core/exchange/packages.py; JSON Lines, audience ``government``), one
stream per node on the broker (NATS JetStream), one subject per kind. A message is one package: its
manifest on the first line, then the data file's bytes — which is also what ``GET
/api/v1/federation/changes`` answers (NDJSON). On the broker the data file travels compressed (zstd, said by
the header ``Jjj-Data-Encoding``; the manifest's size and SHA-256 are the file's own, checked once it is
decompressed); a package still too large for one message leaves it in the broker's object store and the
message says which object.

Names (the ``prefix`` is ``jjj`` unless a test or a second federation on the same broker sets another):

>>> stream_name("jjj", "hebei"), subject("jjj", "hebei", "credit_records")
('JJJ_HEBEI', 'jjj.hebei.credit_records')
>>> message_id("hebei", "organizations", 0, 42)
'hebei:organizations:0-42'
>>> region_of("hebei-2").id, region_of("beijing").prefix
('hebei', '11')

A node applies a message when it reaches past what it applied from that node and starts within it (a
message overlapping what was applied carries each organization as it stood, and record versions, so
applying it again changes nothing it should not); one inside what was applied is skipped; one starting
after it is a gap:

>>> decide(0, 42, None), decide(42, 50, 42), decide(30, 50, 42), decide(10, 42, 42)
('apply', 'apply', 'apply', 'skip')
>>> decide(43, 50, 42)
Traceback (most recent call last):
...
jjjcredit.core.federation.messages.FederationError: A gap: the message from sequence 44 to 50 starts after 42, the last applied from this node; expected one that starts at or before 43.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jjjcredit.core.codes import regions
from jjjcredit.core.errors import Error

#: The object store's bucket a node's large packages go to is its stream's name with this suffix.
OBJECTS_SUFFIX = "_PACKAGES"
#: The header naming a package's data file in the object store (absent: the data follows the manifest).
OBJECT_HEADER = "Jjj-Object"
#: The header saying the data travels compressed, and how (absent: as it is).
ENCODING_HEADER = "Jjj-Data-Encoding"
ENCODING = "zstd"
#: The media type of a package in one piece: the manifest's line, then the data file's JSON lines.
MEDIA_TYPE = "application/x-ndjson"
_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,31}$")


class FederationError(Error, ValueError):
    """Why a message is refused or a federation command cannot run: ``federation.*`` codes (core/errors.py)."""


def region_of(node: str) -> regions.Region:
    """The region a node publishes the organizations of: its name's, or its name's before a hyphen."""
    found = regions.REGIONS.get(node) or regions.REGIONS.get(node.split("-", 1)[0])
    if found is None:
        raise FederationError("federation.node", f'Node "{node}" is not named after a region: expected '
                              f"{', '.join(regions.REGIONS)} (or one of them, a hyphen and a word: hebei-2).",
                              field="node")
    return found


def check_prefix(prefix: str) -> str:
    """The broker names' prefix: a lower-case letter, then up to 31 lower-case letters or digits."""
    if not _PREFIX.match(prefix):
        raise FederationError("federation.node", f'The federation prefix "{prefix}" is not a lower-case letter then '
                              "up to 31 lower-case letters or digits (jjj).", field="prefix")
    return prefix


def stream_name(prefix: str, node: str) -> str:
    """The JetStream stream holding ``node``'s changes."""
    return f"{prefix.upper()}_{node.upper().replace('-', '_')}"


def subject(prefix: str, node: str, kind: str) -> str:
    """The subject of ``node``'s changes of one kind (``kind`` ``*``: every kind)."""
    return f"{prefix}.{node}.{kind}"


def message_id(node: str, kind: str, after: int, to: int) -> str:
    """The message's ``Nats-Msg-Id``: the same range published twice is stored once by the broker."""
    return f"{node}:{kind}:{after}-{to}"


def pack(manifest: dict[str, Any], data: bytes) -> bytes:
    """A package in one piece: the manifest as one JSON line, then the data file (``data`` may be empty:
    the data file is then in the object store)."""
    return json.dumps(manifest, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n" + data


def unpack(payload: bytes) -> tuple[Any, bytes]:
    """The manifest (as read, checked later) and the data of a package in one piece.

    >>> unpack(b'{"a":1}\\n{"r":2}\\n')
    ({'a': 1}, b'{"r":2}\\n')
    >>> unpack(b"not a package")
    Traceback (most recent call last):
    ...
    jjjcredit.core.federation.messages.FederationError: The message's first line is not a package's manifest (JSON): it was not sent by `jjjcredit federation relay`.
    """
    head, _sep, data = payload.partition(b"\n")
    try:
        manifest = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FederationError("federation.message", "The message's first line is not a package's manifest (JSON): it "
                              "was not sent by `jjjcredit federation relay`.", field="manifest") from None
    return manifest, data


def compress(data: bytes) -> bytes:
    """A data file as it travels on the broker (zstd, level 1: JSON Lines shrink about tenfold, at some
    hundreds of MB/s)."""
    import pyarrow as pa

    return bytes(pa.compress(data, codec=ENCODING, asbytes=True))


def expand(data: bytes, encoding: str | None, manifest: Mapping[str, Any], most: int) -> bytes:
    """A data file as its (checked) manifest gives it, from the bytes that traveled: decompressed when
    ``encoding`` says so, to the manifest's length if that is at most ``most`` (a manifest cannot make a
    follower decompress more than the limit of a data file); empty when it is not (the package is then
    refused as truncated or tampered with). Any other encoding is taken as is (and then fails its hash).

    >>> expand(compress(b"abc"), ENCODING, {"files": [{"bytes": 3}]}, 10), expand(b"abc", None, {}, 10)
    (b'abc', b'abc')
    """
    if encoding != ENCODING:
        return data
    try:
        size = int(manifest["files"][0]["bytes"])
    except (TypeError, KeyError, IndexError, ValueError):
        return b""
    return decompress(data, size) if 0 <= size <= most else b""


def decompress(data: bytes, size: int) -> bytes:
    """A data file back from what traveled, ``size`` its manifest's length of it (read no further); one that
    does not decompress to that is empty — the package is then refused as truncated or tampered with, as
    any data file that does not match its manifest.

    >>> decompress(compress(b"abc" * 1000), 3000) == b"abc" * 1000, decompress(b"junk", 10)
    (True, b'')
    """
    import pyarrow as pa

    try:
        found = bytes(pa.decompress(data, decompressed_size=size, codec=ENCODING, asbytes=True))
    except (OSError, ValueError, pa.ArrowException):
        return b""
    return found if len(found) == size else b""


def decide(after: int, to: int, last_to: int | None) -> str:
    """``"apply"`` or ``"skip"`` a message holding sequence ``after`` + 1 … ``to`` when ``last_to`` was the
    end of the last one applied from its node (``None``: none yet); else ``federation.gap`` (see above)."""
    if last_to is not None and to <= last_to:
        return "skip"
    if after <= (last_to or 0):
        return "apply"
    last = "nothing was applied from this node yet" if last_to is None else \
        f"{last_to}, the last applied from this node"
    raise FederationError("federation.gap", f"A gap: the message from sequence {after + 1} to {to} starts after "
                          f"{last}; expected one that starts at or before {(last_to or 0) + 1}.", field="sequence")
