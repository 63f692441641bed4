"""Disclosure: what a caller sees. The one rule every read path applies (through
services/sharing/disclosure.py) before data leaves the library.

A :class:`View` is decided once per kind of caller and security level, then reused: which elements
are shown (in element order), and which of them are shown masked.

- **the public** (no key): the level-1 elements;
- **an application party** (``client``) with ceiling *n*: the elements of level *n* or below, in
  clear — an element above its level is absent, never masked;
- **the platform's staff** (an operator at the command line): every element, personal data
  (identity numbers, telephones, contacts: ``Element.personal``) masked;
- **a credit subject** looking at itself: not yet served; until it is, the public's view.

Credit records are decided here too, one record at a time: :func:`decide_record` says for one stored
record, one caller and one day whether the record is seen, by which channel (:data:`CHANNELS`),
whether identity numbers are opened, the last day of its public window (:func:`public_until`) and
the last day it is shared among government departments (:func:`shared_until`).

>>> public, staff = view_of(access.PUBLIC), view_of(access.STAFF)
>>> "legal_rep_id_number" in public.shown, "telephone" in view_of(access.client_at(2)).shown
(False, True)
>>> view_of(access.client_at(3)).record({"uscc": "X", "legal_rep_id_number": "11010519491231002X"})
{'uscc': 'X', 'legal_rep_id_number': '11010519491231002X'}
>>> staff.record({"uscc": "X", "legal_rep_id_number": "11010519491231002X", "seq": 4})
{'uscc': 'X', 'legal_rep_id_number': '110105********002X'}
>>> public.record({"uscc": "X", "name": "某某公司", "telephone": "0311-86001234"})
{'uscc': 'X', 'name': '某某公司'}
>>> view_of(access.client_at(1)) is view_of(access.PUBLIC)
True
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import catalogue, periods, persons, working_days
from jjjcredit.core.library import elements, records
from jjjcredit.core.sharing import access

#: Fields of an organization that are not elements and that every view shows: the code itself and
#: the registering authority's division (the code's positions 3-8, public with the code).
IDENTITY: tuple[str, ...] = ("uscc", "authority_region")


def mask(value: str | None) -> str | None:
    """A personal value as shown to a caller who may know it exists but not read it.

    >>> mask("11010519491231002X"), mask("张三丰"), mask(None)
    ('110105********002X', '张**', None)
    """
    return None if value is None else records.mask_personal(value)


def mask_in_text(text: str) -> str:
    """Free text (a public comment) with the identity and mobile numbers in it masked.

    >>> mask_in_text("张某，电话13812345678，身份证11010519491231002X")
    '张某，电话138****5678，身份证110105********002X'
    """
    return shown_personal(text)


@dataclass(frozen=True)
class View:
    """What one kind of caller at one security level sees of an organization."""

    kind: str
    level: int
    #: The elements shown besides the code, in element order (an element not here is absent from
    #: every answer).
    elements: tuple[str, ...]
    #: The fields shown: :data:`IDENTITY` and :attr:`elements`.
    shown: frozenset[str]
    #: Shown elements whose values are masked (personal data).
    masked: frozenset[str]

    def record(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """An organization's fields as this view shows them: others absent, personal ones masked, and
        empty ones left out."""
        shown, masked = self.shown, self.masked
        if not masked:
            return {k: v for k, v in values.items() if k in shown and v is not None}
        return {k: (mask(v) if k in masked else v) for k, v in values.items() if k in shown and v is not None}

    def changes(self, items: Iterable[Mapping[str, Any]], element: str = "element",
                values: tuple[str, ...] = ("old", "new")) -> list[dict[str, Any]]:
        """Changes of elements (``{"element", "old", "new"}``, or conflicts with other value keys):
        those of elements not shown dropped, personal values masked."""
        shown: list[dict[str, Any]] = []
        for item in items:
            if item[element] not in self.shown:
                continue
            copy = dict(item)
            if item[element] in self.masked:
                for key in values:
                    copy[key] = mask(copy.get(key))
            shown.append(copy)
        return shown

    def fields(self, kind: str) -> frozenset[str]:
        """The fields of a kind of data this view shows. Organizations only; which credit records a
        caller sees is :func:`decide_record`'s."""
        if kind == "organization":
            return self.shown
        raise ValueError(f'no disclosure rule for "{kind}" yet')


