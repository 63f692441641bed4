"""The timeliness of providers: per provider and item, a running tally of records and late ones (every writer
of ``credit_records`` adds what it wrote: :func:`add_to_tallies`) and the last batch (:func:`note_last_batch`);
providers retired under an item, no longer expected to send (:func:`retire_provider`, :func:`end_retirement`);
and the report of late records, silent providers and items nobody sent (:func:`timeliness`), read from those
tallies — of a past day, its last batches from ``credit_batches`` and the retirements then."""

from __future__ import annotations

import datetime
import heapq
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from jjjcredit.core.codes.personal import personal_in
from jjjcredit.core.credit import catalogue, working_days
from jjjcredit.core.credit import records as rules
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.services.credit import catalogue as catalogue_service
from jjjcredit.services.credit import items as credit_items
from jjjcredit.services.credit import providers
from jjjcredit.storage import times
from jjjcredit.storage.schema import credit_batches, credit_retirements, credit_tallies

_REASON_CHARS = 1_000  #: a provider's retirement: why, and who retires it


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


#: Late document numbers a tally keeps (the smallest), the examples the timeliness report shows.
LATE_EXAMPLES = 5


@dataclass
class Tally:
    """What a writer adds to one provider's and item's tally: records (added less removed), late ones (the
    same), document numbers of records that came late, and of late records it replaced or removed (no
    longer an example unless written late again)."""

    records: int = 0
    late: int = 0
    late_numbers: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)

    def add_late_many(self, numbers: Sequence[str]) -> None:
        """Late records' document numbers (only the smallest few of them are kept)."""
        self.late_numbers.extend(heapq.nsmallest(LATE_EXAMPLES, set(numbers)))
        if len(self.late_numbers) > 64 * LATE_EXAMPLES:
            self.late_numbers = heapq.nsmallest(LATE_EXAMPLES, set(self.late_numbers))

    def add_late(self, number: str) -> None:
        """A late record's document number (only the smallest few are kept)."""
        self.late_numbers.append(number)
        if len(self.late_numbers) > 64 * LATE_EXAMPLES:
            self.late_numbers = heapq.nsmallest(LATE_EXAMPLES, set(self.late_numbers))


def add_to_tallies(conn: Connection, tallies: Mapping[tuple[str, str], Tally]) -> None:
    """Add to each (provider, item)'s tally, in the writer's transaction. The examples are the smallest
    late document numbers seen (in code-point order), fewer than five when a late record they named was
    replaced by one that is not. The tally's row is locked for its update (PostgreSQL), whatever pair
    lock the writer holds."""
    t = credit_tallies.c
    for (provider, item), tally in sorted(tallies.items()):
        if not (tally.records or tally.late or tally.late_numbers or tally.gone):
            continue
        row = conn.execute(select(t.late_examples).where(t.provider == provider, t.item == item)
                           .with_for_update()).first()
        held = set(json.loads(row.late_examples)) - set(tally.gone) if row is not None else set()
        examples = json.dumps(heapq.nsmallest(LATE_EXAMPLES, held | set(tally.late_numbers)), ensure_ascii=False)
        if row is None:
            conn.execute(insert(credit_tallies).values(provider=provider, item=item, records=tally.records,
                                                       late=tally.late, late_examples=examples))
        else:
            conn.execute(update(credit_tallies).where(t.provider == provider, t.item == item).values(
                records=t.records + tally.records, late=t.late + tally.late, late_examples=examples))


def note_last_batch(conn: Connection, provider: str, item: str, batch_id: str, finished: datetime.datetime,
                    rows: int, rejected: int) -> None:
    """A committed batch becomes its provider's and item's last (a tally of none is made for a provider's
    first batch that kept no record: a report of none counts as sent), in the batch's transaction,
    under the pair's lock. A provider retired under the item is expected again: its retirement ends,
    ended by the batch."""
    t = credit_tallies.c
    last = {"last_batch": batch_id, "last_batch_at": finished, "last_batch_rows": rows, "last_batch_rejected": rejected}
    done = conn.execute(update(credit_tallies).where(t.provider == provider, t.item == item).values(**last))
    if not done.rowcount:
        conn.execute(insert(credit_tallies).values(provider=provider, item=item, records=0, late=0,
                                                   late_examples="[]", **last))
    _end_retirement(conn, provider, item, finished, batch_id)  # a provider that sends is not retired


def _end_retirement(conn: Connection, provider: str, item: str, at: datetime.datetime, by: str) -> int:
    r = credit_retirements.c
    ended = update(credit_retirements).where(r.provider == provider, r.item == item, r.ended_at.is_(None))
    return conn.execute(ended.values(ended_at=at, ended_by=by)).rowcount


