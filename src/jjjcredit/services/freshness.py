"""How fresh the platform's data is, for /metrics: the last batch of each source (when, how many rows, how
many rejected), the library's change-feed sequence, and when the current evidence key was made; and for
credit records, per provider and item, what the timeliness report says (records, late ones, silence)
and its last batch (:func:`read_credit`: one row a pair).

Read at each scrape, so it costs two small queries: the batches table (one row per file ever ingested,
never per record) ranked once per source, and two values read by key (``counters`` 'feed'; the newest
signing key not retired, the one answers are signed with); the credit series read the tallies (one row a
provider and item) beside the edition in force.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from jjjcredit.services.credit import timeliness
from jjjcredit.storage import times
from jjjcredit.storage.schema import batches, counters, signing_keys


@dataclass(frozen=True)
class LastBatch:
    source: str
    batch: str
    finished_at: datetime.datetime  # UTC
    rows: int
    rejected: int

    @property
    def reject_ratio(self) -> float:
        """Rejected rows over rows read (0 for a batch of no rows).

        >>> LastBatch("hebei/market-regulation", "b1", datetime.datetime(2026, 1, 1), 8, 2).reject_ratio
        0.25
        """
        return self.rejected / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class Freshness:
    last_batches: list[LastBatch]  # by source
    sequence: int  # the change feed's head: the last seq given to a change
    signing_key_created: datetime.datetime | None  # UTC; None before the first key is made


def read_freshness(conn: Connection) -> Freshness:
    newest = func.row_number().over(partition_by=batches.c.source,
                                    order_by=(batches.c.finished_at.desc(), batches.c.id.desc()))
    ranked = select(batches.c.source, batches.c.id, batches.c.finished_at, batches.c.rows, batches.c.rejected,
                    newest.label("n")).subquery()
    last = [LastBatch(r.source, r.id, times.utc(r.finished_at), r.rows, r.rejected) for r in conn.execute(
        select(ranked).where(ranked.c.n == 1).order_by(ranked.c.source))]
    feed = select(counters.c.value).where(counters.c.name == "feed").scalar_subquery()
    key = select(func.max(signing_keys.c.created_at)).where(signing_keys.c.retired_at.is_(None)).scalar_subquery()
    sequence, created = conn.execute(select(feed, key)).one()
    return Freshness(last, int(sequence or 0), times.utc(created))


@dataclass(frozen=True)
class CreditFreshness:
    """One provider's records under one item (the timeliness report's line) and its last batch."""

    provider: str
    item: str
    records: int
    late: int
    silent: bool  # nothing sent for longer than the item's update period
    last_batch: LastBatch | None
    retired: bool = False  # the provider retired under the item: not expected to send


def read_credit(conn: Connection, today: datetime.date | None = None) -> tuple[list[CreditFreshness], list[str]]:
    """Per provider and item, the timeliness report's figures and its last committed batch; and the items
    of the edition in force no provider has sent anything for. The report reads one row a provider and
    item (``credit_tallies``, which keeps the last batch too): never the records, never every batch."""
    report, unsent = timeliness.timeliness(conn, today)
    return ([CreditFreshness(t.provider, t.item, t.records, t.late, t.silent, None if t.last_batch is None else
                             LastBatch(t.provider, t.last_batch_id or "", times.utc(t.last_batch),
                                       t.last_batch_rows or 0, t.last_batch_rejected or 0), t.retired is not None)
                             for t in report],
            [u["item"] for u in unsent])
