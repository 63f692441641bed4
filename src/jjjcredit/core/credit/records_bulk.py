"""The fast path of credit record checks: a chunk column by column (as core/codes/uscc_bulk.py is to
uscc.py). Each cell is judged by its column's kind through small cached functions; a row whose every
cell passes and whose fields agree (subject, dates, penalty amounts, severity) stays in :class:`Clean`
columns here (:func:`check_columns`; its :class:`records.Record` is made only when asked for), and every
other row — any problem, any warning, any identity number — goes through :func:`row_checks.check_row`,
which says why. So the two paths give the same outcome for
every row (tests/core/credit/test_records_bulk.py holds them equal on random rows), and the fast one
only has to be right about rows with nothing to say.

>>> import datetime
>>> from jjjcredit.core.credit import catalogue
>>> layout = layouts.bind(catalogue.default_item("JJJ-03-001"), list(records.SAMPLE_PENALTY), "x.csv")
>>> cells = list(records.SAMPLE_PENALTY.values())
>>> bad = dict(records.SAMPLE_PENALTY, 处罚决定日期="2026-02-30")
>>> columns = [list(c) for c in zip(cells, bad.values(), strict=True)]
>>> [c.record is not None for c in check_chunk(layout, columns, 2, 2, datetime.date(2026, 6, 1))]
[True, False]
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jjjcredit.core.codes import uscc, uscc_bulk
from jjjcredit.core.codes.personal import is_identity_number, number_run_cells, personal_in  # personal numbers' shapes
from jjjcredit.core.credit import columns, layouts, periods, records, row_checks
from jjjcredit.core.errors import Verdict

_BAD = object()  #: a cell the fast path does not judge: the row goes the slow way


def _text(limit: int | None) -> Callable[[str], Any]:
    def judge(value: str) -> Any:
        if (limit is not None and len(value) > limit) or not value.isprintable():
            return _BAD
        return _BAD if personal_in(value) else value
    return judge


@functools.lru_cache(maxsize=1 << 14)
def _amount(value: str) -> Any:
    checked = row_checks.amount_value(value)
    return _BAD if checked is None or (len(value) >= 11 and personal_in(value)) else checked


@functools.lru_cache(maxsize=1 << 16)
def _code(value: str) -> Any:
    valid, _why = row_checks.parse_uscc(uscc.compact(value))
    return _BAD if valid is None else valid


@functools.lru_cache(maxsize=1 << 12)
def _penalty(value: str) -> Any:
    named = columns.penalty_categories(value)
    return value if named and all(c in columns.PENALTY_CATEGORIES for c in named) else _BAD


def _judge(b: layouts.Bound, limit: int | None, item_severities: tuple[str, ...],
           today: datetime.date) -> Callable[[str], Any]:
    """The judge of one column's non-empty cells: the value as stored, or :data:`_BAD`."""
    kind = b.column.kind
    if kind == "text":
        return _text(limit)
    if kind == "date":
        return _dates(b.column.role in ("valid_until", "valid_from") or b.field.element == records.STATED_UNTIL, today)
    if kind == "amount":
        return _amount
    if kind == "uscc":
        return _slow if b.column.max_length == 20 else _code  # taxpayer numbers: the slow path
    if kind == "subject_category":
        return lambda v: v if v in columns.SUBJECT_CATEGORIES else _BAD
    if kind == "penalty_category":
        return _penalty
    if kind == "licence_category":
        return lambda v: v if v in columns.LICENCE_CATEGORIES else _BAD
    if kind == "licence_status":
        return lambda v: v if v in columns.LICENCE_STATUSES else columns.LICENCE_STATUS_CODES.get(v, _BAD)

    if kind == "severity":
        def severity(value: str) -> Any:
            found = columns.SEVERITY_WORDS.get(value.casefold() if value.isascii() else value)
            return found if found is not None and (not item_severities or found in item_severities) else _BAD
        return severity
    return _slow  # identity numbers, years, tax levels, anything new: the slow path


@functools.lru_cache(maxsize=8)
def _dates(future_ok: bool, today: datetime.date) -> Callable[[str], Any]:
    """The judge of a date column (cached, as the days of a file repeat)."""
    @functools.lru_cache(maxsize=1 << 14)
    def date(value: str) -> Any:
        day = row_checks.parse_date(value)
        if isinstance(day, str) or (not future_ok and day > today):
            return _BAD
        return day.isoformat()  # ISO dates compare as the days do
    return date


def _slow(_value: str) -> Any:
    return _BAD


