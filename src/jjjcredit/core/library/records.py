"""Records: rows of a department's file checked against the standard data elements.

A file's header is first *bound* to a crosswalk (:func:`bind`): every header is matched to an
element through the department's layout or the standard names, and a file that lacks a required
column — or holds one element twice — is refused before any row is read. Then a :class:`Checker`
validates rows in batches and returns, per batch, the counts and every :class:`Problem`:

- each value through its column's transform, then the element's format, length, value list and
  dates that exist;
- the unified social credit code with the identifier core's graded verdicts (vectorized; findings
  and suggestions only for codes that are not plainly valid), and duplicates of one code in the file;
- the organization code against positions 9-17 of the code;
- the department and region implied by the code against the declared source (warnings).

Validation never stops at the first problem. A row is *rejected* when any problem is an error, *with
warnings* when it has warnings only, else *valid*; every row read is exactly one of the three.
Personal data (the legal representative's ID number, the contact person) is never echoed whole: the
value and the message carry a masked form.

>>> layout = bind(crosswalks.standard(), ["统一社会信用代码", "机构名称", "成立日期", "状态"], "f.csv")
>>> checker = Checker(layout)
>>> batch = checker.check(2, [["91350100M000100Y43", "福建某公司", "2019-03-05", "存续"],
...                           ["91350100M000100Y44", "", "2019-02-30", "活着"]])
>>> batch.valid, batch.warnings, batch.rejected
(1, 0, 1)
>>> [(p.row, p.field, p.code) for p in batch.problems]
[(3, '统一社会信用代码', 'uscc.checksum'), (3, '机构名称', 'record.required'), (3, '成立日期', 'record.date'), (3, '状态', 'record.value')]
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from jjjcredit.core.codes import divisions, orgcode, ric, uscc
from jjjcredit.core.codes.departments import DEPARTMENTS
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.errors import Error, Severity, Verdict
from jjjcredit.core.library import crosswalks, elements, transforms
from jjjcredit.core.library.crosswalks import Column, Crosswalk
from jjjcredit.core.library.elements import Element, Kind
from jjjcredit.core.library.first_seen import FirstSeen
from jjjcredit.core.library.transforms import TransformError, quote

#: Values longer than this are cut short in a problem's ``value`` (the check uses the whole value).
SHOWN = 200
#: Suggestions (likely corrections) are computed for this many invalid codes per file; each costs
#: tens of milliseconds, so a file full of bad codes does not take hours.
SUGGESTIONS = 100
#: Cached results per column (dates and value-list words repeat); the cache is emptied past this.
MEMO_LIMIT = 200_000

ERROR, WARNING = Severity.ERROR, Severity.WARNING
_DECIMAL = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_ID_CARD = "10"  #: legal_rep_id_type code of the resident identity card


class LayoutError(Error, ValueError):
    """A file's header does not fit its layout (missing or doubled columns). ``code`` is stable."""


@dataclass(frozen=True)
class Problem:
    """One problem in one row: ``row`` as the user sees it in the spreadsheet, ``field`` the header as
    the user wrote it (empty for problems of the whole row), ``value`` cut short and masked if personal."""

    row: int
    field: str
    code: str
    message: str
    value: str
    severity: Severity = ERROR

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "code": self.code, "severity": self.severity.value,
                "message": self.message, "value": self.value}


@dataclass(frozen=True)
class Bound:
    """A file column bound to an element: where it is in the row, and its header as written."""

    index: int
    header: str
    column: Column
    element: Element


@dataclass(frozen=True)
class Layout:
    """A file's header bound to a crosswalk."""

    crosswalk: Crosswalk
    headers: tuple[str, ...]
    columns: tuple[Bound, ...]
    ignored: tuple[str, ...]  #: headers that map to no element (their values are not checked)

    @property
    def width(self) -> int:
        return len(self.headers)

    def column(self, element: str) -> Bound | None:
        return next((b for b in self.columns if b.element.name == element), None)


def _accepted_headers(crosswalk: Crosswalk, element: str) -> list[str]:
    e = elements.BY_NAME[element]
    names = [c.header for c in crosswalk.columns if c.element == element]
    return [*names, *(h for h in (e.zh, e.name) if h not in names)]


