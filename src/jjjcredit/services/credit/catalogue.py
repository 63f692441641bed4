"""The catalogue's editions over the database: draft, comment period, approval, publication.

One edition per year. :func:`draft_edition` starts year N from the latest edition published before it
(or, when there is none, from the default catalogue of the three regions, each item added with its
reason); items are added, changed and withdrawn only in a draft or during the comment period, each
with its reason; the public comments during the comment period; :func:`approve_edition` refuses
without an approver, a reason for every item touched, or the assessment of a contested item;
:func:`publish_edition` makes it final. A change asked for without a year goes to next year's draft
(created on demand), never into a published edition. The rules are core/credit/catalogue.py's (the
diff of two editions core/credit/catalogue_diff.py's); services flush, the adapter commits.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from jjjcredit.core import limits
from jjjcredit.core.credit import catalogue, catalogue_diff, catalogue_export, persons, working_days
from jjjcredit.core.credit.catalogue import CatalogueError
from jjjcredit.storage import times
from jjjcredit.storage.schema import (
    catalogue_assessments,
    catalogue_changes,
    catalogue_comments,
    catalogue_editions,
    catalogue_items,
)

#: The reason recorded for each item of a first edition drafted from the default catalogue.
DEFAULT_REASON = "京津冀默认目录（全国公共信用信息基础目录所列事项）"


@dataclass(frozen=True)
class Edition:
    year: int
    status: str
    based_on: int | None
    created_by: str
    created_at: datetime.datetime
    comments_opened_at: datetime.datetime | None
    comments_until: datetime.datetime | None
    approved_by: str | None
    approved_at: datetime.datetime | None
    published_by: str | None
    published_at: datetime.datetime | None


@dataclass(frozen=True)
class ItemChange:
    """One item added, changed or withdrawn in an edition, as kept: ``detail`` the item's plain form (added,
    withdrawn) or each attribute's old and new (changed); ``changes`` the attributes changed as a diff of two
    editions gives them, a record layout field by field (core/credit/catalogue_diff.recorded_changes; empty
    for an item added or withdrawn)."""

    code: str
    action: str  # add, change, withdraw
    reason: str
    by: str
    at: datetime.datetime
    detail: Any
    changes: tuple[catalogue_diff.Change, ...] = ()


@dataclass(frozen=True)
class Comment:
    code: str | None
    author: str
    at: datetime.datetime
    text: str


@dataclass(frozen=True)
class Assessment:
    code: str
    experts: str
    representatives: str
    conclusion: str
    by: str
    at: datetime.datetime


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _check_year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise CatalogueError("catalogue.year", f"A catalogue year is 2000 to 2100, not {year}.", field="year")
    return year


def _edition(row: Any) -> Edition:
    return Edition(row.year, row.status, row.based_on, row.created_by, times.utc(row.created_at),
                   times.utc(row.comments_opened_at), times.utc(row.comments_until), row.approved_by,
                   times.utc(row.approved_at), row.published_by, times.utc(row.published_at))


def list_editions(conn: Connection) -> list[Edition]:
    """Every edition, oldest year first."""
    return [_edition(r) for r in conn.execute(select(catalogue_editions).order_by(catalogue_editions.c.year))]


def get_edition(conn: Connection, year: int, *, lock: bool = False) -> Edition:
    """The ``year`` edition; with ``lock``, held for the transaction's step (its row locked on PostgreSQL;
    on SQLite, which has no row locks, the database's write lock is taken first — by a write that changes
    nothing — so a second step waits for the first and then reads what it left)."""
    query = select(catalogue_editions).where(catalogue_editions.c.year == _check_year(year))
    if lock and conn.dialect.name == "sqlite":
        conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year)
                     .values(year=catalogue_editions.c.year))
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise CatalogueError("catalogue.no_edition", f"There is no {year} edition of the catalogue: "
                             f"`jjjcredit catalogue draft {year}` starts one.", field="year")
    return _edition(row)


def readable_editions(conn: Connection, drafts: bool) -> list[Edition]:
    """The editions a reader may see: every one for those who compile the catalogue (``drafts``), else
    those out for comment, approved or published — the one place that decides it for every channel."""
    return [e for e in list_editions(conn) if drafts or e.status in catalogue.PUBLIC_STATUSES]


def readable_edition(conn: Connection, year: int, drafts: bool) -> tuple[Edition, tuple[catalogue.Item, ...]]:
    """The ``year`` edition and its items, for a reader as :func:`readable_editions` decides (a draft
    is "not found" for the others, in the very words a year without an edition is: the answer does not tell
    that one is drafted)."""
    if drafts:
        edition = get_edition(conn, year)
    else:
        row = conn.execute(select(catalogue_editions).where(catalogue_editions.c.year == _check_year(year))).first()
        if row is None or row.status not in catalogue.PUBLIC_STATUSES:
            raise CatalogueError("catalogue.no_edition", f"There is no {year} edition of the catalogue open to the "
                                 "public: an edition is open from its comment period on (GET /api/v1/catalogue "
                                 "lists those that are).", field="year")
        edition = _edition(row)
    return edition, edition_items(conn, year)


def readable_item(conn: Connection, year: int, code: str, drafts: bool) -> catalogue.Item:
    """One item of the ``year`` edition — the address its DCAT dataset is named by — for a reader as
    :func:`readable_edition` decides (a draft's item is "no edition" to the public, as the draft is)."""
    _, items = readable_edition(conn, year, drafts)
    found = next((i for i in items if i.code == code), None)
    if found is None:
        raise CatalogueError("catalogue.unknown_item", f"The {year} edition has no item {catalogue.shown_code(code)}: "
                             f"GET /api/v1/catalogue/{year} lists its items.", field="code")
    return found


def latest_published(conn: Connection, before: int | None = None) -> Edition | None:
    """The newest published edition (before ``before`` when given), or ``None``."""
    query = select(catalogue_editions).where(catalogue_editions.c.status == "published")
    if before is not None:
        query = query.where(catalogue_editions.c.year < before)
    row = conn.execute(query.order_by(catalogue_editions.c.year.desc()).limit(1)).first()
    return None if row is None else _edition(row)


def in_force_periods(conn: Connection, today: datetime.date | None = None) -> dict[int, catalogue.InForce]:
    """When each published edition is in force and whether it is today (in Beijing; ``today`` to ask about
    another day), by year — the edition :func:`edition_in_force` gives for ``before=today.year + 1``
    (core/credit/catalogue.in_force_periods). An edition not published has none."""
    query = select(catalogue_editions.c.year, catalogue_editions.c.published_at) \
        .where(catalogue_editions.c.status == "published")
    published = [(int(r.year), times.utc(r.published_at).astimezone(working_days.CHINA).date())
                 for r in conn.execute(query)]
    return catalogue.in_force_periods(published, today or working_days.today())


#: Seconds a process keeps the answer of :func:`edition_in_force` (publishing here forgets it; a read by
#: another thread racing the publication's commit may keep the old one that long).
IN_FORCE_SECONDS = 1.0
_IN_FORCE: weakref.WeakKeyDictionary[Engine, dict[int | None, tuple[float, Edition | None]]] = \
    weakref.WeakKeyDictionary()


def edition_in_force(conn: Connection, before: int | None = None) -> Edition | None:
    """:func:`latest_published`, read at most once every :data:`IN_FORCE_SECONDS` per database and process:
    every subject's records call asks which edition is in force, and an edition is published once a
    year. A publication through another process (a command) is seen within that second."""
    memo = _IN_FORCE.get(conn.engine)
    if memo is None:
        memo = _IN_FORCE[conn.engine] = {}
    now = time.monotonic()
    found = memo.get(before)
    if found is not None and now - found[0] < IN_FORCE_SECONDS:
        return found[1]
    edition = latest_published(conn, before)
    memo[before] = (now, edition)
    return edition


def edition_info(edition: Edition, periods: Mapping[int, catalogue.InForce],
                 base: str = catalogue_export.BASE) -> catalogue_export.EditionInfo:
    """What every answer and export says of ``edition`` beside its items, ``periods`` from
    :func:`in_force_periods` (the edition's in force as of the day they were worked out for), ``base`` where
    its DCAT resources are named."""
    return catalogue_export.EditionInfo(edition.year, edition.status, edition.approved_by, edition.approved_at,
                                        edition.published_at, base, edition.based_on, edition.comments_until,
                                        periods.get(edition.year))


def edition_items(conn: Connection, year: int) -> tuple[catalogue.Item, ...]:
    """The items of the ``year`` edition, sorted by code."""
    get_edition(conn, year)
    rows = conn.execute(select(catalogue_items.c.item).where(catalogue_items.c.year == year)
                        .order_by(catalogue_items.c.code))
    return tuple(catalogue.item_from_dict(json.loads(r.item)) for r in rows)


def _dump(item: catalogue.Item) -> str:
    return json.dumps(catalogue.item_to_dict(item), ensure_ascii=False, sort_keys=True)


def _log(conn: Connection, year: int, code: str, action: str, reason: str, by: str, detail: Any) -> None:
    conn.execute(insert(catalogue_changes).values(
        id=uuid.uuid4().hex, year=year, code=code, action=action, reason=reason, by=by, at=_now(),
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))


def _who(by: str, what: str) -> str:
    if not by or not by.strip():
        raise CatalogueError("catalogue.item", f"{what} needs who does it.", field="by")
    return catalogue.check_text(by.strip(), f"{what}: who does it", "by", 200)


def draft_edition(conn: Connection, year: int, by: str) -> Edition:
    """Start the ``year`` edition as a draft: a copy of the newest edition published before it, or,
    when none is, the default catalogue with each item added under :data:`DEFAULT_REASON`."""
    _check_year(year)
    by = _who(by, "Drafting an edition")
    exists = CatalogueError("catalogue.edition_exists", f"The {year} edition exists already: "
                            f"`jjjcredit catalogue show {year}` shows it.", field="year")
    if conn.execute(select(catalogue_editions.c.year).where(catalogue_editions.c.year == year)).first():
        raise exists
    base = latest_published(conn, before=year)
    try:
        conn.execute(insert(catalogue_editions).values(year=year, status="draft", based_on=base.year if base else None,
                                                       created_by=by, created_at=_now()))
    except IntegrityError:  # drafted by another at the same moment (the step's transaction is given up)
        raise exists from None
    items = edition_items(conn, base.year) if base else catalogue.default_items()
    if items:
        conn.execute(insert(catalogue_items), [{"year": year, "code": i.code, "item": _dump(i)} for i in items])
    if base is None:
        for item in items:
            _log(conn, year, item.code, "add", DEFAULT_REASON, by, catalogue.item_to_dict(item))
    return get_edition(conn, year)


def pending_before(conn: Connection, year: int) -> int | None:
    """The newest edition before ``year`` not yet published: a draft of ``year`` made now is made from an
    older one, and does not hold what that edition changes."""
    return conn.execute(select(func.max(catalogue_editions.c.year)).where(
        catalogue_editions.c.year < year, catalogue_editions.c.status != "published")).scalar()


def _open_year(conn: Connection, year: int | None, by: str, today: datetime.date | None) -> int:
    """The edition a change goes to: ``year`` when given; else the one after the newest published edition
    (next year's, as a change asked for during a year goes to it), drafted from it on demand — or, before
    any edition is published, the one being prepared (else next year's, drafted from the default)."""
    if year is not None:
        return year
    newest = latest_published(conn)
    if newest is not None:
        target = newest.year + 1
    else:
        pending = conn.execute(select(func.max(catalogue_editions.c.year))).scalar()
        target = int(pending) if pending is not None else (today or working_days.today()).year + 1
    if conn.execute(select(catalogue_editions.c.year).where(catalogue_editions.c.year == target)).first() is None:
        draft_edition(conn, target, by)
    return target


def _changeable(conn: Connection, year: int, step: str, now: datetime.datetime | None = None, *,
                items: bool = True) -> Edition:
    """The edition, locked, when ``step`` may be taken on it: in a draft or during its comment period — and
    an item added, changed or withdrawn (``items``) only while that period runs, never between its end
    and the approval (the public commented on the items as they stood)."""
    edition = get_edition(conn, year, lock=True)
    catalogue.require_status(year, edition.status, ("draft", "comment"), step)
    if items:
        catalogue.require_comments_running(year, edition.status, edition.comments_until, now or _now(), step)
    return edition


def _item_row(conn: Connection, year: int, code: str) -> Any:
    return conn.execute(select(catalogue_items).where(catalogue_items.c.year == year,
                                                      catalogue_items.c.code == code)).first()


def add_item(conn: Connection, data: Mapping[str, Any], reason: str, by: str, *, year: int | None = None,
             today: datetime.date | None = None,
             now: datetime.datetime | None = None) -> tuple[int, catalogue.Item]:
    """Add an item (its plain form, checked) to an edition with its reason; returns the year it went to."""
    by = _who(by, "Adding an item")
    year = _open_year(conn, year, by, today)
    _changeable(conn, year, "add an item", now)  # (an edition that takes no item says so before the item's faults)
    catalogue.check_input(data)
    item = catalogue.item_from_dict(data)
    catalogue.check_actionable(item)
    reason = catalogue.check_reason(reason, item.code)
    if _item_row(conn, year, item.code) is not None:
        raise CatalogueError("catalogue.item_exists", f'The {year} edition has an item "{item.code}" already; change '
                             "it with `jjjcredit catalogue item change`.", field="code")
    conn.execute(insert(catalogue_items).values(year=year, code=item.code, item=_dump(item)))
    _log(conn, year, item.code, "add", reason, by, catalogue.item_to_dict(item))
    return year, item


def _unknown(year: int, code: str) -> CatalogueError:
    return CatalogueError("catalogue.unknown_item", f"The {year} edition has no item {catalogue.shown_code(code)}: "
                          f"`jjjcredit catalogue show {year}` lists its items.", field="code")


def change_item(conn: Connection, code: str, values: Mapping[str, Any], reason: str, by: str, *,
                year: int | None = None, today: datetime.date | None = None,
                now: datetime.datetime | None = None) -> tuple[int, catalogue.Item]:
    """Set attributes of an item with the reason; returns the year the change went to and the new item."""
    reason = catalogue.check_reason(reason, code)
    by = _who(by, "Changing an item")
    year = _open_year(conn, year, by, today)
    _changeable(conn, year, "change an item", now)
    row = _item_row(conn, year, code)
    if row is None:
        raise _unknown(year, code)
    old = catalogue.item_from_dict(json.loads(row.item))
    new = catalogue.change_item(old, values)
    catalogue.check_actionable(new)
    changes = catalogue_diff.diff([old], [new]).changed
    if not changes:
        raise CatalogueError("catalogue.item", f'Item "{code}": the values given are the ones it has; nothing '
                             "changed.")
    conn.execute(update(catalogue_items).where(catalogue_items.c.year == year, catalogue_items.c.code == code)
                 .values(item=_dump(new)))
    _log(conn, year, code, "change", reason, by, {c.attribute: {"old": c.old, "new": c.new} for c in changes})
    return year, new


def withdraw_item(conn: Connection, code: str, reason: str, by: str, *, year: int | None = None,
                  today: datetime.date | None = None, now: datetime.datetime | None = None) -> int:
    """Withdraw an item from an edition with the reason; returns the year."""
    reason = catalogue.check_reason(reason, code)
    by = _who(by, "Withdrawing an item")
    year = _open_year(conn, year, by, today)
    _changeable(conn, year, "withdraw an item", now)
    row = _item_row(conn, year, code)
    if row is None:
        gone = [c for c in list_changes(conn, year) if c.code == code and c.action == "withdraw"]
        if gone:
            raise CatalogueError("catalogue.unknown_item", f'Item "{code}" was withdrawn from the {year} edition '
                                 f"already ({gone[-1].at:%Y-%m-%d %H:%M} UTC, by {gone[-1].by}).", field="code")
        raise _unknown(year, code)
    conn.execute(delete(catalogue_items).where(catalogue_items.c.year == year, catalogue_items.c.code == code))
    _log(conn, year, code, "withdraw", reason, by, json.loads(row.item))
    return year


#: The longest comment period (an edition is yearly; one left open for years could never be approved).
MOST_COMMENT_DAYS = datetime.timedelta(days=366)


def open_comments(conn: Connection, year: int, by: str, until: datetime.datetime | None = None,
                  now: datetime.datetime | None = None) -> Edition:
    """Put a draft out for public comment (until ``until``, when given; else until it is approved) — or an
    edition whose comment period has ended out again, so that an item can be changed before approval and
    the public sees it changed."""
    by = _who(by, "Opening the comment period")
    edition = get_edition(conn, year, lock=True)
    catalogue.require_status(year, edition.status, ("draft", "comment"), "open the comment period")
    now = now or _now()
    if edition.status == "comment" and (edition.comments_until is None or now <= edition.comments_until):
        end = "until it is approved" if edition.comments_until is None else \
            f"until {edition.comments_until:%Y-%m-%d %H:%M} UTC"
        raise CatalogueError("catalogue.comment_period", f"The {year} edition is out for comment already ({end}).")
    if until is not None and until > now + MOST_COMMENT_DAYS:
        raise CatalogueError("catalogue.comment_period", f"The comment period of the {year} edition would end at "
                             f"{until:%Y-%m-%d} UTC; a comment period is at most {MOST_COMMENT_DAYS.days} days, "
                             "expected an earlier day (or none, for a period that approval ends).", field="until")
    if until is not None and until <= now:
        raise CatalogueError("catalogue.comment_period", f"The comment period of the {year} edition would end "
                             f"at {until:%Y-%m-%d %H:%M} UTC, which has passed: expected today or a later day "
                             "(or none, for a period that approval ends).", field="until")
    conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year).values(
        status="comment", comments_opened_at=now, comments_until=until))
    return get_edition(conn, year)


