"""Disclosure: every read of the library that leaves the system goes through here, with the caller.

Each function takes the :class:`~jjjcredit.core.sharing.access.Caller` and returns data already cut
to what that caller sees (core/sharing/disclosure.py decides: elements absent above the caller's
level, personal data masked for the staff). Adapters never filter: an API route, a command or an
export calls one of these and shows what it gets. A new channel (an export, a portal page, a credit
report) calls :func:`disclose_organization` / :func:`disclose_changes` on what it read, or a reader
here.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import columns, persons, working_days
from jjjcredit.core.credit import records as credit_rules
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.core.sharing import access, disclosure, subjects
from jjjcredit.core.sharing.authorizations import AuthorizationError
from jjjcredit.core.sharing.disclosure import View, mask, mask_in_text, view_of
from jjjcredit.services.credit import catalogue
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.library import library, search
from jjjcredit.services.sharing import authorizations

__all__ = [
    "View",
    "catalogue_comments",
    "changes_after",
    "disclose_changes",
    "disclose_hits",
    "disclose_organization",
    "disclose_record_versions",
    "lookup_organization",
    "organization_history",
    "search_organizations",
    "show_organization",
    "subject_records",
    "view_of",
]


#: What ``show_organization`` adds to the elements: where the current record came from and when
#: (no values; not the fingerprint, a hash over the values).
_PROVENANCE = ("source", "batch_id", "effective", "seq", "created_seq", "created_at", "updated_at")


def disclose_organization(caller: access.Caller, values: Mapping[str, Any]) -> dict[str, Any]:
    """An organization's fields as ``caller`` may see them (the one rule; use it for every new channel)."""
    return view_of(caller).record(values)


