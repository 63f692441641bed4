"""The change feed over HTTPS, for a peer without the broker: ``GET /api/v1/federation/changes?kind=K&after=N``
with a client key granted ``federation`` (the 3041 way) answers this node's own changes of kind K after N as
one signed package in one piece (core/federation/messages.pack: the manifest's line, then the rows —
NDJSON), at most ``JJJCREDIT_LIMIT_FEDERATION_MESSAGE_CHANGES`` sequence numbers of it; ``federation pull URL
--key KEY`` asks each kind after the end of what it applied from that node and applies the answer as the
follower applies a message (services/federation/changes.py), again until what it applied reaches the
sequence the first answer's ``X-Sequence-End`` gave (changes made meanwhile wait for the next pull), or an
answer moves nothing. An answer's data is read only once its manifest's line has been checked: a package
from a peer, its signature good (:func:`read_answer`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, BinaryIO

from sqlalchemy import Engine

from jjjcredit.core.exchange import packages
from jjjcredit.core.federation import messages
from jjjcredit.core.federation.messages import FederationError
from jjjcredit.core.limits import DEFAULT
from jjjcredit.services import db
from jjjcredit.services.federation import changes
from jjjcredit.services.sharing import evidence

#: The largest data file a pull reads (after its manifest's line).
PULL_BYTES = 256 << 20
#: The longest manifest line a pull reads before it has checked the manifest's signature.
MANIFEST_BYTES = 1 << 20
#: The answer's header giving the node's sequence of the kind asked, when the answer was made.
SEQUENCE_END = "X-Sequence-End"


def changes_after(engine: Engine, box: evidence.KeyBox | None, *, node: str, kind: str, after: int,
                  most: int = DEFAULT.federation_message_changes) -> tuple[bytes, int]:
    """This node's own changes of ``kind`` after ``after`` up to its sequence now — at most ``most`` sequence
    numbers of it, as a message of the relay would — as one signed package in one piece (the server's half of
    a pull; an empty range when ``after`` is the sequence now), and that sequence (the answer's
    ``X-Sequence-End``: a range ending before it is followed by another)."""
    packages.check_choice(kind, packages.KINDS, "kind")
    with engine.begin() as conn:
        end = changes.position(conn, kind)
        if after < 0 or after > end:
            raise FederationError("federation.after", f"after={after} is {'below 0' if after < 0 else 'past'} this "
                                  f"node's {kind} sequence, which is at {end}: ask after the end of the last range "
                                  "applied from this node.", field="after")
        to = min(end, after + most)
        manifest, data = changes.own_changes(conn, box, node=node, kind=kind, after=after, to=to)
    return messages.pack(manifest, data), end


def read_answer(answer: BinaryIO, admitted: Callable[[bytes], int | None]) -> bytes:
    """An answer's manifest line and, only once ``admitted`` has checked that line (the manifest's form, its
    producer among the peers, its signature), as many bytes of data as it says, and one more (a longer
    answer then fails its size check): an answer that does not check out costs one line to read."""
    head = answer.readline(MANIFEST_BYTES)
    size = admitted(head)
    if size is None:
        return head  # refused on its manifest (apply_package says why); the rest is never read
    if size > PULL_BYTES:
        raise FederationError("federation.pull", f"The package answered holds {size:,} bytes of data, over the "
                              f"{PULL_BYTES:,} a pull takes in one piece.", field="url")
    return head + answer.read(size + 1)


def _admitted(engine: Engine, node: str) -> Callable[[bytes], int | None]:
    """The check of an answer's manifest line before its data is read (changes.signed_by_peer)."""
    signed = changes.signed_by_peer(engine, node)

    def admitted(head: bytes) -> int | None:
        try:
            manifest = json.loads(head.decode("utf-8"))
        except ValueError:
            return None
        return signed(manifest)
    return admitted


def _get(url: str, key: str, purpose: str, timeout: float,
         admitted: Callable[[bytes], int | None]) -> tuple[bytes, int | None]:
    """The answer's body (:func:`read_answer`), and the sequence its ``X-Sequence-End`` gives (``None``: not
    given)."""
    request = urllib.request.Request(url, headers={"X-API-Key": key, "X-Purpose": purpose,
                                                   "Accept": messages.MEDIA_TYPE})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # http(s) only: checked above
            end = str(answer.headers.get(SEQUENCE_END) or "")
            return read_answer(answer, admitted), int(end) if end.isascii() and end.isdigit() else None
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read(1 << 16))["errors"][0]
            said = f'{error["code"]}: {error["message"]}'
        except (ValueError, KeyError, IndexError, TypeError):
            said = exc.reason
        raise FederationError("federation.pull", f"{url} answered {exc.code} ({said}).", field="url") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FederationError("federation.pull", f"{url} cannot be reached: {exc}. Check the address and that the "
                              "peer's server runs.", field="url") from None


def pull(engine: Engine, base_url: str, key: str, *, node: str, peer: str,
         kinds: tuple[str, ...] = packages.KINDS, timeout: float = 60.0,
         operator: str | None = None) -> list[changes.Outcome]:
    """Pull and apply ``peer``'s own changes of each kind from its server at ``base_url`` (see the module's
    text); a package signed by another node than ``peer`` is refused."""
    db.require_current(engine)
    messages.region_of(node)
    packages.check_node(peer, "peer")
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise FederationError("federation.pull", f'"{base_url}" is not an http:// or https:// address of a peer\'s '
                              "server.", field="url")
    outcomes = []
    for kind in kinds:
        packages.check_choice(kind, packages.KINDS, "kind")
        target: int | None = None  # the peer's sequence at the first answer: what this pull catches up to
        while True:  # a range at a time (the server cuts a long one short), until one reaches the target
            with engine.connect() as conn:
                after = changes.last_applied(conn, peer, kind) or 0
            query = urllib.parse.urlencode({"kind": kind, "after": after})
            body, end = _get(f"{base_url.rstrip('/')}/api/v1/federation/changes?{query}", key,
                             f"federation pull by {node}", timeout, _admitted(engine, node))
            manifest: Any
            try:
                manifest, data = messages.unpack(body)
            except FederationError:
                manifest, data = None, b""
            outcome = changes.apply_package(engine, manifest, data, node=node, expected=peer, via="https",
                                            operator=operator)
            outcomes.append(outcome)
            target = end if target is None else target
            with engine.connect() as conn:
                reached = changes.last_applied(conn, peer, kind) or 0
            if outcome.status != "accepted" or reached <= after or target is None or reached >= target:
                break  # refused, skipped or nothing moved (never asked again for the same range), or caught up
    return outcomes