def add_comment(conn: Connection, year: int, author: str, text: str, code: str | None = None,
                now: datetime.datetime | None = None, *, sender: str | None = None,
                protector: persons.Protector | None = None,
                per_day: int = limits.DEFAULT.comments_per_day) -> Comment:
    """Keep a comment on the edition, on one of its items or on an item it withdraws (:func:`withdrawn_codes`)
    during its comment period — at most ``per_day`` in 24 hours from one ``sender`` (a key's client, or the
    address a call without a key is counted under; kept only as a keyed hash, :meth:`persons.Protector.
    comment_sender`; ``catalogue.too_many_comments``). The author's name is not counted: anyone may sign with any
    name, and one sender must not use up another person's name for a day. A comment without a sender (the
    command line: the platform's staff) is not counted. A sender without the ``protector`` (no operator secret)
    is refused, ``catalogue.no_secret``: never kept as a plain hash."""
    if not author or not author.strip() or not text or not text.strip():
        raise CatalogueError("catalogue.comment", "A comment needs its author and its text.",
                             field="author" if not (author or "").strip() else "text")
    edition = get_edition(conn, year, lock=True)  # (an approval waits for it, and it for an approval)
    catalogue.require_status(year, edition.status, ("comment",), "comment")
    at = now or _now()
    if edition.comments_until is not None and at > edition.comments_until:
        raise CatalogueError("catalogue.status", f"The comment period of the {year} edition ended at "
                             f"{edition.comments_until:%Y-%m-%d %H:%M} UTC.")
    known = code is None or (catalogue.CODE_PATTERN.fullmatch(code) is not None  # (else never sent to the database)
                             and (_item_row(conn, year, code) is not None or code in withdrawn_codes(conn, edition)))
    if code is not None and not known:
        raise _not_commentable(conn, edition, code)
    # a commenter's own identity or mobile number is kept for the staff (a way to answer them); the public
    # sees comments masked (web/api/catalogue)
    catalogue.check_text(author, "The comment's author", "author", 200, "catalogue.comment", personal=True)
    catalogue.check_text(text, "The comment", "text", error="catalogue.comment", personal=True)
    comment = Comment(code, author.strip(), at, text.strip())
    sent_by = None if sender is None else _sent_by(sender, protector)
    if sent_by is not None:
        _within_comments_per_day(conn, year, sent_by, at, per_day)  # (the edition's lock held)
    conn.execute(insert(catalogue_comments).values(id=uuid.uuid4().hex, year=year, code=code, author=comment.author,
                                                   at=at, text=comment.text, sender=sent_by))
    return comment