def bind(crosswalk: Crosswalk, headers: Sequence[str], origin: str) -> Layout:
    """Match a file's headers to the crosswalk, or raise :class:`LayoutError` listing what is missing
    and what the file has.

    >>> layout = bind(crosswalks.standard(), ["uscc", "机构名称", "备注"], "f.csv")
    >>> [b.element.name for b in layout.columns], layout.ignored
    (['uscc', 'name'], ('备注',))
    >>> bind(crosswalks.standard(), ["代码", "名称"], "f.csv")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.records.LayoutError: f.csv: has no column for 统一社会信用代码 (uscc), 机构名称 (name) in the standard layout; headers accepted: "统一社会信用代码" or "uscc"; "机构名称" or "name". The file's columns are "代码", "名称". Check the file's source (its layout), or rename the headers.
    """
    cleaned = tuple(h.strip().lstrip("\ufeff").strip() for h in headers)
    bound: list[Bound] = []
    by_element: dict[str, Bound] = {}
    ignored: list[str] = []
    for i, header in enumerate(cleaned):
        column = crosswalk.match(header) if header else None
        if column is None:
            ignored.append(header or f"column {i + 1} (no header)")
            continue
        if column.element in by_element:
            first = by_element[column.element].header
            raise LayoutError(
                "file.duplicate_column", f'{origin}: columns "{first}" and "{header}" both hold '
                f"{elements.BY_NAME[column.element].zh} ({column.element}); keep one of them.")
        by_element[column.element] = b = Bound(i, header, column, elements.BY_NAME[column.element])
        bound.append(b)
    missing = [name for name in crosswalk.required if name not in by_element]
    if missing:
        layout = "the standard layout" if crosswalk.source == crosswalks.STANDARD else \
            f"the layout of {crosswalk.source} ({crosswalk.title})"
        wanted = ", ".join(f"{elements.BY_NAME[m].zh} ({m})" for m in missing)
        accepted = "; ".join(" or ".join(f'"{h}"' for h in _accepted_headers(crosswalk, m)) for m in missing)
        has = ", ".join(f'"{h}"' for h in cleaned if h) or "none"
        raise LayoutError("file.missing_column", f"{origin}: has no column for {wanted} in {layout}; headers "
                          f"accepted: {accepted}. The file's columns are {has}. Check the file's source (its "
                          "layout), or rename the headers.")
    return Layout(crosswalk, cleaned, tuple(bound), tuple(ignored))


@dataclass
class Batch:
    """What one batch of rows gave: counts (``rows`` = valid + warnings + rejected) and problems,
    sorted by row then by column; ``records`` holds the normalized values when asked for."""

    rows: int = 0
    valid: int = 0
    warnings: int = 0
    rejected: int = 0
    blank: int = 0
    problems: list[Problem] = field(default_factory=list)
    records: list[dict[str, str] | None] | None = None
    #: When asked for, the normalized values column by column (element name → a value per row, empty
    #: cells falsy), and the rows whose cells were checked (not blank, no problem of the whole row) —
    #: the rows ``records`` would hold, without making a dictionary per row.
    columns: dict[str, Sequence[str | None]] | None = None
    checked: list[int] | None = None


def shown(value: str) -> str:
    """A value as a problem carries it: cut short past :data:`SHOWN` characters, identity and mobile numbers
    masked (before the cut, which could leave part of one).

    >>> shown("张三,11010519491231002X")
    '张三,110105********002X'
    """
    if len(value) > SHOWN:
        return f"{shown_personal(value)[:SHOWN]}… ({len(value):,} characters)"
    return shown_personal(value)


_MOBILE = re.compile(r"(?:0086|86)?(1[3-9][0-9]{9})")  #: a mobile number as a whole value, compact


def mask_personal(value: str) -> str:
    """A personal value safe to show: ID numbers as :func:`ric.mask`, a mobile number or another text holding
    one as :func:`shown_personal` masks it, names keep their first character.

    >>> mask_personal("11010519491231002X"), mask_personal("张三丰"), mask_personal("")
    ('110105********002X', '张**', '')
    >>> mask_personal("13812345678"), mask_personal("+86 138-1234-5678")
    ('138****5678', '138****5678')
    """
    compact = ric.compact(value)
    mobile = _MOBILE.fullmatch(compact.replace("+", ""))
    if mobile is not None:
        return mobile.group(1)[:3] + "****" + mobile.group(1)[7:]
    if len(compact) >= 10 and compact[:6].isdigit():
        return ric.mask(compact)
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*" * len(value)


