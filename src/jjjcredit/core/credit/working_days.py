"""Working days (工作日) under the State Council's yearly holiday notice: the unit of the credit half's
deadlines.

A day is a working day when it is Monday to Friday and not a holiday of the notice, or when the notice
makes it a make-up working day on a weekend (调休上班). The notices are data, one row a special day, in
core/data/working_days.csv (date, kind ``holiday`` or ``workday``, the festival's name, the notice's
number); the years covered are the years present there. A date in any other year is refused — also
when a count only passes through it — never guessed: a deadline is not computed from weekends alone.

Counting begins the day after ``start``: a decision on Friday plus one working day is the next
Monday, unless that is a holiday.

>>> cal = default()
>>> cal.years
(2024, 2025, 2026)
>>> cal.is_working_day(datetime.date(2026, 1, 4))  # a Sunday, made a working day by the 2026 notice
True
>>> cal.is_working_day(datetime.date(2026, 2, 16))  # a Monday of the Spring Festival
False
>>> cal.deadline(datetime.date(2026, 2, 13), 7)  # across the Spring Festival, both make-up Saturdays counted
datetime.date(2026, 3, 2)
>>> cal.working_days_between(datetime.date(2026, 2, 13), datetime.date(2026, 3, 2))
7
>>> cal.deadline(datetime.date(2026, 12, 28), 5)
Traceback (most recent call last):
...
jjjcredit.core.credit.working_days.CalendarError: Working days in 2027 are not known: the calendar covers 2024, 2025, 2026. Add the State Council's holiday notice for 2027 (国务院办公厅关于2027年部分节假日安排的通知) to core/data/working_days.csv.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from jjjcredit.core.errors import Error

#: China Standard Time (no daylight saving): the credit half's days are days in Beijing.
CHINA = datetime.timezone(datetime.timedelta(hours=8), "CST")


def today() -> datetime.date:
    """Today in Beijing: the day a decision may not be after, and the one deadlines are judged on."""
    return datetime.datetime.now(CHINA).date()

#: The kinds of a row: a day off, or a weekend day worked instead (调休上班).
KINDS = ("holiday", "workday")
#: The columns of working_days.csv, in order.
COLUMNS = ("date", "kind", "name", "notice")
DATA_FILE = "data/working_days.csv"


class CalendarError(Error):
    """A working-day count refused; ``code`` is one of ``calendar.*`` (docs/errors.md)."""


@dataclass(frozen=True)
class SpecialDay:
    """One row of a holiday notice: a holiday, or a make-up working day on a weekend."""

    date: datetime.date
    kind: str
    name: str
    notice: str


@dataclass(frozen=True)
class Calendar:
    """The working days of the years whose holiday notices are known (:attr:`years`)."""

    days: tuple[SpecialDay, ...]
    years: tuple[int, ...] = field(init=False)
    _holidays: frozenset[datetime.date] = field(init=False, repr=False, compare=False)
    _workdays: frozenset[datetime.date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days = tuple(sorted(self.days, key=lambda d: d.date))
        seen: set[datetime.date] = set()
        for d in days:
            if d.kind not in KINDS:
                raise _bad(f'{d.date.isoformat()}: kind "{d.kind}" is neither holiday nor workday.')
            if d.kind == "workday" and d.date.weekday() < 5:
                raise _bad(f"{d.date.isoformat()}: a make-up working day (workday) falls on a weekend; "
                           f"this one is a {d.date.strftime('%A')}.")
            if not d.name.strip() or not d.notice.strip():
                raise _bad(f"{d.date.isoformat()}: every day names its festival and its notice.")
            if d.date in seen:
                raise _bad(f"{d.date.isoformat()} is listed twice.")
            seen.add(d.date)
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "years", tuple(sorted({d.date.year for d in days})))
        object.__setattr__(self, "_holidays", frozenset(d.date for d in days if d.kind == "holiday"))
        object.__setattr__(self, "_workdays", frozenset(d.date for d in days if d.kind == "workday"))

    def covers(self, day: datetime.date) -> bool:
        """Whether ``day``'s year is covered by a holiday notice."""
        return day.year in self.years

    def special_day(self, day: datetime.date) -> SpecialDay | None:
        """The notice's row for ``day`` (a holiday or a make-up working day), or None for an ordinary day.

        >>> default().special_day(datetime.date(2025, 10, 6)).name
        '国庆节、中秋节'
        """
        self._require(day)
        return next((d for d in self.days if d.date == day), None)

    def is_working_day(self, day: datetime.date) -> bool:
        """Whether ``day`` is a working day: a make-up working day, or Monday to Friday and no holiday."""
        self._require(day)
        if day in self._workdays:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The date ``n`` working days after ``start`` (counting begins the next day; 0 gives ``start``).

        >>> default().add_working_days(datetime.date(2024, 9, 13), 1)  # Friday → Saturday 14th, a make-up day
        datetime.date(2024, 9, 14)
        """
        if n < 0:
            raise CalendarError("calendar.days", f"A number of working days is 0 or more, not {n}.", field="n")
        self._require(start)
        day, left = start, n
        while left:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def deadline(self, start: datetime.date, n: int) -> datetime.date:
        """The last day of a time limit of ``n`` working days from ``start``: :meth:`add_working_days`."""
        return self.add_working_days(start, n)

    def working_days_between(self, start: datetime.date, end: datetime.date) -> int:
        """The working days after ``start`` up to and including ``end``; negative when ``end`` is earlier
        (the working days after ``end`` up to and including ``start``, counted down).

        >>> default().working_days_between(datetime.date(2025, 9, 30), datetime.date(2025, 10, 11))  # 9th, 10th, 11th
        3
        """
        if end < start:
            return -self.working_days_between(end, start)
        self._require(start)
        self._require(end)
        count = 0
        day = start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def _require(self, day: datetime.date) -> None:
        if day.year not in self.years:
            covered = ", ".join(str(y) for y in self.years) or "no year"
            raise CalendarError(
                "calendar.year_not_covered",
                f"Working days in {day.year} are not known: the calendar covers {covered}. Add the State "
                f"Council's holiday notice for {day.year} (国务院办公厅关于{day.year}年部分节假日安排的通知) "
                "to core/data/working_days.csv.")


def _bad(message: str) -> CalendarError:
    return CalendarError("calendar.data", f"working_days.csv: {message}")


def _date(value: str, line: int) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise _bad(f'line {line}: "{value}" is not a date (YYYY-MM-DD).') from None


def load_calendar(text: str) -> Calendar:
    """A calendar from the text of a working_days.csv (header ``date,kind,name,notice``).

    >>> load_calendar("date,kind,name,notice\\n2026-01-05,workday,元旦,x\\n")
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.working_days.CalendarError: working_days.csv: 2026-01-05: a make-up working day (workday) falls on a weekend; this one is a Monday.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        raise _bad(f"the header is {', '.join(COLUMNS)}.")
    return Calendar(tuple(_rows(reader)))


def _rows(reader: Iterable[list[str]]) -> Iterable[SpecialDay]:
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            raise _bad(f"line {line} has {len(row)} cells, not {len(COLUMNS)}.")
        date, kind, name, notice = (cell.strip() for cell in row)
        yield SpecialDay(_date(date, line), kind, name, notice)


@functools.cache
def default() -> Calendar:
    """The calendar of the notices shipped with the package (core/data/working_days.csv), loaded once."""
    return load_calendar(resources.files("jjjcredit.core").joinpath(DATA_FILE).read_text("utf-8"))
