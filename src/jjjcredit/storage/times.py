"""Times as the databases give them back: PostgreSQL with their zone (the session's), SQLite without one
(what was stored, in UTC). :func:`utc` reads either as UTC, the zone every time is stored in."""

from __future__ import annotations

import datetime
from typing import overload


@overload
def utc(at: datetime.datetime) -> datetime.datetime: ...
@overload
def utc(at: None) -> None: ...
def utc(at: datetime.datetime | None) -> datetime.datetime | None:
    """A stored time in UTC: a naive one (SQLite) taken as UTC, an aware one (PostgreSQL) moved to UTC;
    ``None`` (a time not set) stays ``None``.

    >>> utc(datetime.datetime(2026, 12, 6, 20, 0))
    datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.timezone.utc)
    >>> utc(datetime.datetime(2026, 12, 7, 4, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    datetime.datetime(2026, 12, 6, 20, 0, tzinfo=datetime.timezone.utc)
    >>> utc(None) is None
    True
    """
    if at is None:
        return None
    return at.replace(tzinfo=datetime.UTC) if at.tzinfo is None else at.astimezone(datetime.UTC)