def disclose_changes(caller: access.Caller, events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change events (history, feed) with only the changed elements ``caller`` may see, masked as its
    view says; the events themselves (that something changed, when, from which source) stay."""
    view = view_of(caller)
    shown = []
    for event in events:
        event["elements"] = view.changes(event["elements"])
        shown.append(event)
    return shown


def disclose_hits(caller: access.Caller, hits: Iterable[search.Hit]) -> list[search.Hit]:
    """Search hits with their organizations cut to what ``caller`` sees."""
    view = view_of(caller)
    return [dataclasses.replace(h, organization=view.record(h.organization)) for h in hits]


def lookup_organization(conn: Connection, caller: access.Caller, code: str) -> dict[str, str] | None:
    """The current elements of a (compact, checked) code that ``caller`` sees, or ``None`` if no
    provider has sent it. Reads only the columns the caller's view shows: the busiest read of the API."""
    view = view_of(caller)
    found = library.current_elements(conn, code, view.elements)
    if found is None or not view.masked:
        return found
    return view.record(found)


def organization_history(conn: Connection, caller: access.Caller, code: str) -> list[dict[str, Any]] | None:
    """Every change of an organization with the elements ``caller`` sees, or ``None`` if unknown."""
    if library.get_organization(conn, code) is None:
        return None
    return disclose_changes(caller, library.organization_history(conn, code))


def changes_after(conn: Connection, caller: access.Caller, after: int, limit: int = 1000) -> list[dict[str, Any]]:
    """The change feed after ``after`` with the elements ``caller`` sees."""
    return disclose_changes(caller, library.changes_after(conn, after, limit))


def search_organizations(conn: Connection, caller: access.Caller, text: str,
                         filters: search.Filters = search.Filters(), limit: int = 20) -> list[search.Hit]:
    """:func:`search.search_organizations`, each hit's organization as ``caller`` sees it."""
    return disclose_hits(caller, search.search_organizations(conn, text, filters, limit))


def autocomplete(conn: Connection, caller: access.Caller, text: str, filters: search.Filters = search.Filters(),
                 limit: int = 10) -> list[search.Hit]:
    """:func:`search.autocomplete`, each hit's organization as ``caller`` sees it."""
    return disclose_hits(caller, search.autocomplete(conn, text, filters, limit))


def show_organization(conn: Connection, caller: access.Caller, code: str) -> dict[str, Any] | None:
    """Everything about one organization that ``caller`` sees — the record, the source of each value,
    former names, history and conflicts — or ``None`` if no provider has sent the code."""
    org = library.get_organization(conn, code)
    if org is None:
        return None
    view = view_of(caller)
    details = library.show_organization(conn, code, org)
    record = details["organization"]
    details["organization"] = view.record(record) | {k: record[k] for k in _PROVENANCE if k in record}
    details["sources"] = {k: v for k, v in details["sources"].items() if k in view.shown}
    details["history"] = disclose_changes(caller, details["history"])
    details["conflicts"] = view.changes(details["conflicts"], values=("kept_value", "other_value"))
    return details


def catalogue_comments(conn: Connection, caller: access.Caller, year: int, after: int = 0,
                       limit: int | None = None) -> list[catalogue.Comment]:
    """The comments on an edition ``caller`` may read (drafts only for the ``cataloguing`` right), oldest
    first, those after the first ``after``, at most ``limit``. Those who compile the catalogue read them as
    written; the staff at the command line read any identity or mobile number in an author or a text masked
    (as every personal number it shows); everyone else reads the authors masked too: what a citizen typed is
    not published in clear."""
    compiles = access.admit(caller, "cataloguing") is not None
    catalogue.readable_edition(conn, year, compiles)
    comments = catalogue.list_comments(conn, year, after, limit)
    if compiles and caller.kind != "staff":
        return comments
    if compiles:
        return [dataclasses.replace(c, author=mask_in_text(c.author), text=mask_in_text(c.text)) for c in comments]
    return [dataclasses.replace(c, author=mask(c.author) or "", text=mask_in_text(c.text)) for c in comments]


def catalogue_changes(conn: Connection, caller: access.Caller,
                      year: int) -> tuple[list[catalogue.ItemChange], list[catalogue.Assessment]]:
    """The items added, changed and withdrawn in an edition with their reasons, and its assessments, for a
    caller who may read the edition (drafts only for the ``cataloguing`` right) — the public reads why each
    item comes or goes while it comments (Hebei Regulations Art. 11). Those who compile the catalogue read
    them as recorded; everyone else reads who recorded each masked, and any identity or mobile number in a
    text masked, as a comment's."""
    compiles = access.admit(caller, "cataloguing") is not None
    catalogue.readable_edition(conn, year, compiles)
    changes, assessments = catalogue.list_changes(conn, year), catalogue.list_assessments(conn, year)
    if compiles:
        return changes, assessments
    return ([dataclasses.replace(c, by=mask(c.by) or "", reason=mask_in_text(c.reason)) for c in changes],
            [dataclasses.replace(a, by=mask(a.by) or "", experts=mask_in_text(a.experts),
                                 representatives=mask_in_text(a.representatives),
                                 conclusion=mask_in_text(a.conclusion)) for a in assessments])


def batch_rejects(conn: Connection, caller: access.Caller, batch: str, after_row: int = 0,
                  limit: int = 1000) -> list[dict[str, Any]]:
    """The rejected rows of a credit batch, for the client that sent it alone — by its id, not its name: a
    client holding a revoked client's name (an earlier version gave one again) does not read the first one's
    batches; any other caller is answered as if there were no such batch — and only while its key may provide
    under the batch's item (``access.may_provide``: its item grant and level; ``access.item`` otherwise). Values
    as the rejects keep them: personal numbers masked, whatever the caller's level."""
    if caller.client is None or caller.client_id is None:
        raise RecordsError("credit.provider", "A batch's rejects are read with the key of the provider that sent it.",
                           field="X-API-Key")
    item = credit_records.batch_item(conn, batch, client=caller.client_id)
    level = credit_items.item_in_force(conn, item, withdrawn=True)[1].security_level
    if not access.may_provide(caller, item, level):
        raise RecordsError("access.item", f'Batch "{batch}" was sent under item "{item}", which the key of '
                           f'"{caller.client}" no longer provides under (its items: '
                           f"{', '.join(sorted(caller.items or ())) or 'every item'} within level {caller.level}); "
                           "the platform's operator grants items (`jjjcredit clients grant`).", field="batch")
    return list(credit_records.batch_rejects(conn, batch, after_row=after_row, limit=limit))


#: The (column code, field name) pairs of an item in its layout's order, by the item object (the
#: published editions' items are read once per process, so few distinct objects come by).
_FIELDS: dict[int, tuple[Any, tuple[tuple[str, str], ...]]] = {}


def _fields(item: Any) -> tuple[tuple[str, str], ...]:
    if item is None:
        return ()
    kept = _FIELDS.get(id(item))
    if kept is None or kept[0] is not item:
        if len(_FIELDS) > 1024:
            _FIELDS.clear()
        kept = _FIELDS[id(item)] = (item, tuple((f.element, f.name) for f in item.fields))
    return kept[1]


#: The column of the end of publication a provider states (公示截止期), as it appears in a version's values.
_STATED = credit_rules.STATED_UNTIL


def stated_until(data: str | None) -> datetime.date | None:
    """The end of publication a version's values state (公示截止期), or ``None`` (none stated, or not a date:
    the ingest keeps only real dates). Read only from values that name it."""
    if not data or f'"{_STATED}"' not in data:
        return None
    value = json.loads(data).get(_STATED)
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


#: The roles of the columns that say whom a record is about.
_SUBJECT_ROLES = frozenset({"subject_code", "subject_category", "identity_number"})


def _about(data: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Whom a version's values say the record is about: its subject's code, category and identity number
    (masked, as stored) — a correction that changed them made the earlier versions another subject's."""
    return tuple(sorted((k, v) for k, v in data.items()
                        if (c := columns.COLUMNS.get(k)) is not None and c.role in _SUBJECT_ROLES))


def _clear_for_another(facts: disclosure.StoredRecord, caller: access.Caller, day: datetime.date) -> bool:
    """Whether ``caller`` reads the personal numbers of a version about another subject than the record's
    now (before a correction of its subject): only as a natural person's kept under no key of its own are
    read — never as the record's own subject's or by its authorization, which are about the subject now."""
    return disclosure.decide_record(dataclasses.replace(facts, subject_type="natural_person", subject_key=None),
                                    caller, day).personal_clear


def _record_values(item: Any, stored: Mapping[str, str], sealed: Mapping[str, str], clear: bool,
                   protector: persons.Protector | None) -> dict[str, str]:
    """A record's values by the item's field names in its layout's order (then any column the item no
    longer names — a field a later edition dropped — by its national name, or by code when it has none or
    that name is taken), identity numbers opened only when ``clear``. For a caller not entitled to
    them, a personal number left in a value's text (a record kept before the ingest masked every way of
    writing one, or one another node sent) is masked here too."""
    fields = _fields(item)
    opened = clear and protector is not None

    def shown(code: str, value: str) -> str:
        if opened and code in sealed:
            return protector.open(code, sealed[code])  # type: ignore[union-attr]
        value = columns.shown_stored(code, value)  # (a severity class in the words people read)
        return value if clear else shown_personal(value)

    values: dict[str, str] = {}
    for code, name in fields:
        value = stored.get(code)
        if value is not None:
            values[name] = shown(code, value)
    if len(values) < len(stored):
        known = {code for code, _name in fields}
        for code in sorted(c for c in stored if c not in known):
            column = columns.COLUMNS.get(code)
            values[column.name if column is not None and column.name not in values else code] = \
                shown(code, stored[code])
    return values


def _reason(text: str | None, clear: bool) -> str | None:
    """A correction's or revocation's reason: a personal number in it (one kept before reasons were masked
    when given) masked for a caller not entitled to identity numbers."""
    return text if clear or not text else shown_personal(text)


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _moment(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def current_day() -> datetime.date:
    """Today in Beijing: the day a question without a date is asked about."""
    return working_days.today()


def subject_records(conn: Connection, caller: access.Caller, code: str, protector: persons.Protector | None, *,
                    as_of: datetime.date | None = None, today: datetime.date | None = None,
                    authorization: str | None = None, items: frozenset[str] = frozenset(),
                    page: tuple[int, int] | None = None) -> dict[str, Any]:
    """A credit subject's records as ``caller`` sees them on a day, by catalogue item, newest first — or, with
    ``page`` (offset, limit), the ``limit`` of them from ``offset`` on (counted item by item, newest first), with
    ``offset``, ``returned`` and ``next_offset`` (``None`` on the last page); ``records`` counts them all. Every
    record is decided on, but only those shown are built, and on today's question only theirs of the versions are
    read.

    Every record and every version goes through core/sharing/disclosure.decide_record: which records
    (public disclosure, government sharing, an authorized query, the subject itself, the staff),
    identity numbers opened only for a caller entitled to them and masked for everyone else. Each
    record says its ``channel``, whether it is in public disclosure that day (``public``), the last
    day of its public window (``public_until``, when it has one) and the last day it is shared among
    government departments (``shared_until``, when sharing ends: then the record is archived, seen by
    the staff and the subject only); one seen only through public disclosure comes without its
    history (the public reads a record as it stands).

    ``as_of`` asks about a past day (in Beijing): records decided or received after it are absent,
    each record is shown in the version it had then, and its history ends there. Without it, the
    question is about ``today`` (default: today in Beijing) and every version is shown. A record seen
    that day only through public disclosure is left out when nobody would see it today by any channel
    the caller has (revoked, repaired or past its window since): what was withdrawn from public view
    stays withdrawn, whatever day is asked about, and one still seen is shown as it stands now (a
    correction since, of a mistake or of personal data, applies to any day). ``code`` is a
    unified social credit code, a natural person's identity number, or a subject key (``P:…``). A
    public caller asking about a natural person gets the same answer whether or not records exist
    (no subject, no records): nothing is read.

    ``authorization`` makes the call an authorized query: the authorization of that id is checked
    today (core/sharing/authorizations.py: the subject's, this caller's, valid, not revoked, covering
    ``items``) before anything is read, and opens the items it names. ``items``, when given, limits
    the answer to those catalogue items."""
    asked = today or current_day()
    day = as_of or asked
    if authorization is not None and caller.kind != "client":
        raise AuthorizationError("authorization.wrong_party", "An authorized query is made with the key of the "
                                 "party the authorization names.", field="authorization")
    if caller.public:  # never a natural person: nothing is read, nothing tells whether records exist
        key = _public_key(code, protector)
        if key is None or key.startswith(persons.PERSON_PREFIX):
            nothing: dict[str, Any] = {"subject": None, "as_of": day.isoformat(), "items": [], "records": 0}
            return nothing if page is None else _paged(nothing, page, 0)
    else:
        key = credit_records.subject_key_of(code, protector)
    # the items of the edition in force that day (or, before the first edition, of the one in force now)
    in_force = credit_items.items_for_records(conn, day)  # (an item withdrawn since keeps its last rules)
    own = caller.kind == "subject" and caller.client == subjects.caller_name(key)
    authorized = frozenset() if authorization is None else \
        authorizations.authorized_items(conn, authorization, caller.client, key, asked, items)
    chosen: dict[str, list[_Chosen]] = {}
    # today's question needs the versions only of the records it shows with their history: read for the page
    for stored in credit_records.subject_records(conn, key, versions=as_of is not None):
        if items and stored["item"] not in items:
            continue
        item = in_force.get(stored["item"])
        versions = stored["history"]  # newest first
        if as_of is not None:
            versions = [h for h in versions if disclosure.china_date(_moment(h["at"])) <= as_of]
            if not versions:
                continue
        current = versions[0]
        facts = disclosure.StoredRecord(item, stored["subject_type"], stored["severity"], _date(stored["decided_on"]),
                                        current["status"], disclosure.china_date(_moment(stored["created_at"])),
                                        stated_until(current["data"]), stored["subject_key"])
        decision = disclosure.decide_record(facts, caller, day, own=own, authorized=authorized)
        if not decision.visible:
            continue
        if as_of is not None and decision.channel == "public_disclosure":
            now = stored["history"][0]
            if not disclosure.decide_record(dataclasses.replace(facts, status=now["status"]), caller, asked,
                                            own=own, authorized=authorized).visible:
                continue  # withdrawn from public view since (revoked, repaired, its window over): for any day
            current = now  # and a correction since applies to what the public reads about any day
        chosen.setdefault(stored["item"], []).append(_Chosen(stored, item, versions, current, facts, decision))
    for records in chosen.values():
        records.sort(key=lambda c: (c.stored["decided_on"] or "", c.current["version"]), reverse=True)
    ordered = [c for code in sorted(chosen) for c in chosen[code]]
    shown = ordered if page is None else ordered[page[0]:page[0] + page[1]]
    if as_of is None:
        earlier = credit_records.versions_of(conn, key, [c.stored["id"] for c in shown if c.current["version"] > 1
                                                          and c.decision.channel != "public_disclosure"])
        shown = [dataclasses.replace(c, versions=[c.current, *earlier.get(c.stored["id"], [])]) for c in shown]
    groups: dict[str, dict[str, Any]] = {}
    for c in shown:
        group = groups.setdefault(c.stored["item"], {"item": c.stored["item"], "item_name": c.item.name if c.item
                                                     else "", "kind": c.item.kind if c.item else "", "records": []})
        group["records"].append(_shown_record(c, caller, day, protector))
    answer = {"subject": key, "as_of": day.isoformat(), "items": list(groups.values()), "records": len(ordered)}
    return answer if page is None else _paged(answer, page, len(shown))


@dataclasses.dataclass(frozen=True)
class _Chosen:
    """A record a caller sees: as stored, its catalogue item, its versions (newest first) as that day, the version
    it is shown in, the facts it was decided on and the decision."""

    stored: Mapping[str, Any]
    item: Any
    versions: list[Mapping[str, Any]]
    current: Mapping[str, Any]
    facts: disclosure.StoredRecord
    decision: disclosure.RecordDecision


def _paged(answer: dict[str, Any], page: tuple[int, int], returned: int) -> dict[str, Any]:
    """``answer`` (the records of the page alone) said as a page: from ``offset``, ``returned`` of them, and where the
    next page starts (``None`` on the last)."""
    offset, limit = page
    return {**answer, "offset": offset, "returned": returned,
            "next_offset": offset + limit if offset + limit < answer["records"] else None}


def _shown_record(chosen: _Chosen, caller: access.Caller, day: datetime.date,
                  protector: persons.Protector | None) -> dict[str, Any]:
    """A record as the caller sees it: its values (identity numbers opened only for a caller entitled to them) and,
    but through public disclosure, its history with what each version changed."""
    stored, item, versions, current, facts, decision = (chosen.stored, chosen.item, chosen.versions, chosen.current,
                                                        chosen.facts, chosen.decision)
    clear = decision.personal_clear
    history = []
    previous: dict[str, str] | None = None
    if decision.channel != "public_disclosure":
        now_about = _about(json.loads(current["data"]))
        for h in reversed(versions):  # oldest first, to tell what each version changed
            data = json.loads(h["data"])
            opened = clear if _about(data) == now_about else _clear_for_another(facts, caller, day)
            values = _record_values(item, data, json.loads(h["sealed"]) if h["sealed"] else {}, opened, protector)
            changed = {k: [previous.get(k) if previous else None, v] for k, v in values.items()
                       if previous is None or previous.get(k) != v}
            if previous:
                changed.update({k: [v, None] for k, v in previous.items() if k not in values})
            history.append({"version": h["version"], "action": h["action"], "status": h["status"],
                            "at": _iso(h["at"]), "batch": h["batch_id"], "reason": _reason(h["reason"], opened),
                            "changed": changed if previous is not None else {}})
            previous = values
    sealed = json.loads(current["sealed"]) if current["sealed"] else {}
    revoked = current["status"] == "revoked"
    return {
        "id": stored["id"], "document_number": stored["document_number"], "status": current["status"],
        "version": current["version"], "channel": decision.channel, "public": decision.public,
        "public_until": decision.public_until.isoformat() if decision.public_until else None,
        "shared_until": decision.shared_until.isoformat() if decision.shared_until else None,
        "provider": stored["provider"], "subject_type": stored["subject_type"],
        "subject_name": stored["subject_name"], "subject_code": stored["subject_code"],
        "severity": stored["severity"], "decided_on": stored["decided_on"], "valid_until": stored["valid_until"],
        "revoked_on": stored["revoked_on"] if revoked else None,
        "reason": _reason(current["reason"], clear), "late": bool(stored["late"]),
        "unknown_organization": bool(stored["unknown_organization"]),
        "values": previous if history else _record_values(item, json.loads(current["data"]), sealed, clear, protector),
        "history": list(reversed(history))}


def disclose_record_versions(caller: access.Caller, records: Iterable[Mapping[str, Any]], day: datetime.date,
                             in_force: Mapping[str, Any], *, withdrawals: bool = False) -> list[dict[str, Any]]:
    """Credit records read in bulk (an exchange package), each with the versions a channel carries, cut to
    what ``caller`` sees on ``day`` — core/sharing/disclosure.decide_record, the rule every reader of
    records applies. ``records``: stored rows (``item``, ``subject_type``, ``subject_key``, ``severity``,
    ``decided_on``, ``status``, ``version``, ``created_at``) each with ``versions`` (``version``, ``data`` …);
    ``in_force``: the catalogue's items by code. A record seen only through public disclosure keeps its
    current version alone (the public reads a record as it stands); one not seen is left out whole. Values
    stay as stored — identity numbers masked: a package never carries a sealed number — except that a
    personal number left in a value's text or a version's reason (a record kept before the ingest masked
    every way of writing one, or one another node sent) is masked too (:func:`_masked_version`). Each kept
    record gets ``channel``.

    With ``withdrawals`` (a delta: its receiver may hold an earlier version), a record the caller would see
    by public disclosure had it stayed in force, and no longer sees because it was revoked (or repaired),
    is kept as a **withdrawal**: ``channel`` ``"withdrawn"``, its current version without values — what
    tells a public receiver to stop showing it, and nothing more."""
    shown: list[dict[str, Any]] = []
    for stored in records:
        now = next((v["data"] for v in stored["versions"] if v["version"] == stored["version"]), None)
        facts = disclosure.StoredRecord(in_force.get(stored["item"]), stored["subject_type"], stored["severity"],
                                        _date(stored["decided_on"]), stored["status"],
                                        disclosure.china_date(_moment(stored["created_at"])), stated_until(now),
                                        stored.get("subject_key"))
        decision = disclosure.decide_record(facts, caller, day)
        versions = list(stored["versions"])
        if not decision.visible:
            if withdrawals and stored["status"] not in disclosure.PUBLIC_STATUSES and disclosure.decide_record(
                    dataclasses.replace(facts, status="in_force"), caller, day).channel == "public_disclosure":
                current = [{**v, "data": None} for v in versions if v["version"] == stored["version"]]
                if current:
                    shown.append({**stored, "versions": current, "channel": "withdrawn"})
            continue
        if decision.channel == "public_disclosure":
            versions = [v for v in versions if v["version"] == stored["version"]]
        if versions:
            shown.append({**stored, "versions": [_masked_version(v) for v in versions], "channel": decision.channel})
    return shown


def _masked_version(version: Mapping[str, Any]) -> Mapping[str, Any]:
    """A stored version with any personal number in its values' text or its reason masked (as the ingest
    now keeps them); the version itself when there is none, which is nearly always."""
    data, reason = version.get("data"), version.get("reason")
    masked = {"data": credit_rules.masked_data(data) if data else data,
              "reason": shown_personal(reason) if reason else reason}
    return version if masked["data"] == data and masked["reason"] == reason else {**version, **masked}


def _public_key(code: str, protector: persons.Protector | None) -> str | None:
    """The subject key for a caller who sees no natural person: a person's key without ever failing for
    want of the personal data key (``None`` then), so that nothing tells whether such records exist."""
    try:
        return credit_records.subject_key_of(code, protector)
    except persons.PersonalDataError:
        return None


def _iso(value: Any) -> Any:
    """A stored time as ISO 8601 in UTC (SQLite gives it back without its zone)."""
    if isinstance(value, datetime.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)
        return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value