def _plain(value: str, what: str, field: str) -> str:
    """A retirement's reason or who acts, stripped; refused when empty, too long, unprintable or personal."""
    value = (value or "").strip()
    if not value or len(value) > _REASON_CHARS or rules.unseen_character(value) or personal_in(value):
        raise RecordsError("credit.reason", f"Retiring a provider states {what}: 1 to {_REASON_CHARS:,} printable "
                           "characters, no identity or mobile number.", field=field)
    return value


def retire_provider(conn: Connection, provider: str, item_code: str, reason: str, by: str, *,
                    now: datetime.datetime | None = None, today: datetime.date | None = None,
                    waiting: Callable[[], None] | None = None) -> dict[str, Any]:
    """Stop expecting batches from ``provider`` under ``item_code`` (the department was merged or
    dissolved, or the duty moved to another): the timeliness report and /metrics no longer call the
    pair silent; its records and figures stay, and the item counts as sent only while a provider not
    retired is expected. The next batch the provider sends, or :func:`end_retirement`, ends it; every
    retirement is kept (``credit_retirements``). Refused for an item not in the edition in force, a pair
    that never sent anything, a pair retired already, and without a reason or who retires it — and for
    a pair that sent a batch while the retirement waited for the pair's lock (``credit.sent_meanwhile``):
    the operator asked not knowing of that batch, and a provider that has just sent is not retired."""
    provider = providers.check_provider(provider)
    reason = _plain(reason, "why the provider is retired", "reason")
    by = _plain(by, "who retires it", "by")
    _year, item = credit_items.item_in_force(conn, item_code.strip(), today, withdrawn=True)
    asked = _last_batch_of(conn, provider, item.code)  # the pair's last batch as the operator asks: before its lock
    retired = _retirement_locked(conn, provider, item.code, waiting)
    if retired is not None:
        raise RecordsError("credit.retired", f'Provider "{provider}" is retired under item {item.code} already '
                           f"(since {times.utc(retired.retired_at):%Y-%m-%d %H:%M} UTC, by {retired.retired_by}: "
                           f"{retired.reason}); end that retirement first to give another.", field="provider")
    sent = _last_batch_of(conn, provider, item.code)
    if sent is not None and sent.last_batch != (asked.last_batch if asked is not None else None):
        at = times.utc(sent.last_batch_at)
        raise RecordsError("credit.sent_meanwhile", f'Provider "{provider}" sent a batch under item {item.code} while '
                           f"its retirement waited for it (batch {sent.last_batch}, committed {at:%Y-%m-%d %H:%M:%S} "
                           "UTC): a provider that has just sent is expected to send, so it was not retired. Look at "
                           "the batch (`jjjcredit credit timeliness`); if it was the provider's last all the same, "
                           "retire it again.", field="provider")
    now = now or _now()
    conn.execute(insert(credit_retirements).values(id=secrets.token_hex(16), provider=provider, item=item.code,
                                                   retired_at=now, retired_by=by, reason=reason))
    return {"provider": provider, "item": item.code, "retired_at": now.isoformat(), "by": by, "reason": reason}


def end_retirement(conn: Connection, provider: str, item_code: str, by: str, *,
                   now: datetime.datetime | None = None, today: datetime.date | None = None,
                   waiting: Callable[[], None] | None = None) -> dict[str, Any]:
    """End a provider's retirement under an item (given by mistake, or the provider is back): it is
    expected to send again from now on. The retirement stays on record, ended by ``by``."""
    provider = providers.check_provider(provider)
    by = _plain(by, "who ends it", "by")
    _year, item = credit_items.item_in_force(conn, item_code.strip(), today, withdrawn=True)
    if _retirement_locked(conn, provider, item.code, waiting) is None:
        raise RecordsError("credit.retired", f'Provider "{provider}" is not retired under item {item.code}: it is '
                           "expected to send.", field="provider")
    now = now or _now()
    _end_retirement(conn, provider, item.code, now, by)
    return {"provider": provider, "item": item.code, "ended_at": now.isoformat(), "by": by}


def retirements(conn: Connection, provider: str | None = None) -> list[dict[str, Any]]:
    """Every retirement kept, oldest first (of one provider when given): when, by whom, why, how it ended."""
    r = credit_retirements.c
    query = select(credit_retirements).order_by(r.retired_at, r.id)
    if provider is not None:
        query = query.where(r.provider == provider.strip())
    return [{"provider": x.provider, "item": x.item, "retired_at": times.utc(x.retired_at).isoformat(),
             "by": x.retired_by, "reason": x.reason,
             "ended_at": times.utc(x.ended_at).isoformat() if x.ended_at is not None else None,
             "ended_by": x.ended_by}
            for x in conn.execute(query)]