def _judged(b: layouts.Bound, values: Sequence[str], limit: int | None, item_severities: tuple[str, ...],
            today: datetime.date, printable: str | None = None) -> list[Any]:
    """A column's stripped cells judged: each as stored, ``None`` when empty and optional, or :data:`_BAD`.
    Free text and codes are judged for the whole column at once where they can be; the rest a cell at a
    time through :func:`_judge`. ``printable``: the cells joined, when they are known to be printable."""
    empty = _BAD if b.field.required else None
    kind = b.column.kind
    if kind == "text":
        return _texts(values, limit, empty, printable)
    if kind == "uscc" and b.column.max_length != 20:
        return _codes(values, empty)
    judge = _judge(b, limit, item_severities, today)
    given = set(values)
    if len(given) * 2 > len(values):
        return [judge(v) if v else empty for v in values]
    found = {v: judge(v) if v else empty for v in given}  # each value judged once (days, categories repeat)
    return list(map(found.__getitem__, values))


def _texts(values: Sequence[str], limit: int | None, empty: Any, printable: str | None = None) -> list[Any]:
    """Free text, as :func:`_text` judges each cell: one length and one printable test over the column, and
    only a cell with digits enough for a :data:`~jjjcredit.core.codes.personal.NUMBER_RUN`
    (:func:`~jjjcredit.core.codes.personal.number_run_cells`) is searched for a personal number.
    ``printable``: the cells joined, known to be printable (no second test)."""
    joined = printable if printable is not None else "".join(values)
    if (limit is not None and max(map(len, values), default=0) > limit) or (
            printable is None and not joined.isprintable()):
        judge = _text(limit)
        return [judge(v) if v else empty for v in values]
    out: list[Any] = list(values) if "" not in values else [v or empty for v in values]
    for i in number_run_cells(values, joined):  # (a cell with fewer than 11 digits holds no run)
        if personal_in(values[i]):
            out[i] = _BAD
    return out


def _codes(values: Sequence[str], empty: Any) -> list[Any]:
    """Unified social credit codes, judged for the column at once (core/codes/uscc_bulk), each code once
    (an authority's code is in every row of its file): a valid code as written is kept as it is; any
    other cell is judged alone (:func:`_code`)."""
    given = list(dict.fromkeys([v for v in values if v]))
    if not given:
        return [empty] * len(values)
    judged = uscc_bulk.judge_many(given)
    ok = ((judged.verdicts == Verdict.VALID) & judged.as_given).tolist()
    found = {v: (v if good else _code(v)) for v, good in zip(given, ok, strict=True)}
    for v, kept in found.items():  # a code that is an identity number: the slow path says what becomes of it
        if kept is not _BAD and is_identity_number(kept):
            found[v] = _BAD
    return [found[v] if v else empty for v in values]


def _stripped(column: Sequence[str]) -> tuple[Sequence[str], str | None]:
    """A column's cells stripped — or as they are, with their joined text, when the column holds no space
    and is printable: every other character ``str.strip`` removes (tabs, line breaks, ideographic and
    other spaces) is unprintable."""
    joined = "".join(column)
    if " " not in joined and joined.isprintable():
        return column, joined
    return [v.strip() for v in column], None


@dataclass
class Clean:
    """A chunk's rows with nothing to say (no problem, no warning, no personal number), a column each —
    no Python object a row: row ``at[k]`` of the chunk has document number ``keys[k]``, its subject, its
    severity, its ISO dates and its values as stored (``texts[k]``). :meth:`record` makes the
    :class:`records.Record` of one, for the few a caller needs as a record."""

    first_row: int
    elements: tuple[str, ...]
    judged: list[list[Any]]  #: the chunk's cells as judged, a column an element (for :meth:`record`)
    at: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    subject_types: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    severities: list[str | None] = field(default_factory=list)
    decided: list[str | None] = field(default_factory=list)
    until: list[str | None] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def record(self, k: int) -> records.Record:
        i = self.at[k]
        values = {e: c[i] for e, c in zip(self.elements, self.judged, strict=False) if c[i] is not None}
        return records.Record(self.first_row + i, self.keys[k], self.subject_types[k], self.names[k], self.codes[k],
                              None, self.severities[k], _day(self.decided[k]), _day(self.until[k]), values, {},
                              self.texts[k])


