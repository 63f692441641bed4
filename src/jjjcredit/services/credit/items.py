"""Which catalogue item a credit record is judged and read by: the item of the edition in force that new
records are collected under (:func:`item_in_force`; an item an edition withdrew is refused, but kept records
are still revoked and corrected under its last definition), the item each kept record is read under
(:func:`items_for_records`), and the item's collection time limit in working days — the limit of the edition
in force on the decision's day (:func:`collection_days_on`), the deadline it gives and whether a record came
after it (:func:`collection_deadline`). Also the fields and longer limits earlier editions had
(:func:`published_definitions`, :func:`dropped_elements`), whose values stored records keep.

Published editions never change: their items are read once per process (and which edition is in force at
most once a second: services/credit/catalogue.py).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from jjjcredit.core.credit import catalogue, working_days
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.storage import times

#: The items of published editions, which never change: (database, year, published at) → items.
_PUBLISHED: dict[tuple[str, int, Any], tuple[catalogue.Item, ...]] = {}


#: Per edition in force (database, year, published at): the items earlier published editions had and it has not.
_WITHDRAWN: dict[tuple[str, int, Any], dict[str, tuple[int, catalogue.Item, int, str]]] = {}


def item_in_force(conn: Connection, code: str, today: datetime.date | None = None, *,
                  withdrawn: bool = False) -> tuple[int, catalogue.Item]:
    """The item ``code`` of the catalogue edition in force (the newest published one up to this year), and
    that edition's year. An item an edition withdrew is refused (``credit.withdrawn_item``: nothing new is
    collected under it) — but with ``withdrawn``, for a step on records kept before (a revocation, a
    correction, a provider retired), it is the item as the last edition that had it defined it, and that
    edition's year."""
    day = today or working_days.today()
    year = day.year
    edition = catalogue_service.latest_published(conn, before=year + 1)
    if edition is None:
        later = catalogue_service.latest_published(conn)
        if later is not None:  # published ahead of its year: in force from 1 January
            raise RecordsError("credit.no_catalogue", f"No catalogue edition is in force on {day}: "
                               f"the first, the {later.year} edition, is published and comes into force on 1 "
                               f"January {later.year}; records are submitted under an edition in force.", field="item")
        raise RecordsError("credit.no_catalogue", "No catalogue edition is published yet: records are submitted "
                           "under a published edition's items (jjjcredit catalogue publish).", field="item")
    items = catalogue_service.edition_items(conn, edition.year)
    for item in items:
        if item.code == code:
            return edition.year, item
    gone = withdrawn_items(conn, edition).get(code)
    if gone is not None:
        last, item, by, why = gone
        if withdrawn:
            return last, item
        raise RecordsError("credit.withdrawn_item", f"Item {catalogue.shown_code(code)} ({item.name}) was withdrawn "
                           f"from the catalogue by its {by} edition ({why}); the {edition.year} edition is in force, "
                           "and nothing new is collected under it. Records sent before keep their rules: they can "
                           "still be revoked or corrected (credit revoke, credit correct).", field="item")
    raise RecordsError("credit.unknown_item", f"The {edition.year} catalogue has no item {catalogue.shown_code(code)}; "
                       f"its items are {', '.join(i.code for i in items)}.", field="item")


def item_withdrawal(conn: Connection, code: str, today: datetime.date | None = None,
                    ) -> tuple[int, catalogue.Item, int, str] | None:
    """Of an item the catalogue edition in force on ``today`` withdrew (:func:`item_in_force` refuses new
    records under it): that edition's year, the item as the last edition that had it defined it, the edition
    that withdrew it and the reason given; ``None`` for an item in force, one never published, or when no
    edition is."""
    edition = catalogue_service.latest_published(conn, before=(today or working_days.today()).year + 1)
    if edition is None:
        return None
    gone = withdrawn_items(conn, edition).get(code)
    if gone is None:
        return None
    _last, item, by, why = gone
    return edition.year, item, by, why


def withdrawn_items(conn: Connection, edition: catalogue_service.Edition) -> dict[str, tuple[int, catalogue.Item,
                                                                                          int, str]]:
    """The items a published edition before ``edition`` (the one in force) had and it has not: code → (the
    last edition that had it, its definition there, the edition that withdrew it, the reason given). Read
    once per edition in force and process: published editions never change."""
    key = (conn.engine.url.render_as_string(hide_password=True), edition.year, edition.published_at)
    found = _WITHDRAWN.get(key)
    if found is not None:
        return found
    current = {i.code for i in catalogue_service.edition_items(conn, edition.year)}
    last: dict[str, tuple[int, catalogue.Item]] = {}
    withdrawn_by: dict[str, int] = {}
    for e in catalogue_service.list_editions(conn):  # oldest first
        if e.status != "published" or e.year > edition.year:
            continue
        have = {i.code: i for i in catalogue_service.edition_items(conn, e.year)}
        for code in last:
            if code not in have and code not in withdrawn_by:
                withdrawn_by[code] = e.year
        for code, item in have.items():
            last[code] = (e.year, item)
            withdrawn_by.pop(code, None)
    out = {}
    for code, (year, item) in last.items():
        if code in current:
            continue
        by = withdrawn_by.get(code, edition.year)
        why = next((c.reason for c in catalogue_service.list_changes(conn, by)
                    if c.code == code and c.action == "withdraw"), "no reason recorded")
        out[code] = (year, item, by, why)
    _WITHDRAWN[key] = out
    return out