def _sent_by(sender: str, protector: persons.Protector | None) -> str:
    """Who sent a comment as it is kept: a keyed hash (a plain one of an IPv4 address is undone by trying them all)."""
    if protector is None:
        raise CatalogueError("catalogue.no_secret", "Comments are not taken on this server now: who sent a comment "
                             "is kept only as a keyed hash, under the platform's personal data key, and the server "
                             "has no operator secret (JJJCREDIT_SIGNING_KEY_SECRET or JJJCREDIT_SIGNING_KEY_FILE). "
                             "Try again later; the platform's operators set the secret.")
    return protector.comment_sender(sender)


def _within_comments_per_day(conn: Connection, year: int, sender: str, at: datetime.datetime, per_day: int) -> None:
    """Refuse a comment past ``per_day`` in the 24 hours before ``at`` from one sender (its keyed hash)
    (``catalogue.too_many_comments``, saying when the next is taken)."""
    c = catalogue_comments.c
    count, first = conn.execute(select(func.count(), func.min(c.at)).where(
        c.year == year, c.at > at - datetime.timedelta(days=1), c.sender == sender)).one()
    if count >= per_day:
        then = times.utc(first) + datetime.timedelta(days=1)
        raise CatalogueError("catalogue.too_many_comments", f"The {year} edition has taken {count} comments in the "
                             f"last 24 hours from this sender (your key, or your address): at most {per_day} a day "
                             f"(JJJCREDIT_LIMIT_COMMENTS_PER_DAY). Gather your remarks in one comment (up to 4,000 "
                             f"characters), or send the next after {then:%Y-%m-%d %H:%M} UTC.", field="text")