_Issue = tuple[str, str, Severity]
_Result = tuple[str | None, _Issue | None]


def _value_list(e: Element) -> str:
    return ", ".join(f"{v.code} {v.zh}" for v in e.values.values())


@functools.cache
def _limits(name: str) -> tuple[Kind, int, int, int]:
    """(kind, min length, max length, decimals) of an element, computed once."""
    e = elements.BY_NAME[name]
    return e.kind, e.min_length, e.max_length, e.decimals


def check_value(e: Element, v: str) -> _Issue | None:
    """The element's own rules on a value already in its form (after the transform).

    >>> check_value(elements.BY_NAME["status"], "7")[0], check_value(elements.BY_NAME["established"], "20190230")[0]
    ('record.value', 'record.date')
    >>> check_value(elements.BY_NAME["registered_capital"], "12.123456789")[0], check_value(elements.BY_NAME["name"], "x")
    ('record.length', None)
    """
    if e.values:
        if v not in e.values:
            return "record.value", f"{quote(v)} is not on the value list of {e.zh}: expected one of " \
                f"{_value_list(e)}.", ERROR
        return None
    kind, low, high, places = _limits(e.name)
    if kind is Kind.DATE:
        if not (len(v) == 8 and v.isdigit() and v.isascii()):
            return "record.date", f"{quote(v)} is not a date written YYYYMMDD (e.g. 20190305).", ERROR
        try:
            datetime.date(int(v[:4]), int(v[4:6]), int(v[6:]))
        except ValueError:
            return "record.date", f"{quote(v)} is not a date that exists.", ERROR
        return None
    if kind is Kind.NUMBER:
        if places:
            m = _DECIMAL.fullmatch(v) if v.isascii() else None
            if m is None:
                return "record.number", f"{quote(v)} is not a number: expected digits with up to {places} " \
                    "after the point, e.g. 12.5.", ERROR
            whole, decimals = m.group(1), m.group(2) or ""
            if len(decimals) > places or len(whole) + len(decimals) > high:
                return "record.length", f"{quote(v)} has too many digits: up to {high} digits, " \
                    f"{places} after the point.", ERROR
            return None
        if not (v.isdigit() and v.isascii()):
            return "record.number", f"{quote(v)} is not a number: {e.zh} is written in digits only.", ERROR
        if not low <= len(v) <= high:
            return "record.length", f"{quote(v)} has {len(v)} digits: {e.zh} has {_length_text(e, 'digits')}.", \
                ERROR
        if e.reference == "GB/T 2260" and not divisions.is_known(v):
            return "record.division_unknown", f"{quote(v)} is not a division known to GB/T 2260 history: check " \
                "the division code (the value is kept).", WARNING
        return None
    if not low <= len(v) <= high:
        return "record.length", f"{quote(v)} has {len(v):,} characters: {e.zh} has " \
            f"{_length_text(e, 'characters')}.", ERROR
    return None


def _length_text(e: Element, unit: str) -> str:
    _, low, high, _ = _limits(e.name)
    if low == high:
        return f"exactly {high} {unit}"
    if low > 1:
        return f"{low} to {high} {unit}"
    return f"up to {high:,} {unit}"


def _cleaner(e: Element, transform: Callable[[str], str]) -> Callable[[str], _Result]:
    trusted = transform is transforms.date and e.kind is Kind.DATE  # its output is always a real date

    def clean(raw: str) -> _Result:
        try:
            v = transform(raw)
        except TransformError as exc:
            return None, (exc.code, exc.message, ERROR)
        if not v:
            return None, ("record.format", f"{quote(raw)} holds nothing that {e.zh} can use.", ERROR)
        if trusted:
            return v, None
        issue = check_value(e, v)
        if issue is not None and issue[2] is ERROR:
            return None, issue
        return v, issue

    return clean


_SIMPLE_TEXT = frozenset({"text", "fullwidth", "code"})
_COMPACT_BYTES = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  #: what a compact code is made of
_SPECIAL = frozenset({"uscc", "orgcode", "legal_rep_id_number"})