def _view(kind: str, level: int) -> View:
    names = tuple(e.name for e in elements.ELEMENTS if e.security_level <= level and e.name not in IDENTITY)
    masked = frozenset(e.name for e in elements.ELEMENTS if e.personal) if kind == "staff" else frozenset()
    return View(kind, level, names, frozenset(IDENTITY) | frozenset(names), masked & frozenset(names))


@functools.cache
def _cached(kind: str, level: int) -> View:
    return _view(kind, level)


#: What a record's ``status`` may be as the decision reads it: ``in_force`` and ``revoked`` are stored
#: today; ``under_objection`` (an objection filed, the record marked at once) and ``repaired`` (credit
#: repair granted) are decided here already.
RECORD_STATUSES: tuple[str, ...] = ("in_force", "under_objection", "revoked", "repaired")
#: Statuses a record may be publicly disclosed in (one under objection stays, marked as such).
PUBLIC_STATUSES: frozenset[str] = frozenset({"in_force", "under_objection"})
#: The channels a record reaches a caller by, broadest first (a caller holding several is told the
#: first): the record's own subject, the platform's staff, government sharing (an application party
#: granted ``records`` at level 2 or above, within its level and items), an authorized query (a valid
#: authorization from the subject for the item), public disclosure (everyone).
CHANNELS: tuple[str, ...] = ("own", "staff", "government_sharing", "authorized_query", "public_disclosure")
#: China Standard Time (no daylight saving): the day a record leaves public view is a day in Beijing.
CHINA = working_days.CHINA