def withdrawn_codes(conn: Connection, edition: Edition) -> tuple[str, ...]:
    """The items ``edition`` withdraws, sorted: those of the edition it was drafted from (``based_on``) it no
    longer has — or, for a first edition (drafted from the default catalogue), those its changes withdrew
    and it no longer has. The public may comment on them as on its items: a withdrawal is a change too."""
    items = edition_items(conn, edition.year)
    if edition.based_on is not None:
        return catalogue_diff.diff(edition_items(conn, edition.based_on), items).withdrawn
    gone = {c.code for c in list_changes(conn, edition.year) if c.action == "withdraw"}
    return tuple(sorted(gone - {i.code for i in items}))


def _not_commentable(conn: Connection, edition: Edition, code: str) -> CatalogueError:
    """The refusal of a comment on ``code``: neither an item of the edition nor one it withdraws; says which are."""
    year = edition.year
    items = [i.code for i in edition_items(conn, year)]
    withdrawn = withdrawn_codes(conn, edition)
    shown = ", ".join(items[:12]) + (f" and {len(items) - 12} more" if len(items) > 12 else "")
    base = f"the {edition.based_on} edition" if edition.based_on is not None else "the default catalogue"
    gone = (f"or one it withdraws from {base} ({', '.join(withdrawn)})" if withdrawn
            else f"(it withdraws none of {base}'s)")
    return CatalogueError("catalogue.unknown_item", f"The {year} edition has no item {catalogue.shown_code(code)} and "
                          f"does not withdraw one of that code: a comment names one of its {len(items)} items "
                          f"({shown or 'none'}; `jjjcredit catalogue show {year}` or GET /api/v1/catalogue/{year} "
                          f"lists them) {gone}, or none, for the edition as a whole.", field="item")


