"""A node's own changes as a signed package, and a peer's package applied — what the relay publishes,
the follower applies, and the HTTPS pull carries alike.

**Own changes.** Organizations: those of the node's region (their registering authority's province, as the
library holds it) whose last change is in the range (services/exchange/feed.py), less those whose record
came from a peer — an organization of another region is that region's to publish, and one of this region
that another node registers now (it moved there) is that node's. Credit records: the versions numbered in
the range by the exchange's feed of them, less the records that came from a peer (``federation_records``).
Both read through the redaction point for the audience ``government`` (the exchange's caller for it), in
JSON Lines, signed with the node's evidence key: a package like any other (core/exchange/packages.py).

**Applying** checks what an imported package is checked for — the manifest, the producer among the peers,
its signature, the data's size and SHA-256, every row — then, in one transaction, the range against the
last applied from that node (core/federation/messages.decide: applied already → skipped, a gap refused),
the **origin's authority**: a row about an organization this node owns (of its region, from its own
departments), or a credit record this node owns (or another peer does), is left as this node holds it —
then the rows through the exchange's apply (services/exchange/apply.py: a record new here under an item this
node's catalogue withdrew or never had is refused alone, counted and listed in the outcome, and has no owner
here), the package in ``exchange_packages``, the owner of each new record, the stream position (past the
records refused alone: the same message would refuse them again); and the audit trail's entry
(service ``federation``: who sent which range, accepted, skipped or refused, and why) — a refusal in a
transaction of its own, applying nothing.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from jjjcredit.core import limits
from jjjcredit.core.errors import Error
from jjjcredit.core.exchange import packages, rows
from jjjcredit.core.exchange.packages import ExchangeError, Scope
from jjjcredit.core.federation import messages
from jjjcredit.core.federation.messages import FederationError
from jjjcredit.services.exchange import apply, exchange, feed
from jjjcredit.services.library import search
from jjjcredit.services.sharing import disclosure, evidence
from jjjcredit.storage import bulk
from jjjcredit.storage.schema import (
    credit_records,
    exchange_packages,
    federation_applied,
    federation_records,
    organizations,
)

#: Every federation package is for government sharing between the nodes, in JSON Lines.
AUDIENCE = "government"
FORMAT = "jsonl"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def scope_of(node: str, kind: str) -> Scope:
    """The scope of ``node``'s own changes of ``kind``: its region's organizations, every credit record."""
    return Scope(region=messages.region_of(node).id) if kind == "organizations" else Scope()


def position(conn: Connection, kind: str) -> int:
    """This node's sequence for ``kind``: the change feed's, or the exchange's credit feed (numbering every
    credit version not numbered yet)."""
    return feed.feed_position(conn) if kind == "organizations" else feed.number_credit_versions(conn)


def own_changes(conn: Connection, box: evidence.KeyBox | None, *, node: str, kind: str, after: int, to: int,
                day: datetime.date | None = None) -> tuple[dict[str, Any], bytes]:
    """The signed package of ``node``'s own changes of ``kind`` in ``after`` + 1 … ``to``: manifest and data."""
    packages.check_choice(kind, packages.KINDS, "kind")
    caller = exchange.audience_caller(AUDIENCE, node)
    scope = scope_of(node, kind)
    today = day or disclosure.current_day()
    if kind == "organizations":
        found = feed.organization_rows(conn, caller, scope, after, to)
        received = _received(conn, sorted(str(r["uscc"]) for r in found))
        found = [r for r in found if r["uscc"] not in received]
        columns: Sequence[str] = rows.columns_of(kind, disclosure.view_of(caller).elements)
    else:
        found = feed.credit_rows(conn, caller, scope, after, to, today)
        foreign = _foreign(conn, sorted({str(r["id"]) for r in found}))
        found = [r for r in found if r["id"] not in foreign]
        columns = rows.CREDIT_COLUMNS
    manifest, contents = exchange.sign_package(conn, box, node=node, kind=kind, audience=AUDIENCE, fmt=FORMAT,
                                               scope=scope, after=after, to=to, found=found, columns=columns,
                                               day=today, now=_now())
    return manifest, contents[packages.data_file(kind, FORMAT)]