def _retirement_locked(conn: Connection, provider: str, item: str,
                       waiting: Callable[[], None] | None = None) -> Any:
    """The provider's retirement in force under the item (``None``: it is expected to send), under the pair's
    lock (a batch of the pair waits, or is waited for: ``waiting()`` is called first then); refused for a
    pair that has sent nothing."""
    providers.take_lock(conn, provider, item, waiting)
    t, r = credit_tallies.c, credit_retirements.c
    if conn.execute(select(t.provider).where(t.provider == provider, t.item == item)).first() is None:
        raise RecordsError("credit.unknown_pair", f'Provider "{provider}" has sent nothing under item {item}: only '
                           "a provider the timeliness report lists can be retired (`jjjcredit credit timeliness`).",
                           field="provider")
    return conn.execute(select(credit_retirements).where(r.provider == provider, r.item == item,
                                                         r.ended_at.is_(None))).first()


def _last_batch_of(conn: Connection, provider: str, item: str) -> Any:
    """The pair's last batch as its tally keeps it (``last_batch``, ``last_batch_at``; ``None``: it sent nothing)."""
    t = credit_tallies.c
    return conn.execute(select(t.last_batch, t.last_batch_at).where(t.provider == provider, t.item == item)).first()


def _in_china(at: datetime.datetime | None) -> datetime.datetime | None:
    """A stored time (UTC) on Beijing's clock, as the timeliness report judges and shows it."""
    return None if at is None else times.utc(at).astimezone(working_days.CHINA)


@dataclass(frozen=True)
class Timeliness:
    """One provider's records under one item: how many, how many arrived late (after the collection
    time limit, or withdrawn after the deadline), when it last sent anything and what of its last batch was
    rejected, and whether it has been silent — no batch that recorded something (or reported none) within
    the item's update period: a batch whose every row was rejected (``last_batch_all_rejected``) is no
    update (catalogue.TIMELINESS_LEGEND). ``counts_as_of`` is the day ``records``, ``late`` and
    ``late_examples`` are counted on when it is not the report's (a report of a past day: the tallies
    keep running totals, not their history, so those are today's); ``None`` when they are the day's."""

    provider: str
    item: str
    item_name: str
    records: int
    late: int
    late_examples: tuple[str, ...]
    last_batch: datetime.datetime | None
    update_period: str
    silent: bool
    last_batch_id: str | None = None
    last_batch_rows: int | None = None
    last_batch_rejected: int | None = None
    retired: datetime.datetime | None = None  #: since when the provider is no longer expected to send
    retired_reason: str | None = None
    retired_by: str | None = None
    counts_as_of: datetime.date | None = None
    #: The edition that withdrew the item (its records kept; nothing more expected): never silent.
    withdrawn_in: int | None = None
    #: When it last sent a batch that recorded something or reported none (``None``: never) — silence counts
    #: from there; earlier than ``last_batch`` when that one's rows were all rejected.
    last_recorded: datetime.datetime | None = None

    @property
    def last_batch_all_rejected(self) -> bool:
        """Whether the last batch recorded nothing: it had rows, and every one was rejected."""
        return bool(self.last_batch_rows) and (self.last_batch_rejected or 0) >= (self.last_batch_rows or 0)

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "item": self.item, "item_name": self.item_name, "records": self.records,
                "late": self.late, "late_examples": list(self.late_examples),
                "counts_as_of": self.counts_as_of.isoformat() if self.counts_as_of else None,
                "last_batch": self.last_batch.isoformat() if self.last_batch else None,
                "last_batch_id": self.last_batch_id, "last_batch_rows": self.last_batch_rows,
                "last_batch_rejected": self.last_batch_rejected,
                "last_batch_all_rejected": self.last_batch_all_rejected,
                "last_recorded": self.last_recorded.isoformat() if self.last_recorded else None,
                "update_period": self.update_period, "silent": self.silent,
                "retired": self.retired.isoformat() if self.retired else None, "retired_reason": self.retired_reason,
                "retired_by": self.retired_by, "withdrawn_in": self.withdrawn_in}