def list_comments(conn: Connection, year: int, after: int = 0, limit: int | None = None) -> list[Comment]:
    """The comments on an edition, oldest first: those after the first ``after``, at most ``limit``."""
    get_edition(conn, year)
    rows = conn.execute(select(catalogue_comments).where(catalogue_comments.c.year == year)
                        .order_by(catalogue_comments.c.at, catalogue_comments.c.id).offset(after).limit(limit))
    return [Comment(r.code, r.author, times.utc(r.at), r.text) for r in rows]


def assess_item(conn: Connection, year: int, code: str, experts: str, representatives: str, conclusion: str,
                by: str) -> Assessment:
    """Record the assessment of a contested item: the experts' and the representatives' opinions."""
    by = _who(by, "Recording an assessment")
    _changeable(conn, year, "record an assessment", items=False)
    if _item_row(conn, year, code) is None:
        raise _unknown(year, code)
    for name, value in (("experts", experts), ("representatives", representatives), ("conclusion", conclusion)):
        if not value or not value.strip():
            raise CatalogueError("catalogue.assessment", f"An assessment records the experts' opinions, the "
                                 f"representatives' opinions and its conclusion; {name} is empty.", field=name)
        catalogue.check_text(value, f"The assessment's {name}", name, error="catalogue.assessment")
    record = Assessment(code, experts.strip(), representatives.strip(), conclusion.strip(), by, _now())
    conn.execute(insert(catalogue_assessments).values(id=uuid.uuid4().hex, year=year, code=code,
                                                      experts=record.experts, representatives=record.representatives,
                                                      conclusion=record.conclusion, by=by, at=record.at))
    return record