def china_date(moment: datetime.datetime) -> datetime.date:
    """The day in Beijing of a moment (a naive one is taken as UTC, as SQLite gives stored times back).

    >>> china_date(datetime.datetime(2026, 4, 9, 16, 0, tzinfo=datetime.UTC))
    datetime.date(2026, 4, 10)
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
    return aware.astimezone(CHINA).date()


@dataclass(frozen=True)
class StoredRecord:
    """What the decision needs of one stored credit record, as it stood on the day asked about.

    ``item`` is the catalogue item in force (``None``: an item the catalogue no longer has);
    ``arrived_on`` the day (in Beijing) the platform first held the record; ``stated_until`` the end of
    publication its provider stated (公示截止期), when it stated one; ``subject_key`` the key the record
    is kept under (a natural person's record is its subject's own only under a person's key: see
    :func:`decide_record`)."""

    item: catalogue.Item | None
    subject_type: str
    severity: str | None
    decided_on: datetime.date | None
    status: str = "in_force"
    arrived_on: datetime.date | None = None
    stated_until: datetime.date | None = None
    subject_key: str | None = None


@dataclass(frozen=True)
class RecordDecision:
    """What one caller sees of one record on one day: whether at all and by which channel (one of
    :data:`CHANNELS`), whether identity numbers are opened for it, whether it is in public disclosure
    that day, the last day of its public window (``None``: no window — an item that is not
    negative is public while it is in force; a negative record with no period rule for its decision
    date is never public) and the last day of its government sharing (``None``: no end)."""

    visible: bool
    channel: str | None
    personal_clear: bool
    public: bool
    public_until: datetime.date | None
    shared_until: datetime.date | None = None


def public_until(record: StoredRecord) -> datetime.date | None:
    """The last day a negative record may be publicly disclosed: the decision date plus the maximum
    months of its severity's period rule in force on that date (catalogue.period_rule), month ends
    clamped (core/credit/periods.py) — or, when its provider stated an end of publication (公示截止期), that
    day, held within the rule: never before the minimum months, never after the maximum (the deciding
    authority sets the period within the range the severity allows; publication stops at the maximum
    whatever was stated). Periods start the day after the decision and end on the day of the
    same number in the last month (Civil Code Art. 201-203): a serious penalty of 2026-04-10 under a
    36-month maximum is public on 2029-04-10 and not on 2029-04-11. ``None`` for a record that is not
    negative — the catalogue gives period rules to negative items only, by severity, so a licence or
    a commendation of a public item stays public while it is in force — and for a negative one without
    a rule (no severity, no decision date, or a date before every rule of the item): such a record is
    never public.

    >>> penalty = catalogue.default_item("JJJ-03-001")
    >>> public_until(StoredRecord(penalty, "organization", "serious", datetime.date(2026, 4, 10)))
    datetime.date(2029, 4, 10)
    >>> public_until(StoredRecord(penalty, "organization", "general", datetime.date(2018, 1, 31)))
    datetime.date(2023, 1, 31)
    >>> public_until(StoredRecord(penalty, "organization", "general", datetime.date(2016, 5, 1))) is None
    True
    >>> def stated(day: datetime.date) -> StoredRecord:  # a general penalty of 2026-04-10: 3 to 12 months
    ...     return StoredRecord(penalty, "organization", "general", datetime.date(2026, 4, 10), stated_until=day)
    >>> [public_until(stated(datetime.date(*d))) for d in ((2026, 5, 1), (2026, 9, 1), (2030, 1, 1))]
    [datetime.date(2026, 7, 10), datetime.date(2026, 9, 1), datetime.date(2027, 4, 10)]
    """
    if record.item is None:
        return None
    bounds = periods.window(record.item, record.severity, record.decided_on)
    if bounds is None:
        return None
    least, most = bounds
    return most if record.stated_until is None else min(max(record.stated_until, least), most)


def shared_until(record: StoredRecord) -> datetime.date | None:
    """The last day a negative record is shared among government departments (and open to an
    authorized query): the end of its public window (:func:`public_until`) plus the sharing months of
    the same period rule (``PeriodRule.sharing_months``), month ends clamped. Counted from the end of
    the window, so sharing never ends before publication does. ``None`` — shared without end — for a
    record without a window and for a rule without a sharing period (an edition stored before rules
    had one). After that day the record is archived: the staff and the subject itself still see it.

    >>> penalty = catalogue.default_item("JJJ-03-001")
    >>> shared_until(StoredRecord(penalty, "organization", "serious", datetime.date(2026, 4, 10)))
    datetime.date(2034, 4, 10)
    >>> shared_until(StoredRecord(penalty, "organization", None, datetime.date(2026, 4, 10))) is None
    True
    """
    rule = _period_rule(record)
    until = public_until(record)
    if rule is None or until is None or rule.sharing_months is None:
        return None
    return periods.add_months(until, rule.sharing_months)


def _period_rule(record: StoredRecord) -> catalogue.PeriodRule | None:
    """The period rule in force for a negative record's decision, or ``None`` (not negative, no
    severity, no decision date, or a date before every rule of its severity)."""
    if record.item is None:
        return None
    found = periods.ruled(record.item, record.severity, record.decided_on)
    return None if found is None else found[0]


def _in_public_window(record: StoredRecord, until: datetime.date | None, as_of: datetime.date) -> bool:
    item = record.item
    if item is None or item.disclosure_mode != "public_disclosure" or item.security_level > access.PUBLIC_LEVEL:
        return False
    if record.subject_type == "natural_person" or record.status not in PUBLIC_STATUSES:
        return False
    if item.kind == "negative":
        return until is not None and as_of <= until
    return True


def decide_record(record: StoredRecord, caller: access.Caller, as_of: datetime.date, *, own: bool = False,
                  authorized: frozenset[str] = frozenset()) -> RecordDecision:
    """The one rule for credit records: what ``caller`` sees of ``record`` on ``as_of``.

    - A record decided after ``as_of``, or that had not arrived by then, did not exist for the question.
    - **Public disclosure** (everyone, the public included): a ``public_disclosure`` item of level 1, a
      subject that is not a natural person (never, whatever the item says), the record in force or
      under objection, and — for a negative item — ``as_of`` not after :func:`public_until`. At the
      end of the window it leaves every public channel by itself: nothing has to run.
    - **Government sharing**: an application party granted ``records`` at level 2 or above, for
      ``public_disclosure`` and ``government_sharing`` items within its level and its items, natural
      persons included, after the public window too until :func:`shared_until`, and revoked records
      (marked); a repaired record is no longer shared. Past that day the record is archived: no
      government sharing, no authorized query.
    - **Authorized query**: an application party whose valid authorization from the subject covers
      the item (``authorized``: the items it names), within the caller's level and items, the record in
      force or under objection and inside its public window when it has one.
    - **Own**: the subject itself (``own``, for a caller of kind ``subject``) sees all its records.
    - **Staff** (an operator) sees every record, identity numbers masked.

    Identity numbers are opened for the subject itself and for an application party at the top
    level within its items, never for anyone else (a record of an item outside a party's grant that
    the public may see, it sees as the public does).

    ``own`` and ``authorized`` are about the subject whose key was asked for: they count for a natural
    person's record only when it is kept under a natural person's key (``subject_key`` ``P:…``). A
    person's record kept under an organization's code (as rows that named both were filed before they
    were refused) is not that organization's: its own view and its authorizations neither show it nor
    open the person's number — ``jjjcredit credit rekey-persons`` files it under the person.

    >>> penalty = catalogue.default_item("JJJ-03-001")
    >>> org = StoredRecord(penalty, "organization", "serious", datetime.date(2026, 4, 10))
    >>> decide_record(org, access.PUBLIC, datetime.date(2029, 4, 10)).channel
    'public_disclosure'
    >>> decide_record(org, access.PUBLIC, datetime.date(2029, 4, 11)).visible
    False
    >>> shared = decide_record(org, access.Caller("某局", frozenset({"records"}), 2), datetime.date(2029, 4, 11))
    >>> shared.channel, shared.public, shared.public_until, shared.shared_until
    ('government_sharing', False, datetime.date(2029, 4, 10), datetime.date(2034, 4, 10))
    >>> bureau = access.Caller("某局", frozenset({"records"}), 2)
    >>> decide_record(org, bureau, datetime.date(2034, 4, 10)).channel  # the last day of sharing
    'government_sharing'
    >>> decide_record(org, bureau, datetime.date(2034, 4, 11)).visible  # archived: shared no longer
    False
    >>> decide_record(org, bureau, datetime.date(2034, 4, 11), authorized=frozenset({"JJJ-03-001"})).visible
    False
    >>> decide_record(org, access.STAFF, datetime.date(2034, 4, 11)).channel  # the staff still see it
    'staff'
    >>> person = StoredRecord(penalty, "natural_person", "serious", datetime.date(2026, 4, 10))
    >>> decide_record(person, access.PUBLIC, datetime.date(2026, 5, 1)).visible
    False
    >>> decide_record(org, access.PUBLIC, datetime.date(2026, 4, 9)).visible  # not decided yet
    False
    >>> def filed(key: str) -> StoredRecord:  # a natural person's penalty, kept under ``key``
    ...     return StoredRecord(penalty, "natural_person", "serious", datetime.date(2026, 4, 10), subject_key=key)
    >>> me = access.Caller("subject", frozenset({"records"}), 3, "subject")
    >>> decide_record(filed("P:" + "a" * 40), me, datetime.date(2026, 5, 1), own=True).personal_clear
    True
    >>> decide_record(filed("91130102MA0000000X"), me, datetime.date(2026, 5, 1), own=True).visible
    False
    """
    hidden = RecordDecision(False, None, False, False, None)
    if record.decided_on is not None and record.decided_on > as_of:
        return hidden
    if record.arrived_on is not None and record.arrived_on > as_of:
        return hidden
    until = public_until(record)
    shared = shared_until(record)
    public = _in_public_window(record, until, as_of)
    item = record.item
    level = view_of(caller).level
    top = caller.kind == "client" and level >= access.TOP_LEVEL

    def seen(channel: str, clear: bool) -> RecordDecision:
        return RecordDecision(True, channel, clear, public, until, shared)

    if record.subject_type == "natural_person" and not persons.is_person(record.subject_key or ""):
        own, authorized = False, frozenset()  # not the person's key: nobody asked as this person
    if own and caller.kind == "subject":
        return seen("own", True)
    if caller.kind == "staff":
        return seen("staff", False)
    within = (item is not None and item.security_level <= level
              and (caller.items is None or item.code in caller.items) and (shared is None or as_of <= shared))
    if (within and item is not None and caller.kind == "client" and "records" in caller.services
            and level >= access.SHARING_LEVEL
            and item.disclosure_mode in ("public_disclosure", "government_sharing") and record.status != "repaired"):
        return seen("government_sharing", top)
    if (within and item is not None and caller.kind == "client" and item.code in authorized
            and record.status in PUBLIC_STATUSES
            and (item.kind != "negative" or (until is not None and as_of <= until))):
        return seen("authorized_query", top)
    if public and access.admit(caller, "records") is not None:  # identity numbers only within its grant
        return seen("public_disclosure", top and within)
    return hidden


def view_of(caller: access.Caller) -> View:
    """The view a caller gets; decided once per kind and level (a dictionary look-up afterwards)."""
    if caller.kind == "staff":
        return _cached("staff", access.TOP_LEVEL)
    if caller.kind == "client":
        level = max(access.PUBLIC_LEVEL, min(caller.level, access.TOP_LEVEL))
        return _cached("client", level) if level > access.PUBLIC_LEVEL else _cached("public", access.PUBLIC_LEVEL)
    return _cached("public", access.PUBLIC_LEVEL)  # the public; a credit subject until its view exists
