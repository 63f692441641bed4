"""Publication periods: how long a negative record is publicly disclosed, in calendar months from its
decision (NDRC Order No. 36: periods count from the date of the decision document), by the period rule of
its severity in force on that date (core/credit/catalogue.period_rule). The minimum is the earliest a
provider may end publication (and repair be asked for); at the maximum publication stops by itself.

>>> from jjjcredit.core.credit import catalogue
>>> penalty = catalogue.default_item("JJJ-03-001")
>>> window(penalty, "general", datetime.date(2026, 4, 10))
(datetime.date(2026, 7, 10), datetime.date(2027, 4, 10))
>>> window(penalty, "general", datetime.date(2016, 5, 1)) is None  # before every rule of the item
True
"""

from __future__ import annotations

import calendar
import datetime

from jjjcredit.core.credit import catalogue


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, the day clamped to the end of a shorter month.

    >>> add_months(datetime.date(2025, 1, 31), 1), add_months(datetime.date(2024, 2, 29), 12)
    (datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))
    >>> add_months(datetime.date(2026, 4, 10), 36)
    datetime.date(2029, 4, 10)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def window(item: catalogue.Item, severity: str | None,
           decided_on: datetime.date | None) -> tuple[datetime.date, datetime.date] | None:
    """The first and the last day a negative record's publication may end on: the decision date plus the
    minimum and the maximum months of its severity's rule (month ends clamped; a period of N months ends on
    the day of the same number, Civil Code Art. 201-203). ``None`` when no rule applies: not a negative
    item, no severity or decision date, or a date before every rule of the severity."""
    found = ruled(item, severity, decided_on)
    return None if found is None else (found[1], found[2])


#: Each (item, severity, decision day)'s rule and window (:func:`ruled`), by the item's id — the item held with
#: them, so that while they are kept no other item has that id — at most :data:`_RULED_MOST` of them.
_RULED: dict[tuple[int, str, datetime.date],
             tuple[catalogue.Item, tuple[catalogue.PeriodRule, datetime.date, datetime.date] | None]] = {}
_RULED_MOST = 1 << 16


def ruled(item: catalogue.Item, severity: str | None,
          decided_on: datetime.date | None) -> tuple[catalogue.PeriodRule, datetime.date, datetime.date] | None:
    """The period rule of a negative record (catalogue.period_rule) and its :func:`window`, or ``None``;
    worked out once for an item, a severity and a day (an item never changes: a new edition is a new item) —
    a subject's records, decided each time they are read, share few of them."""
    if item.kind != "negative" or severity is None or decided_on is None:
        return None
    key = (id(item), severity, decided_on)
    held = _RULED.get(key)
    if held is not None and held[0] is item:
        return held[1]
    try:
        rule = catalogue.period_rule(item, severity, decided_on)
        found = (rule, add_months(decided_on, rule.min_months), add_months(decided_on, rule.max_months))
    except catalogue.CatalogueError:
        found = None
    if len(_RULED) >= _RULED_MOST:
        _RULED.clear()
    _RULED[key] = (item, found)
    return found


def stated_end(item: catalogue.Item, severity: str | None, decided_on: datetime.date | None,
               stated: datetime.date) -> tuple[datetime.date, str] | None:
    """Where a provider's stated end of publication (公示截止期) falls outside the window — the day that holds
    instead, and why — or ``None`` when it is within it (or no rule applies).

    >>> from jjjcredit.core.credit import catalogue
    >>> penalty = catalogue.default_item("JJJ-03-001")
    >>> stated_end(penalty, "general", datetime.date(2026, 4, 10), datetime.date(2026, 5, 1))
    (datetime.date(2026, 7, 10), 'before the minimum')
    >>> stated_end(penalty, "general", datetime.date(2026, 4, 10), datetime.date(2026, 9, 1)) is None
    True
    """
    bounds = window(item, severity, decided_on)
    if bounds is None:
        return None
    least, most = bounds
    if stated < least:
        return least, "before the minimum"
    if stated > most:
        return most, "after the maximum"
    return None