def list_assessments(conn: Connection, year: int) -> list[Assessment]:
    get_edition(conn, year)
    rows = conn.execute(select(catalogue_assessments).where(catalogue_assessments.c.year == year)
                        .order_by(catalogue_assessments.c.at, catalogue_assessments.c.id))
    return [Assessment(r.code, r.experts, r.representatives, r.conclusion, r.by, times.utc(r.at))
            for r in rows]


def list_changes(conn: Connection, year: int) -> list[ItemChange]:
    """Every item added, changed or withdrawn in the ``year`` edition, oldest first; a change with its
    attributes old → new, a record layout field by field."""
    get_edition(conn, year)
    rows = conn.execute(select(catalogue_changes).where(catalogue_changes.c.year == year)
                        .order_by(catalogue_changes.c.at, catalogue_changes.c.id))
    out = []
    for r in rows:
        detail = json.loads(r.detail)
        changes = catalogue_diff.recorded_changes(r.code, detail) if r.action == "change" else ()
        out.append(ItemChange(r.code, r.action, r.reason, r.by, times.utc(r.at), detail, changes))
    return out


_DID = {"add": "added", "change": "changed", "withdraw": "withdrew"}


def approve_edition(conn: Connection, year: int, by: str, now: datetime.datetime | None = None) -> Edition:
    """Approve an edition after its comment period (core/credit/catalogue.check_approval's refusals)."""
    if by and by.strip():  # (none: check_approval says an approver is needed)
        by = _who(by, "Approving an edition")
    edition = get_edition(conn, year, lock=True)
    catalogue.require_status(year, edition.status, ("comment",), "approve")
    now = now or _now()
    if edition.comments_until is not None and now <= edition.comments_until:
        raise CatalogueError("catalogue.comment_period", f"The comment period of the {year} edition runs until "
                             f"{edition.comments_until:%Y-%m-%d %H:%M} UTC: approval follows the public comment "
                             "period (Hebei Regulations Art. 11); approve it after that.")
    base = edition_items(conn, edition.based_on) if edition.based_on is not None else ()
    reasons: dict[str, str] = {}
    compiled_by = [(edition.created_by, "drafted it")]
    for change in list_changes(conn, year):
        reasons[change.code] = change.reason
        compiled_by.append((change.by, f"{_DID[change.action]} item {change.code}"))
    assessments = list_assessments(conn, year)
    compiled_by += [(a.by, f"recorded the assessment of item {a.code}") for a in assessments]
    catalogue.check_approval(year, base, edition_items(conn, year), reasons, [a.code for a in assessments], by,
                             compiled_by)
    conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year).values(
        status="approved", approved_by=by.strip(), approved_at=now))
    return get_edition(conn, year)