def items_for_records(conn: Connection, today: datetime.date | None = None) -> dict[str, catalogue.Item]:
    """The item each kept record is read under on ``today``, by code: the edition in force's, and for an
    item that edition withdrew, the item as the last published edition that had it — a record keeps the
    rules it was collected and published under (its disclosure mode, its periods) when its item is
    withdrawn; only the collection of new ones stops. Before the first edition in force: the newest
    published edition's."""
    day = today or working_days.today()
    edition = catalogue_service.edition_in_force(conn, before=day.year + 1) or \
        catalogue_service.edition_in_force(conn)
    if edition is None:
        return {}
    items = {code: item for code, (_y, item, _b, _w) in withdrawn_items(conn, edition).items()}
    items.update((i.code, i) for i in items_of(conn, day) or items_of(conn))
    return items


def items_of(conn: Connection, today: datetime.date | None = None) -> tuple[catalogue.Item, ...]:
    """The items of the edition in force (which edition that is, read at most once a second; a published
    edition's items once per process, since it never changes)."""
    today = today or working_days.today()
    edition = catalogue_service.edition_in_force(conn, before=today.year + 1)
    if edition is None:
        return ()
    key = (conn.engine.url.render_as_string(hide_password=True), edition.year, edition.published_at)
    items = _PUBLISHED.get(key)
    if items is None:
        items = _PUBLISHED[key] = catalogue_service.edition_items(conn, edition.year)
    return items


def collection_days(item: catalogue.Item) -> int | None:
    """The working days an item's collection time limit allows (``作出决定之日起 7 个工作日内`` → 7)."""
    return catalogue.collection_days(item.collection_time_limit)


def collection_days_on(conn: Connection, item: catalogue.Item, decided: datetime.date | None,
                       periods: Mapping[int, catalogue.InForce] | None = None) -> int | None:
    """The working days of ``item``'s collection time limit for a decision of ``decided``: the limit of the
    edition in force on that day — the duty to send arose under it, and a later edition's shorter limit does
    not make a record late after the fact, even one published late in its year — or the item's own when that
    edition has no such item, or none was in force by then. ``periods``: the editions' periods
    (:func:`catalogue_service.in_force_periods`) when the caller has them."""
    if decided is not None:
        year = catalogue.in_force_on(periods if periods is not None else catalogue_service.in_force_periods(conn),
                                     decided)
        if year is not None:
            for then in catalogue_service.edition_items(conn, year):
                if then.code == item.code:
                    return collection_days(then)
    return collection_days(item)


def due_on(item: catalogue.Item, decided_on: datetime.date | None) -> datetime.date | None:
    """The last day a record decided on ``decided_on`` may arrive, or ``None`` when the item sets no
    working-day limit or the calendar has no holiday notice for the year (never guessed)."""
    days = collection_days(item)
    if days is None or decided_on is None:
        return None
    return _due(decided_on, days)


def _late_past_calendar(decided_on: datetime.date | None, days: int | None, today: datetime.date) -> int:
    """Whether a record whose deadline the calendar cannot give (a year without a holiday notice) is late
    all the same: ``days`` working days are never more than ``2 × days + 30`` calendar days (weekends,
    and the longest runs of holidays in a year's notice), so past those it is late whatever the
    holidays were — a decision of years ago sent today is."""
    if decided_on is None or days is None:
        return 0
    return int(today > decided_on + datetime.timedelta(days=2 * days + 30))


def collection_deadline(days: int | None, decided_on: datetime.date | None,
                        arrived: datetime.date) -> tuple[str | None, int]:
    """A record's collection deadline (ISO; ``None`` when the item sets no working-day limit or the
    calendar cannot give it) and whether a record decided on ``decided_on`` that first arrived on
    ``arrived`` (Beijing's day) came after it — judged again whenever its decision date changes."""
    due = _due(decided_on, days) if days is not None and decided_on is not None else None
    if due is None:
        return None, _late_past_calendar(decided_on, days, arrived)
    return due.isoformat(), int(arrived > due)


def arrival_day(moment: datetime.datetime | str) -> datetime.date:
    """The day (in Beijing) a record kept at ``moment`` (as stored: storage/times.utc; as text, as SQLite may give
    it back) first arrived."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
    return times.utc(moment).astimezone(working_days.CHINA).date()


@functools.lru_cache(maxsize=1 << 12)
def _due(decided_on: datetime.date, days: int) -> datetime.date | None:
    try:
        return working_days.default().add_working_days(decided_on, days)
    except working_days.CalendarError:
        return None


def published_definitions(conn: Connection, item: catalogue.Item) -> tuple[catalogue.Item, ...]:
    """``item`` as each published edition defined it, oldest first: what :func:`dropped_elements` and
    core/credit/kept_lengths.longer_limits read, once a batch."""
    return tuple(i for edition in catalogue_service.list_editions(conn) if edition.status == "published"
                 for i in catalogue_service.edition_items(conn, edition.year) if i.code == item.code)


def dropped_elements(item: catalogue.Item, published: Sequence[catalogue.Item]) -> frozenset[str]:
    """The fields (element codes) an earlier published definition of ``item`` had and this one has not."""
    return frozenset({f.element for i in published for f in i.fields} - {f.element for f in item.fields})