def check_columns(layout: layouts.Layout, cells: Sequence[Sequence[str]], first_row: int, size: int,
                  today: datetime.date) -> tuple[Clean, dict[int, records.Checked]]:
    """Every row of a chunk (``cells[j][i]``: column ``j`` of the file, row ``first_row + i``), checked
    as :func:`row_checks.check_row` would check it: the rows with nothing to say as :class:`Clean`
    columns, every other row (by its index in the chunk) as ``check_row`` says."""
    item = layout.item
    plan = sorted(layout.plan, key=lambda p: p[0].field.element)  # values in one order, whatever the file's
    outs: list[list[Any]] = []
    for b, index, _kind, limit, _role in plan:
        column = cells[index] if index < len(cells) else [""] * size
        values, printable = _stripped(column)
        outs.append(_judged(b, values, limit, item.severities, today, printable))
    shape = _Shape(layout, [p[0] for p in plan])
    texts = _texts_of(shape.elements, outs, size, [p[2] == "text" for p in plan])
    bad: set[int] = set()
    for column in outs:
        if _BAD in column:
            bad.update([i for i, v in enumerate(column) if v is _BAD])
    outs.append([None] * size)  # the slot of a role the file has no column for (index -1)
    clean = Clean(first_row, shape.elements, outs)
    others: dict[int, records.Checked] = {}
    for i in range(size):
        found = None if i in bad else shape.fields(outs, i)
        text = texts[i]
        if found is None or text is None:
            row = [cells[j][i] if j < len(cells) else "" for j in range(layout.width)]
            others[i] = row_checks.check_row(layout, row, first_row + i, today)
            continue
        clean.at.append(i)
        clean.keys.append(found[0])
        clean.subject_types.append(found[1])
        clean.names.append(found[2])
        clean.codes.append(found[3])
        clean.severities.append(found[4])
        clean.decided.append(found[5])
        clean.until.append(found[6])
        clean.texts.append(text)
    return clean, others


def check_chunk(layout: layouts.Layout, cells: Sequence[Sequence[str]], first_row: int, size: int,
                today: datetime.date) -> list[records.Checked]:
    """Every row of a chunk, checked as :func:`row_checks.check_row` would check it (:func:`check_columns`,
    a :class:`records.Checked` a row)."""
    clean, others = check_columns(layout, cells, first_row, size, today)
    for k, i in enumerate(clean.at):
        others[i] = records.Checked(first_row + i, clean.record(k), ())
    return [others[i] for i in range(size)]


#: A column code that is its own JSON key (quoted, nothing to escape).
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]+\Z")


def _texts_of(elements: Sequence[str], outs: Sequence[Sequence[Any]], size: int,
              printable: Sequence[bool]) -> Sequence[str | None]:
    """Each row's values as :func:`records.values_json` writes them, a column at a time: one template of the
    rows, a ``%s`` a value. A column of nothing but values with nothing to escape (no quote, no backslash,
    nothing unprintable — known already of the columns ``printable`` says: free text, whose judge refuses
    the unprintable) has its key in the template and its value quoted as it is; any other has a ``%s`` for
    its piece of each row — ``"key": "value"`` (through the json module's encoder when a value needs
    escaping), or nothing for an empty cell — and a column of empty cells has nothing. The ``", "`` between
    two values goes after the pieces before the first column in the template, before those after it; a row
    is the template filled. ``None`` for every row when a code comes twice."""
    if len(set(elements)) != len(elements):
        return [None] * size
    template: list[str] = []
    slots: list[Sequence[str]] = []
    first = -1  # where the first column in the template is
    for code, column, known in sorted(zip(elements, outs, printable, strict=True)):  # sort_keys
        key = f'"{code}": ' if _PLAIN_KEY.match(code) else records.json_text(code) + ": "
        try:
            given = "".join(column)
            whole = True
        except TypeError:  # an empty cell (None) or one the slow path judges
            if column.count(None) == size:
                continue  # (a column the file leaves empty)
            given = "".join([v for v in column if v.__class__ is str])
            whole = False
        escaped = '"' in given or "\\" in given or not (known or given.isprintable())
        if whole and not escaped:
            if first < 0:
                first = len(template)
                template.append(key.replace("%", "%%") + '"%s"')
            else:
                template.append(", " + key.replace("%", "%%") + '"%s"')
            slots.append(column)
            continue
        before, after = ("", ", ") if first < 0 else (", ", "")
        if escaped:
            piece = [before + key + records.json_text(v) + after if v.__class__ is str else "" for v in column]
        else:
            piece = [f'{before}{key}"{v}"{after}' if v.__class__ is str else "" for v in column]
        template.append("%s")
        slots.append(piece)
    if not slots:
        return ["{}"] * size
    if first >= 0:
        form = "{" + "".join(template) + "}"
        return list(map(form.__mod__, zip(*slots, strict=True)))
    form = "".join(template)  # (no column in it: each piece its value and ", ", the last one cut)
    return ["{" + text[:-2] + "}" for text in map(form.__mod__, zip(*slots, strict=True))]