def publish_edition(conn: Connection, year: int, by: str) -> Edition:
    """Publish an approved edition; from now on it never changes."""
    by = _who(by, "Publishing an edition")
    edition = get_edition(conn, year, lock=True)
    catalogue.require_status(year, edition.status, ("approved",), "publish")
    conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year).values(
        status="published", published_by=by, published_at=_now()))
    _IN_FORCE.pop(conn.engine, None)  # this process reads the edition in force anew
    return get_edition(conn, year)


def diff_editions(conn: Connection, year_a: int, year_b: int) -> catalogue_diff.Diff:
    """Items added, withdrawn and changed (attribute by attribute, a record layout field by field) from the
    ``year_a`` edition to ``year_b``."""
    return catalogue_diff.diff(edition_items(conn, year_a), edition_items(conn, year_b))


def shown_year(conn: Connection, year: int | None) -> int:
    """The edition ``catalogue show`` means: ``year``, else the newest published, else the newest of all."""
    if year is not None:
        return get_edition(conn, year).year
    published = latest_published(conn)
    if published is not None:
        return published.year
    editions = list_editions(conn)
    if not editions:
        raise CatalogueError("catalogue.no_edition", "There is no catalogue edition yet: `jjjcredit catalogue draft "
                             "YEAR` starts one from the default catalogue.")
    return editions[-1].year