def _received(conn: Connection, codes: Sequence[str]) -> set[str]:
    """Of these organizations, those whose current record came from a peer (a batch of source ``exchange/…``):
    an organization of this node's region another node registered (it moved there) is that node's."""
    found: set[str] = set()
    for among in bulk.among(conn, organizations.c.uscc, codes):
        found.update(conn.execute(select(organizations.c.uscc).where(
            among, organizations.c.source.startswith("exchange/"))).scalars())
    return found


def _foreign(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Of these credit record ids, those a peer owns: id → the peer."""
    f = federation_records.c
    found: dict[str, str] = {}
    for among in bulk.among(conn, f.record_id, ids):
        found.update(conn.execute(select(f.record_id, f.origin).where(among)).all())
    return found


@dataclass(frozen=True)
class Outcome:
    """What became of one package: ``accepted``, ``skipped`` or ``refused`` (with the error), its producer,
    kind and range, and the counts (rows applied, rows left because this node or another owns them, rows
    refused), with the credit records refused alone (each with why)."""

    status: str
    package: str
    origin: str | None
    kind: str | None
    after: int | None
    to: int | None
    reason: FederationError | ExchangeError | None = None
    counts: dict[str, int] = field(default_factory=dict)
    refused: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "package": self.package, "origin": self.origin, "kind": self.kind,
                "sequence": None if self.after is None else {"after": self.after, "to": self.to},
                "reason": {"code": self.reason.code, "message": self.reason.message} if self.reason else None,
                "counts": self.counts, "refused": self.refused}


@dataclass(frozen=True)
class Checked:
    """A peer's package checked (:func:`check_package`), ready for :func:`apply_checked`: its manifest and
    rows, or why it is refused."""

    name: str
    manifest: dict[str, Any] | None
    found: Sequence[rows.Row]
    refusal: FederationError | ExchangeError | None
    expected: str | None


def apply_package(engine: Engine, manifest_data: Any, data: bytes, *, node: str, expected: str | None = None,
                  via: str = "nats", stream_seq: int | None = None, message_at: datetime.datetime | None = None,
                  operator: str | None = None, refresh_search: bool = True,
                  today: datetime.date | None = None) -> Outcome:
    """Check and apply one peer's package (see the module's text); ``expected`` the node whose stream (or
    address) it came from. A refusal is an :class:`Outcome`, never an exception: it is in the audit trail.
    ``refresh_search`` ``False``: the search keys of the organizations applied are left to the caller's
    refresh (services/library/search.refresh), once after many messages rather than after each. ``today``:
    the day the catalogue in force is read on (Beijing's, by default)."""
    checked = check_package(engine, manifest_data, data, node=node, expected=expected, via=via)
    return apply_checked(engine, checked, node=node, via=via, stream_seq=stream_seq, message_at=message_at,
                         operator=operator, refresh_search=refresh_search, today=today)


def check_package(engine: Engine, manifest_data: Any, data: bytes, *, node: str, expected: str | None = None,
                  via: str = "nats", encoding: str | None = None, most: int = limits.DEFAULT.exchange_file_bytes,
                  ) -> Checked:
    """The checks of :func:`apply_package` that write nothing — the manifest, the producer among the peers,
    its signature, the data's size and SHA-256, every row — so a follower checks the next message while it
    applies this one. ``data`` as it traveled: compressed when ``encoding`` says so, and then decompressed
    (to at most ``most`` bytes) only once the signature is found good — an unsigned or forged message
    costs no decompression."""
    manifest: dict[str, Any] | None = None
    name = str(manifest_data.get("package")) if isinstance(manifest_data, dict) else "(no manifest)"
    try:
        manifest = packages.check_manifest(manifest_data)
        name = str(manifest["package"])
        if expected is not None and manifest["node"] != expected:
            raise FederationError("federation.wrong_node", f'The package {name} is signed as node "{manifest["node"]}"'
                                  f" but came from {expected}'s {'stream' if via == 'nats' else 'address'}: a node "
                                  "publishes only its own changes.", field="node")
        if manifest["audience"] != AUDIENCE:
            raise FederationError("federation.audience", f'The package {name} is for the audience '
                                  f'"{manifest["audience"]}": nodes exchange what government sharing sees '
                                  f'("{AUDIENCE}").', field="audience")
        _check_signed(engine, manifest, node)
        data = messages.expand(data, encoding, manifest, most)
        found, problems = exchange.checked_contents(manifest, {manifest["files"][0]["name"]: data})
        if problems:
            first = problems[0]
            raise ExchangeError("exchange.rows", f"{len(problems)} problems in the package's rows, the first in row "
                                f'{first["row"]} ({first["field"]}): {first["message"]} Nothing was applied.',
                                field="rows")
    except (ExchangeError, FederationError) as exc:
        return Checked(name, manifest, [], exc, expected)
    return Checked(name, manifest, found, None, expected)


def _check_signed(engine: Engine, manifest: Mapping[str, Any], node: str) -> None:
    """The manifest's producer is among ``node``'s peers and its signature holds with the peer's keys (raises
    ``exchange.unknown_node`` or ``exchange.signature``)."""
    with engine.connect() as conn:
        keys = exchange.peer_keys(conn, str(manifest["node"]), node)
    packages.check_signature(manifest, keys)


def signed_by_peer(engine: Engine, node: str) -> Callable[[Any], int | None]:
    """The check a package's manifest passes before its data is fetched (an object in the broker's store, an
    answer's body): the data's length when it is a package's manifest from a peer of ``node`` with its
    signature good; else ``None`` (the data is then not read, and the package refused for its manifest)."""
    def admitted(manifest_data: Any) -> int | None:
        try:
            manifest = packages.check_manifest(manifest_data)
            _check_signed(engine, manifest, node)
            return int(manifest["files"][0]["bytes"])
        except (Error, ValueError, KeyError, IndexError, TypeError):
            return None
    return admitted


def apply_checked(engine: Engine, checked: Checked, *, node: str, via: str = "nats", stream_seq: int | None = None,
                  message_at: datetime.datetime | None = None, operator: str | None = None,
                  refresh_search: bool = True, today: datetime.date | None = None) -> Outcome:
    """Apply a package :func:`check_package` checked, or record why it is refused (see
    :func:`apply_package`)."""
    manifest, name = checked.manifest, checked.name
    try:
        if checked.refusal is not None:
            raise checked.refusal
        assert manifest is not None  # a package checked without a refusal has its manifest
        return _apply(engine, manifest, checked.found, node, via, stream_seq, message_at, operator, refresh_search,
                      today)
    except (ExchangeError, FederationError) as exc:
        origin = manifest["node"] if manifest else checked.expected
        with engine.begin() as conn:
            exchange.record_entry(conn, f"federation apply {name} via {via}", exc.code,
                                  exchange.purpose_of(manifest, "refused", exc.message), operator, "federation")
            if stream_seq is not None and origin and exc.code != "federation.gap":
                _taken(conn, origin, stream_seq, message_at)  # a refused message is done with; a gap waits
        seq = manifest["sequence"] if manifest else {}
        return Outcome("refused", name, origin, manifest["kind"] if manifest else None, seq.get("after"),
                       seq.get("to"), exc)


def _taken(conn: Connection, origin: str, stream_seq: int, at: datetime.datetime | None) -> None:
    """Record the last message taken from ``origin``'s stream."""
    a = federation_applied.c
    held = conn.execute(select(a.stream_seq).where(a.origin == origin)).scalar_one_or_none()
    if held is None:
        conn.execute(insert(federation_applied).values(origin=origin, stream_seq=stream_seq, message_at=at,
                                                       applied_at=_now()))
    elif stream_seq >= int(held):
        conn.execute(update(federation_applied).where(a.origin == origin).values(
            stream_seq=stream_seq, message_at=at, applied_at=_now()))


def last_applied(conn: Connection, origin: str, kind: str) -> int | None:
    """The end of the last range of ``kind`` applied from ``origin`` (``None``: none yet)."""
    p = exchange_packages.c
    last = conn.execute(select(func.max(p.to_seq)).where(
        p.origin == origin, p.kind == kind, p.scope == scope_of(origin, kind).key(),
        p.audience == AUDIENCE)).scalar_one_or_none()
    return None if last is None else int(last)


def _apply(engine: Engine, manifest: Mapping[str, Any], found: Sequence[rows.Row], node: str, via: str,
           stream_seq: int | None, message_at: datetime.datetime | None, operator: str | None,
           refresh_search: bool, today: datetime.date | None) -> Outcome:
    origin, kind, seq = str(manifest["node"]), str(manifest["kind"]), manifest["sequence"]
    name = str(manifest["package"])
    command = f"federation apply {name} via {via}"
    with engine.begin() as conn:
        decision = messages.decide(int(seq["after"]), int(seq["to"]), last_applied(conn, origin, kind))
        if decision == "skip":
            _entry = exchange.purpose_of(manifest, "skipped", "applied already")
            exchange.record_entry(conn, command, "exchange.already_applied", _entry, operator, "federation")
            if stream_seq is not None:
                _taken(conn, origin, stream_seq, message_at)
            return Outcome("skipped", name, origin, kind, seq["after"], seq["to"])
        package_id = f"F{_now():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"
        exchange.apply_held(conn, today=today, operator=operator, service="federation")  # an edition's since
        declined: list[dict[str, Any]] = []  # credit records refused alone
        if kind == "organizations":
            own = messages.region_of(node).prefix
            counts = apply.apply_organizations(conn, found, manifest["columns"], origin, package_id, name[:1000],
                                               str(manifest["files"][0]["sha256"]),
                                               kept=lambda region, source: _owned((region, source), own))
        else:
            mine, kept = _authority(conn, found, node, origin)
            refused: list[dict[str, Any]] = []
            since = exchange.signed_before(conn, origin, kind, scope_of(origin, kind).key(), AUDIENCE)
            held_back: list[Mapping[str, Any]] = []  # of records under an item unknown here yet: kept aside
            counts = apply.apply_credit(conn, mine, package_id, refused, declined, today, since, held_back)
            apply.hold_credit(conn, origin, name, held_back, since, True)
            if refused:  # (raised inside the transaction: nothing of the package is kept)
                first = refused[0]
                raise ExchangeError("exchange.rows", f"{len(refused)} problems in the package's rows, the first in "
                                    f'{first["field"]}: {first["message"]} Nothing was applied.', field="rows")
            taken = {str(r["id"]) for r in mine} - {str(r["id"]) for r in declined}
            held = set(_foreign(conn, sorted(taken)))
            new = sorted(taken - held)
            bulk.insert_rows(conn, "federation_records", ("record_id", "origin"),
                             [{"record_id": r, "origin": origin} for r in new])
            counts["kept_own"] = kept
        conn.execute(insert(exchange_packages).values(
            id=package_id, package=name, origin=origin, kind=kind, scope=scope_of(origin, kind).key(),
            audience=manifest["audience"], after_seq=seq["after"], to_seq=seq["to"], format=manifest["format"],
            manifest_sha256=str(manifest["files"][0]["sha256"]), rows=len(found), applied_at=_now(),
            created_at=exchange.signed_at(manifest)))
        if stream_seq is not None:
            _taken(conn, origin, stream_seq, message_at)
        exchange.record_entry(conn, command, "ok", exchange.purpose_of(
            manifest, "accepted", exchange.counted(counts, declined)), operator, "federation")
    if refresh_search and kind == "organizations" and counts.get("created", 0) + counts.get("updated", 0):
        search.refresh(engine)
    return Outcome("accepted", name, origin, kind, seq["after"], seq["to"], counts=counts, refused=declined)


def _owned(held: tuple[str | None, str] | None, prefix: str) -> bool:
    """Whether this node owns an organization it holds: of its region (the registering authority's province
    as its library reads it), from its own departments (not a peer's)."""
    return held is not None and str(held[0] or "").startswith(prefix) and not held[1].startswith("exchange/")


def _authority(conn: Connection, found: Sequence[rows.Row], node: str, origin: str) -> tuple[Sequence[rows.Row], int]:
    """The credit records ``origin`` is the authority for, and how many others were left as this node holds
    them: a record this node (or a third node) owns. (Organizations are judged as they are applied:
    services/exchange/apply.apply_organizations' ``kept``.)"""
    ids = sorted({str(r["id"]) for r in found})
    owners = _foreign(conn, ids)
    held: set[str] = set()
    for among in bulk.among(conn, credit_records.c.id, ids):
        held.update(conn.execute(select(credit_records.c.id).where(among)).scalars())
    mine = [r for r in found if owners.get(str(r["id"]), origin if str(r["id"]) not in held else node) == origin]
    return mine, len(found) - len(mine)
