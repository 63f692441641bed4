"""Values kept under an earlier edition's longer limits: a free-text field an edition in force allows shorter
than one published before keeps, in a record holding it already, the longer value while it is sent unchanged.
A row refused for lengths alone is checked again by the longer limits (:func:`check_kept`), for the ingest to
accept it only when its record holds those very values; a new record never gets a value over the limit in
force."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jjjcredit.core.credit import catalogue, columns
from jjjcredit.core.credit.layouts import Layout
from jjjcredit.core.credit.records import Checked
from jjjcredit.core.credit.row_checks import WARNING, check_row, shown_cell
from jjjcredit.core.errors import Severity
from jjjcredit.core.library.records import Problem

#: The limit of a field no earlier edition bounded (the file's cell limit bounds it all the same).
_UNBOUNDED = 1 << 62


def text_limit(f: catalogue.Field) -> int | None:
    """The length limit of a free-text field (the item's own, else its column's); ``None`` for a field of
    another kind, or one without a limit — as :attr:`Layout.plan` reads it."""
    column = columns.COLUMNS.get(f.element)
    if column is not None and column.kind != "text":
        return None
    return f.max_length or (column.max_length if column is not None else None)


def longer_limits(item: catalogue.Item, earlier: Sequence[catalogue.Item]) -> dict[str, int]:
    """The free-text fields of ``item`` whose values a definition of it in ``earlier`` (editions published
    before) allowed longer: element → the longest limit any of them set. A record kept under such a limit
    keeps its value while it is sent unchanged (:func:`check_kept`).

    >>> now = catalogue.default_item("JJJ-03-001")
    >>> shortened = dataclasses.replace(now, fields=tuple(dataclasses.replace(f, max_length=64)
    ...                                 if f.element == "CF_WSH" else f for f in now.fields))
    >>> longer_limits(shortened, [now]), longer_limits(now, [shortened])
    ({'CF_WSH': 128}, {})
    """
    limits: dict[str, int] = {}
    for f in item.fields:
        limit = text_limit(f)
        if limit is None:
            continue
        for then in (g for i in earlier for g in i.fields if g.element == f.element):
            longer = text_limit(then) or _UNBOUNDED
            if longer > max(limit, limits.get(f.element, 0)):
                limits[f.element] = longer
    return limits


def with_limits(layout: Layout, limits: Mapping[str, int]) -> Layout:
    """``layout`` with the length limits of the fields ``limits`` names (element → limit) set to those."""
    def raised(f: catalogue.Field) -> catalogue.Field:
        return dataclasses.replace(f, max_length=limits[f.element]) if f.element in limits else f
    item = dataclasses.replace(layout.item, fields=tuple(map(raised, layout.item.fields)))
    bound = tuple(dataclasses.replace(b, field=raised(b.field)) for b in layout.bound)
    return dataclasses.replace(layout, item=item, bound=bound)


@dataclass(frozen=True)
class Kept:
    """A free-text value (of the field ``element``, under ``header``) of ``length`` characters, longer than the
    ``limit`` the edition in force sets: kept only by a record that holds it already."""

    element: str
    header: str
    length: int
    limit: int

    def warning(self, row: int, value: str) -> Problem:
        """What a row that sent the value its record holds is told (``credit.length_kept``)."""
        return Problem(row, self.header, "credit.length_kept", f"{self.header}: {self.length} characters, more than "
                       f"the {self.limit} the catalogue edition in force allows; the record holds this value as an "
                       "earlier edition allowed it, and keeps it: sent unchanged, it is not judged again (a changed "
                       f"value fits within {self.limit}; `credit correct` can shorten it).",
                       shown_cell(columns.Column(self.element, self.header), value), WARNING)

    def refused(self, problem: Problem) -> Problem:
        """The length problem of a row that sent another value than its record holds, saying why the record's
        own is no help."""
        return dataclasses.replace(problem, message=problem.message + " The record holds another value, kept under "
                                   "an earlier edition's longer limit: only that value, sent unchanged, is kept.")


def check_kept(layout: Layout, longer: Layout, checked: Checked, cells: Sequence[str],
               today: datetime.date) -> tuple[Checked, tuple[Kept, ...]] | None:
    """A row :func:`check_row` refused (``checked``) for lengths alone, checked again by ``longer``
    (:func:`with_limits`: the longer limits of earlier editions, :func:`longer_limits`): its record and
    its values over ``layout``'s limits, which only a record holding those very values may keep (the
    service, once it has looked the record up) — or ``None`` when the row is refused for anything else,
    or by ``longer`` too. A new record never gets a value over the limit in force through this."""
    if checked.record is not None or any(p.severity is Severity.ERROR and p.code != "record.length"
                                         for p in checked.problems):
        return None
    again = check_row(longer, cells, checked.row, today)
    if again.record is None:
        return None
    width = len(cells)
    kept = tuple(Kept(b.field.element, b.header, len(value), limit) for b, index, kind, limit, _role in layout.plan
                 if kind == "text" and limit is not None
                 and len(value := cells[index].strip() if index < width else "") > limit)
    return (again, kept) if kept else None
