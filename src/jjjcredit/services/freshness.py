"""How fresh the platform's data is, for /metrics: the last batch of each source (when, how many rows, how
many rejected), the library's change-feed sequence, and when the current evidence key was made.

Read at each scrape, so it costs two small queries: the batches table (one row per file ever ingested,
never per record) ranked once per source, and two values read by key (``counters`` 'feed'; the newest
signing key not retired, the one answers are signed with).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

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


def _utc(at: datetime.datetime) -> datetime.datetime:
    """A stored time in UTC (SQLite gives it back without its zone)."""
    return at.replace(tzinfo=datetime.UTC) if at.tzinfo is None else at.astimezone(datetime.UTC)


def read_freshness(conn: Connection) -> Freshness:
    newest = func.row_number().over(partition_by=batches.c.source,
                                    order_by=(batches.c.finished_at.desc(), batches.c.id.desc()))
    ranked = select(batches.c.source, batches.c.id, batches.c.finished_at, batches.c.rows, batches.c.rejected,
                    newest.label("n")).subquery()
    last = [LastBatch(r.source, r.id, _utc(r.finished_at), r.rows, r.rejected) for r in conn.execute(
        select(ranked).where(ranked.c.n == 1).order_by(ranked.c.source))]
    feed = select(counters.c.value).where(counters.c.name == "feed").scalar_subquery()
    key = select(func.max(signing_keys.c.created_at)).where(signing_keys.c.retired_at.is_(None)).scalar_subquery()
    sequence, created = conn.execute(select(feed, key)).one()
    return Freshness(last, int(sequence or 0), _utc(created) if created is not None else None)