def timeliness(conn: Connection, today: datetime.date | None = None) -> tuple[list[Timeliness], list[dict[str, Any]]]:
    """Per provider and item: late records and silence (never of a retired provider); and the catalogue's
    items no provider is expected to send for — none has sent anything, or every one that did is retired.
    Ordered by provider, item.

    ``today`` before today (in Beijing) reports as of that day: each pair's last batch committed by its
    end (a pair that had sent nothing by then is left out), and the retirements in force then; records,
    late ones and their examples are today's all the same (``counts_as_of`` says so): the tallies keep
    no history, and counting the records as they stood would read every one. Today or later reads one
    row a pair (``credit_tallies``, its last batch too) and the retirements not ended."""
    now_day = working_days.today()
    today = today or now_day
    edition = catalogue_service.latest_published(conn, before=today.year + 1)
    items = {i.code: i for i in catalogue_service.edition_items(conn, edition.year)} if edition else {}
    gone = credit_items.withdrawn_items(conn, edition) if edition else {}  # withdrawn: their providers not expected
    t = credit_tallies.c
    past = today < now_day
    in_force = _retirements_on(conn, today) if past else _retirements_in_force(conn)
    batches_then = _last_batches_by(conn, today) if past else {}
    out = []
    for r in conn.execute(select(credit_tallies).order_by(t.provider, t.item)):  # one row a pair, its last batch too
        last = (r.last_batch, r.last_batch_at, r.last_batch_rows, r.last_batch_rejected)
        if past:
            then = batches_then.get((r.provider, r.item))
            if then is None:  # it had sent nothing yet
                continue
            last = (then.id, then.finished_at, then.rows, then.rejected)
        last_id, last_at, last_rows, last_rejected = last
        item = items.get(r.item)
        withdrawn = gone.get(r.item)
        when = _in_china(last_at)  # (judged and shown on Beijing's day)
        recorded = when  # a batch wholly rejected is no update: silence counts from the last that recorded
        if last_rows and (last_rejected or 0) >= last_rows:
            recorded = _in_china(_last_recorded(conn, r.provider, r.item, today))
        period = item.update_period if item else ""
        days = catalogue.UPDATE_PERIODS.get(period)
        retired = in_force.get((r.provider, r.item))
        silent = bool(days and retired is None and (recorded is None or (today - recorded.date()).days > days))
        name = item.name if item else withdrawn[1].name if withdrawn else ""
        out.append(Timeliness(r.provider, r.item, name, int(r.records), int(r.late),
                              tuple(json.loads(r.late_examples)), when, period, silent, last_id,
                              last_rows, last_rejected,
                              retired=_in_china(retired.retired_at) if retired else None,
                              retired_reason=retired.reason if retired else None,
                              retired_by=retired.retired_by if retired else None,
                              counts_as_of=now_day if past else None,
                              withdrawn_in=withdrawn[2] if withdrawn else None, last_recorded=recorded))
    expected = {line.item for line in out if line.retired is None}  # an item whose every provider retired is unsent
    retired_only = {line.item for line in out} - expected
    nothing = [{"item": i.code, "item_name": i.name, "update_period": i.update_period,
                "every_provider_retired": i.code in retired_only}
               for i in items.values() if i.kind != "basic" and i.code not in expected]
    return out, nothing


def _last_recorded(conn: Connection, provider: str, item: str, day: datetime.date) -> datetime.datetime | None:
    """When the pair's last batch committed by the end of Beijing's ``day`` that recorded something — some row
    not rejected — or reported none (a header only) finished; ``None``: none did. Asked only of a pair whose
    last batch was rejected whole (few)."""
    b = credit_batches.c
    return conn.execute(select(func.max(b.finished_at)).where(
        b.provider == provider, b.item == item, b.status == "committed", b.finished_at < _end_of(day),
        or_(b.rows == 0, b.rejected < b.rows))).scalar()


def _end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after Beijing's ``day``, in UTC: what was stored before it was there by that day."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(),
                                     working_days.CHINA).astimezone(datetime.UTC)


def _retirements_in_force(conn: Connection) -> dict[tuple[str, str], Any]:
    """The retirements not ended, by provider and item (few: a provider retired, not yet back)."""
    c = credit_retirements.c
    return {(x.provider, x.item): x for x in conn.execute(select(credit_retirements).where(c.ended_at.is_(None)))}


def _retirements_on(conn: Connection, day: datetime.date) -> dict[tuple[str, str], Any]:
    """The retirements in force at the end of Beijing's ``day``, by provider and item: given by then and
    not ended by then (at most one a pair: a retirement is given only once the one before has ended)."""
    c, end = credit_retirements.c, _end_of(day)
    return {(x.provider, x.item): x for x in conn.execute(select(credit_retirements).where(
        c.retired_at < end, or_(c.ended_at.is_(None), c.ended_at >= end)))}


def _last_batches_by(conn: Connection, day: datetime.date) -> dict[tuple[str, str], Any]:
    """Each provider's and item's last batch committed by the end of Beijing's ``day`` (a pair with none is
    absent), ranked in one query over the batches of the pairs up to that day."""
    b = credit_batches.c
    newest = func.row_number().over(partition_by=(b.provider, b.item), order_by=(b.finished_at.desc(), b.id.desc()))
    ranked = select(b.provider, b.item, b.id, b.finished_at, b.rows, b.rejected, newest.label("n")).where(
        b.status == "committed", b.finished_at < _end_of(day)).subquery()
    return {(x.provider, x.item): x for x in conn.execute(select(ranked).where(ranked.c.n == 1))}