class Checker:
    """Validates batches of rows of one file against its :class:`Layout`.

    Pure but stateful across batches: it remembers the codes seen (for duplicates), cached value
    results, and how many suggestions it has left.
    """

    def __init__(self, layout: Layout, *, suggestions: int = SUGGESTIONS, keep_records: bool = False,
                 keep_columns: bool = False, spill: Callable[[], BinaryIO] | None = None) -> None:
        """``spill``: where the codes seen may go beyond a million (FirstSeen), for flat memory."""
        self.layout = layout
        self.suggestions_left = suggestions
        self.keep_records = keep_records
        self.keep_columns = keep_columns
        self._seen = FirstSeen(spill)  # code → the row it was first seen in
        self._memo: dict[int, tuple[dict[str, str], dict[str, _Issue]]] = {}
        self._required = frozenset(layout.crosswalk.required)
        self._department = layout.crosswalk.department_code
        self._region = layout.crosswalk.region_prefix
        self._longest: int | None = None

    def close(self) -> None:
        """Let go of the files the codes seen spilled to."""
        self._seen.close()

    # --- the batch ------------------------------------------------------------------------------

    def check(self, first_row: int, rows: Sequence[Sequence[str]],
              issues: Mapping[int, tuple[str, str, str]] | None = None) -> Batch:
        """Check ``rows`` (lists of cells in file order; the first is spreadsheet row ``first_row``).

        ``issues`` are problems a reader found with a whole row (index in ``rows`` → code, message,
        value): such a row is rejected with that problem and not checked further.
        """
        columns, ragged = to_columns(rows, self.layout.width)
        return self.check_columns(first_row, len(rows), columns, {**ragged, **(issues or {})})

    def check_columns(self, first_row: int, n: int, columns: Sequence[Sequence[str]],
                      issues: Mapping[int, tuple[str, str, str]] | None = None, stripped: bool = False,
                      longest: int | None = None) -> Batch:
        """Check ``n`` rows given column by column (``columns[j][i]`` is cell ``j`` of row ``i``) — the
        fast path: readers that split a file straight into columns save transposing it.
        ``stripped``: no cell has surrounding spaces (the reader made sure), so none are stripped;
        ``longest``: no cell is longer (the reader knows the longest line), so shorter limits hold."""
        self._longest = longest
        found: list[tuple[int, int, Problem]] = []
        out: dict[str, Sequence[str | None]] = {}
        state = [0] * n  # 0 valid, 1 warnings, 2 rejected, 3 blank
        whole: set[int] = set()  # rows with a problem of the whole row: their cells say nothing
        if issues:
            for i, (code, message, value) in issues.items():
                found.append((i, -1, Problem(first_row + i, "", code, message, shown(value))))
                whole.add(i)
        values: dict[str, list[str]] = {}
        for b in self.layout.columns:
            column = columns[b.index]
            values[b.element.name] = list(column) if stripped else list(map(str.strip, column))
        self._blank(columns, values, state, whole)
        for b in self.layout.columns:
            name = b.element.name
            if name in _SPECIAL:
                continue
            out[name] = self._column(b, values[name], first_row, found)
        uscc_bound = self.layout.column("uscc")
        if uscc_bound is not None:
            out["uscc"] = self._codes(uscc_bound, values["uscc"], first_row, found, state)
        org_bound = self.layout.column("orgcode")
        if org_bound is not None:
            out["orgcode"] = self._orgcodes(org_bound, values["orgcode"], values.get("uscc"), first_row, found)
        id_bound = self.layout.column("legal_rep_id_number")
        if id_bound is not None:
            out["legal_rep_id_number"] = self._id_numbers(
                id_bound, values["legal_rep_id_number"], out.get("legal_rep_id_type"), first_row, found)
        return self._finish(n, state, found, out, whole)

    def _blank(self, columns: Sequence[Sequence[str]], values: dict[str, list[str]], state: list[int],
               whole: set[int]) -> None:
        """Mark blank rows (every cell empty, e.g. trailing ``,,,,`` lines): counted apart, not checked."""
        key = next((values[name] for name in self._required if name in values), None)
        if key is None or "" not in key:
            return
        for i, v in enumerate(key):
            if not v and i not in whole and not any(c[i].strip() for c in columns):
                state[i] = 3

    def _finish(self, n: int, state: list[int], found: list[tuple[int, int, Problem]],
                out: dict[str, Sequence[str | None]], whole: set[int]) -> Batch:
        batch = Batch()
        problems: list[tuple[int, int, Problem]] = []
        for i, col, p in found:
            if state[i] == 3 or (col >= 0 and i in whole):
                continue  # a blank row, or a row already judged as a whole: nothing to say about cells
            if p.severity is ERROR:
                state[i] = 2
            elif state[i] == 0:
                state[i] = 1
            problems.append((i, col, p))
        problems.sort(key=lambda t: (t[0], t[1]))
        batch.problems = [p for _, _, p in problems]
        batch.blank = state.count(3)
        batch.rejected = state.count(2)
        batch.warnings = state.count(1)
        batch.valid = state.count(0)
        batch.rows = n - batch.blank
        names = [name for name in elements.COLUMN_ORDER if name in out]
        if self.keep_columns:
            batch.columns = {name: out[name] for name in names}
            batch.checked = [i for i in range(n) if state[i] != 3 and i not in whole]
        if self.keep_records:
            batch.records = [
                None if state[i] == 3 or i in whole else
                {name: v for name in names if (v := out[name][i])}
                for i in range(n)]
        return batch

    # --- ordinary columns -----------------------------------------------------------------------

    def _empty(self, b: Bound, values: list[str], first_row: int, found: list[tuple[int, int, Problem]]) -> None:
        if b.element.name in self._required and "" in values:
            what = f"{b.element.zh} ({b.element.name})"
            for i, v in enumerate(values):
                if not v:
                    found.append((i, b.index, Problem(
                        first_row + i, b.header, "record.required",
                        f"{b.header} is empty: every row needs {what}; fill it in or remove the row.", "")))

    def _problem(self, b: Bound, row: int, raw: str, issue: _Issue) -> Problem:
        code, message, severity = issue
        if b.element.personal:
            masked = mask_personal(raw)
            message = message.replace(quote(raw), quote(masked)).replace(raw, masked)
            return Problem(row, b.header, code, message, masked, severity)
        return Problem(row, b.header, code, message, shown(raw), severity)

    def _column(self, b: Bound, values: list[str], first_row: int,
                found: list[tuple[int, int, Problem]]) -> Sequence[str | None]:
        """Normalized values of one column ("" where empty or refused); problems into ``found``."""
        e = b.element
        transform = transforms.TRANSFORMS[b.column.transform_name]
        self._empty(b, values, first_row, found)
        kind, low, high, _ = _limits(e.name)
        if kind is Kind.TEXT and not e.values and transform.name in _SIMPLE_TEXT:
            result = values if transform.name == "text" else list(map(transform.apply, values))
            too_long = (self._longest is None or self._longest > high) and max(map(len, result), default=0) > high
            if too_long or (low > 1 and min(map(len, result), default=low) < low):
                result = list(result)
                for i, v in enumerate(result):
                    if v and not low <= len(v) <= high:
                        issue = check_value(e, v)
                        if issue is not None:
                            found.append((i, b.index, self._problem(b, first_row + i, values[i], issue)))
                            result[i] = ""
            return result
        clean = _cleaner(e, transform.apply)
        if transform.memo:
            normal, issues = self._memo.setdefault(b.index, ({"": ""}, {}))
            if len(normal) > MEMO_LIMIT:
                normal.clear()
                issues.clear()
                normal[""] = ""
            looked_up = list(map(normal.get, values))
            if None in looked_up:
                for v in set(values).difference(normal):
                    value, issue = clean(v)
                    normal[v] = value or ""
                    if issue is not None:
                        issues[v] = issue
                looked_up = list(map(normal.get, values))
            if issues and not issues.keys().isdisjoint(values):
                for i, v in enumerate(values):
                    if v in issues:
                        found.append((i, b.index, self._problem(b, first_row + i, v, issues[v])))
            return looked_up
        cleaned: list[str | None] = []
        for i, v in enumerate(values):
            value, issue = clean(v) if v else ("", None)
            if issue is not None:
                found.append((i, b.index, self._problem(b, first_row + i, v, issue)))
            cleaned.append(value or "")
        return cleaned

    # --- the code -------------------------------------------------------------------------------

    def _codes(self, b: Bound, values: list[str], first_row: int, found: list[tuple[int, int, Problem]],
               state: list[int]) -> list[str | None]:
        n = len(values)
        self._empty(b, values, first_row, found)
        verdicts = uscc.verdict_many(values)
        joined = "".join(values)
        # The usual case: every value is 18 characters, already compact (nothing to undo).
        plain = len(joined) == uscc.LENGTH * n and joined.isascii() and \
            not joined.encode("ascii").translate(None, _COMPACT_BYTES)
        if plain:
            odd = np.flatnonzero(verdicts != Verdict.VALID).tolist()
        else:
            listed = verdicts.tolist()
            odd = [i for i, (v, verdict) in enumerate(zip(values, listed, strict=True))
                   if verdict != Verdict.VALID or not (len(v) == uscc.LENGTH and v.isascii() and v.isalnum()
                                                       and v == v.upper())]
        codes: list[str | None] = list(values)
        for i in odd:
            v = values[i]
            codes[i] = self._code_findings(b, v, first_row + i, i, found) if v else None
        self._agreement(b, codes, joined if plain else None, first_row, found)
        self._duplicates(b, codes, first_row, found, state)
        return codes

    def _code_findings(self, b: Bound, raw: str, row: int, i: int,
                       found: list[tuple[int, int, Problem]]) -> str | None:
        result = uscc.check(raw)
        personal = any(f.code == "uscc.looks_like_ric" for f in result.findings)
        value = ric.mask(result.compact) if personal else shown(raw)
        first_error = True
        for f in result.findings:
            message = f.message
            if f.severity is ERROR and first_error:
                first_error = False
                if not personal and self.suggestions_left > 0:
                    self.suggestions_left -= 1
                    suggestions = uscc.suggest(raw)
                    if suggestions:
                        message += " Did you mean " + " or ".join(s.code for s in suggestions) + "?"
            found.append((i, b.index, Problem(row, b.header, f.code, message, value, f.severity)))
        return None if result.verdict is Verdict.INVALID else result.compact

    def _agreement(self, b: Bound, codes: list[str | None], joined: str | None, first_row: int,
                   found: list[tuple[int, int, Problem]]) -> None:
        dept, region, cw = self._department, self._region, self.layout.crosswalk
        if dept is None or region is None or not codes:
            return
        if joined is not None:
            m = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(len(codes), uscc.LENGTH)
            off = (m[:, 0] != ord(dept)) | (((m[:, 2] != ord(region[0])) | (m[:, 3] != ord(region[1])))
                                            & ~((m[:, 2] == ord("1")) & (m[:, 3] == ord("0"))))
            candidates: list[int] | range = np.flatnonzero(off).tolist()
        else:
            candidates = range(len(codes))
        for i in candidates:
            c = codes[i]
            if c is None:
                continue
            if c[0] != dept:
                d = DEPARTMENTS.get(c[0])
                found.append((i, b.index, Problem(
                    first_row + i, b.header, "record.source_department",
                    f"The code's department (position 1) is {c[0]} ({d.zh if d else '?'}), but the file is "
                    f"declared as {cw.source} ({crosswalks.DEPARTMENTS[cw.department][1]}, department "
                    f"{dept}); check the file's source, or ask the provider why the row is in its file.", c, WARNING)))
            # National-level codes (positions 3-4 "10") are registered by no region: no warning.
            if c[2:4] != region and c[2:4] != "10":
                place = divisions.province_name(c[2:8]) or f'"{c[2:4]}"'
                found.append((i, b.index, Problem(
                    first_row + i, b.header, "record.source_region",
                    f"The code was issued in {place} (positions 3-8 {c[2:8]}), but the file is declared as "
                    f"{cw.source} ({crosswalks.REGIONS[cw.region][1]}); check the file's source, or ask the provider "
                    "why the row is in its file.", c, WARNING)))

    def _duplicates(self, b: Bound, codes: list[str | None], first_row: int,
                    found: list[tuple[int, int, Problem]], state: list[int]) -> None:
        firsts = self._seen.add(codes, first_row)
        for i, first in enumerate(firsts):
            c = codes[i]
            if first is not None and first != first_row + i and c and state[i] != 3:
                found.append((i, b.index, Problem(
                    first_row + i, b.header, "record.duplicate",
                    f"The code {c} is also in row {first}: a file holds each organization once: keep one "
                    "of the two rows (the current one) and remove the other.", c)))

    # --- organization code and ID numbers -------------------------------------------------------

    def _orgcodes(self, b: Bound, values: list[str], codes: list[str] | None, first_row: int,
                  found: list[tuple[int, int, Problem]]) -> list[str | None]:
        self._empty(b, values, first_row, found)
        result: list[str | None] = []
        for i, raw in enumerate(values):
            if not raw:
                result.append(None)
                continue
            oc = orgcode.compact(raw)
            full = uscc.compact(codes[i]) if codes is not None and codes[i] else ""
            if len(full) == uscc.LENGTH and oc == full[8:17]:
                result.append(oc)
                continue
            check = orgcode.check(oc)
            for f in check.findings:
                found.append((i, b.index, Problem(first_row + i, b.header, f.code, f.message, shown(raw),
                                                  f.severity)))
            if not check.errors and len(full) == uscc.LENGTH:
                found.append((i, b.index, Problem(
                    first_row + i, b.header, "record.orgcode_mismatch",
                    f"The organization code {orgcode.format(oc)} is not positions 9-17 of the unified social "
                    f"credit code {full} ({orgcode.format(full[8:17])}): one of the two is wrong; check them "
                    "against the registration record.", shown(raw))))
            result.append(None if check.errors else oc)
        return result

    def _id_numbers(self, b: Bound, values: list[str], types: Sequence[str | None] | None, first_row: int,
                    found: list[tuple[int, int, Problem]]) -> list[str | None]:
        self._empty(b, values, first_row, found)
        e = b.element
        result: list[str | None] = []
        for i, raw in enumerate(values):
            if not raw:
                result.append(None)
                continue
            v = ric.compact(raw)
            kind = (types[i] or None) if types is not None else None
            looks_like_card = len(v) == 18 and v[:17].isdigit() and v.isascii()
            if kind == _ID_CARD or (kind is None and looks_like_card):
                check = ric.check(v)
                for f in check.findings:
                    found.append((i, b.index, Problem(first_row + i, b.header, f.code, f.message,
                                                      mask_personal(v), f.severity)))
                result.append(None if check.errors else v)
                continue
            issue = check_value(e, v)
            if issue is not None:
                found.append((i, b.index, self._problem(b, first_row + i, raw, issue)))
                result.append(None)
            else:
                result.append(v)
        return result