class _Shape:
    """Where each role's value is in a row of judged cells, and the item's rules between fields."""

    def __init__(self, layout: layouts.Layout, bound: list[layouts.Bound]) -> None:
        self.item = layout.item
        self.elements = tuple(b.field.element for b in bound)
        first: dict[str, int] = {}
        for j in sorted(range(len(bound)), key=lambda j: bound[j].index):  # the first column in the file's order
            if bound[j].column.role:
                first.setdefault(bound[j].column.role, j)
        self.at = first
        self.reps = tuple(j for j, b in enumerate(bound) if b.field.element.endswith("_FRDB"))
        self.needed = tuple((role, needed) for role, needed in (
            ("fine", columns.FINE_CATEGORIES), ("confiscation", columns.CONFISCATION_CATEGORIES),
            ("suspended_licence", columns.LICENCE_CATEGORIES_OF_PENALTY)) if layout.columns_by_role(role))
        self.single_severity = self.item.severities[0] if len(self.item.severities) == 1 else None
        keys = layout.columns_by_role("document_number")
        self.keys = tuple(self.elements.index(b.field.element) for b in keys)
        self.rated = all(b.column.kind == "year" for b in keys)
        self.i_decided, self.i_until, self.i_start = (self._index(r) for r in ("decided_on", "valid_until",
                                                                                  "valid_from"))
        self.i_code, self.i_category, self.i_penalty, self.i_severity, self.i_name = (self._index(r) for r in (
            "subject_code", "subject_category", "penalty_category", "severity", "subject_name"))
        contents = [j for j, e in enumerate(self.elements) if e == "CF_NR"]  # 处罚内容 (check_row keeps the last)
        self.i_content = contents[-1] if contents and "fine" in self.at else -1
        stated = [j for j, e in enumerate(self.elements) if e == records.STATED_UNTIL]
        self.i_stated = stated[-1] if stated else -1  # (the last, as check_row keeps it)
        self._windows: dict[tuple[str | None, str], tuple[str, str] | None] = {}

    def _index(self, role: str) -> int:
        """Where a role's value is; -1 (an always-empty slot appended to each row) when the file has none."""
        return self.at.get(role, -1)

    def _window(self, severity: str | None, decided: str) -> tuple[str, str] | None:
        """The period's first and last ISO day a record's publication may end on (core/credit/periods.window)."""
        key = (severity, decided)
        if key not in self._windows:
            bounds = periods.window(self.item, severity, datetime.date.fromisoformat(decided))
            self._windows[key] = None if bounds is None else (bounds[0].isoformat(), bounds[1].isoformat())
        return self._windows[key]

    def fields(self, c: Sequence[Sequence[Any]], i: int) -> tuple[str, str, str, str, str | None, str | None,
                                                                 str | None] | None:
        """Row ``i`` of judged columns ``c`` (no cell :data:`_BAD`) when nothing in it needs a word: its
        document number, subject type, subject name, code, severity, ISO dates decided on and valid
        until; else ``None``."""
        item = self.item
        code = c[self.i_code][i]
        if code is None or self.rated:
            return None  # natural persons, rows without a code, ratings: the slow path
        category = c[self.i_category][i]
        if category is not None:
            subject_type = columns.SUBJECT_CATEGORIES[category]
            if subject_type == "natural_person":
                return None
        else:
            subject_type = "individual_business" if code[:2] == "92" else "organization"
        if subject_type not in item.subject_types:
            return None
        if subject_type == "organization" and any(c[j][i] is None for j in self.reps):
            return None
        decided, until, start = c[self.i_decided][i], c[self.i_until][i], c[self.i_start][i]
        if until is not None and ((decided is not None and until < decided) or (start is not None and until < start)):
            return None
        if self.i_content >= 0 and (fine := c[self._index("fine")][i]) is not None and \
                (content := c[self.i_content][i]) is not None and row_checks.fine_in_yuan(fine, content) is not None:
            return None  # a fine in 元 read as 万元: check_row says so
        if self.needed and (penalty := c[self.i_penalty][i]) is not None:
            named = _named_penalties(penalty)
            for role, needed in self.needed:
                if named & needed and c[self._index(role)][i] is None:
                    return None
        severity = c[self.i_severity][i]
        if item.kind == "negative" and severity is None:
            if self.single_severity is None and item.severities:
                return None
            severity = self.single_severity
        if self.i_stated >= 0 and decided is not None and (stated := c[self.i_stated][i]) is not None:
            bounds = self._window(severity, decided)
            if bounds is not None and not bounds[0] <= stated <= bounds[1]:
                return None  # an end of publication outside the period: check_row warns of it
        return ("/".join([c[j][i] or "" for j in self.keys]), subject_type, c[self.i_name][i] or "", code, severity,
                decided, until)


@functools.lru_cache(maxsize=1 << 12)
def _named_penalties(value: str) -> frozenset[str]:
    return frozenset(columns.penalty_categories(value))


@functools.lru_cache(maxsize=1 << 12)
def _day(iso: str | None) -> datetime.date | None:
    return None if iso is None else datetime.date.fromisoformat(iso)