def to_columns(rows: Sequence[Sequence[str]], width: int) -> tuple[list[Sequence[str]],
                                                                 dict[int, tuple[str, str, str]]]:
    """Rows → columns. A row of another width than the header becomes a ``record.ragged`` issue (its
    cells cannot be matched to columns) and empty cells — but for empty cells past the header's last
    (a delimiter at the end of each line, as some exports write), which are dropped; an empty row
    (``[]``) becomes empty cells.

    >>> to_columns([["a", "b"], ["c"], []], 2)[0]
    [('a', '', ''), ('b', '', '')]
    >>> to_columns([["a", "b"], ["c"]], 2)[1][1][0]
    'record.ragged'
    >>> to_columns([["a", "b", ""], ["c", "d", " "]], 2)
    ([('a', 'c'), ('b', 'd')], {})
    """
    issues: dict[int, tuple[str, str, str]] = {}
    if len(set(map(len, rows))) > 1 or (rows and len(rows[0]) != width):
        empty = [""] * width
        fixed: list[Sequence[str]] = list(rows)
        for i, r in enumerate(rows):
            if len(r) > width and not any(c.strip() for c in r[width:]):
                fixed[i] = r[:width]
            elif len(r) != width:
                fixed[i] = empty
                if any(c.strip() for c in r):
                    issues[i] = ("record.ragged", f"The row has {len(r)} cells but the header has {width}, so its "
                                 "values cannot be matched to the columns; look for a delimiter inside an "
                                 "unquoted value, or a missing or extra cell.", ",".join(r))
        rows = fixed
    columns: list[Sequence[str]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return columns, issues


def validate_record(values: Mapping[str, str], crosswalk: Crosswalk | None = None,
                    row: int = 2) -> tuple[dict[str, str], list[Problem]]:
    """One record (element name or header → raw value) → its normalized values and every problem.

    >>> values, problems = validate_record({"uscc": "9135 0100 m000100y43", "name": "某公司",
    ...                                     "registered_capital": "500万元", "established": "2019年3月5日"})
    >>> values
    {'uscc': '91350100M000100Y43', 'name': '某公司', 'established': '20190305', 'registered_capital': '500'}
    >>> problems
    []
    """
    cw = crosswalk or crosswalks.standard()
    headers = list(values)
    for name in cw.required:
        if not any((c := cw.match(h)) is not None and c.element == name for h in headers):
            headers.append(name)
    layout = bind(cw, headers, "record")
    checker = Checker(layout, keep_records=True)
    batch = checker.check(row, [[values.get(h, "") for h in headers]])
    records = batch.records or [None]
    return records[0] or {}, batch.problems
