"""The fast path of reading and checking an exchange package's rows, column by column (as
core/credit/records_bulk.py is to core/credit/row_checks.py).

**Reading.** JSON Lines is parsed by pyarrow (C++, an explicit schema of text columns) and Parquet read
by it, each column then made Python values at once; CSV by the same C reader as :func:`rows.read`. Every
row is a dict of every column, values text or ``None``, as :func:`rows.read` gives them. A file the fast
path does not take whole — anything unusual: a line that is not one object alone, a value that is not
text (``null`` included), a column twice, a line break :meth:`str.splitlines` knows beyond ``\\n``, a
Parquet column that is not text — is read again by :func:`rows.read`, whose refusal
(``exchange.malformed``, with its line) is the one given. XML is read by :func:`rows.read`.

**Checking.** The codes are judged at once (core/codes/uscc_bulk.py), duplicates found with one dict,
and every other column's distinct values checked against the column's rule; only the rows where
something is wrong go through :func:`rows.organization_problems`, which says why — so the problems are
those :func:`rows.check_organizations` gives, in the same order (tests/core/exchange/test_rows_bulk.py
holds the two equal on random rows).

>>> import random
>>> columns = ("uscc", "name", "status")
>>> good = {"uscc": uscc.generate(random.Random(1), "9", "1", "130102"), "name": "某公司", "status": "1"}
>>> found, cells = read_cells("jsonl", "organizations", columns, rows.write("jsonl", "organizations", columns,
...                                                                         [good, good | {"status": "7"}]))
>>> [(p["row"], p["field"]) for p in check_organizations(found, columns, cells)]
[(2, 'uscc'), (2, 'status')]
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import json.scanner
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, repeat
from operator import itemgetter
from typing import Any, overload

from jjjcredit.core.codes import uscc
from jjjcredit.core.exchange import rows

Cells = list[list[str | None]]  #: a package's values column by column, in the package's column order

_FEW = 256  #: up to this many distinct values in a column, each is checked as the row check checks it
#: Line breaks :meth:`str.splitlines` splits at besides ``\n`` that may stand inside a JSON text (a raw
#: ``\r`` between tokens, the others inside strings): a file with one is read line by line.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
_OTHER_BREAKS_UTF8 = tuple(c.encode("utf-8") for c in _OTHER_BREAKS)


class Rows(Sequence[rows.Row]):
    """Rows held column by column, as the fast path reads them: a row's dict is made only when it is asked
    for, so what works column by column (the checks, services/exchange/apply.py) makes none. Held as
    Python lists (``cells``), or as pyarrow text arrays (``arrays``: a column becomes a list only when
    :meth:`column` asks for it; :meth:`arrow` gives the array itself, for a COPY written without Python).

    >>> found = Rows(("uscc", "name"), [["A", "B"], ["甲", None]])
    >>> len(found), found[1], found.column("name"), list(found.take([1]))
    (2, {'uscc': 'B', 'name': None}, ['甲', None], [{'uscc': 'B', 'name': None}])
    >>> import pyarrow as pa
    >>> held = Rows(("uscc", "name"), arrays=[pa.array(["A", "B"]), pa.array(["甲", None])])
    >>> held == found, held[1], held.arrow("name") is not None, list(held[1:])
    (True, {'uscc': 'B', 'name': None}, True, [{'uscc': 'B', 'name': None}])
    """

    def __init__(self, columns: Sequence[str], cells: Cells | None = None, arrays: Sequence[Any] | None = None) -> None:
        self.columns = tuple(columns)
        self._index = {c: i for i, c in enumerate(self.columns)}
        self._arrays = list(arrays) if arrays is not None else None
        self._lists: list[list[str | None] | None] = list(cells) if cells is not None else [None] * len(self.columns)
        self._length = (len(cells[0]) if cells else 0) if cells is not None else \
            (len(self._arrays[0]) if self._arrays else 0)

    @property
    def cells(self) -> Cells:
        """Every column as a list."""
        return [self.column(name) for name in self.columns]

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, at: int) -> rows.Row: ...

    @overload
    def __getitem__(self, at: slice) -> Rows: ...

    def __getitem__(self, at: int | slice) -> rows.Row | Rows:
        if isinstance(at, slice):
            return self.take(range(len(self))[at])
        return dict(zip(self.columns, [self._value(j, at) for j in range(len(self.columns))], strict=True))

    def _value(self, j: int, at: int) -> str | None:
        held = self._lists[j]
        if held is not None:
            return held[at]
        assert self._arrays is not None
        value: str | None = self._arrays[j][at].as_py()
        return value

    def __iter__(self) -> Iterator[rows.Row]:
        return map(dict, map(zip, repeat(self.columns), zip(*self.cells, strict=True)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # as a list's

    def column(self, name: str) -> list[str | None]:
        """The values of column ``name``, one a row (the list held: not to be changed)."""
        j = self._index[name]
        held = self._lists[j]
        if held is None:
            assert self._arrays is not None
            held = self._lists[j] = self._arrays[j].to_pylist()
        return held

    def arrow(self, name: str) -> Any:
        """Column ``name`` as the pyarrow text array it was read as (``None`` when held as a list)."""
        return self._arrays[self._index[name]] if self._arrays is not None else None

    def take(self, indices: Sequence[int]) -> Rows:
        """The rows at ``indices``, in their order."""
        if self._arrays is not None:
            import pyarrow as pa

            chosen = pa.array(indices, pa.int64())
            return Rows(self.columns, arrays=[a.take(chosen) for a in self._arrays])
        return Rows(self.columns, [list(map(column.__getitem__, indices)) for column in self.cells])


def read(fmt: str, kind: str, columns: Sequence[str], data: bytes, encoding: str = "utf-8") -> list[rows.Row]:
    """The rows :func:`rows.read` gives, faster."""
    return list(read_cells(fmt, kind, columns, data, encoding)[0])


def read_cells(fmt: str, kind: str, columns: Sequence[str], data: bytes,
               encoding: str = "utf-8") -> tuple[Sequence[rows.Row], Cells | None]:
    """The rows :func:`rows.read` gives, and (when the fast path read them so) their values column by
    column for :func:`check_organizations` and :func:`check_credit`; ``exchange.malformed`` as
    :func:`rows.read` says it."""
    taken: tuple[Sequence[rows.Row], Cells | None] | None = None
    if not columns or len(set(columns)) != len(columns):
        pass  # no columns, or one twice: as rows.read reads them
    elif fmt == "jsonl":
        taken = _jsonl(columns, data)
    elif fmt == "parquet":
        taken = _parquet(columns, data)
    elif fmt == "csv":
        taken = _csv(columns, data, encoding)
    if taken is None:
        return rows.read(fmt, kind, columns, data, encoding), None
    found, cells = taken
    if cells is None and kind != "organizations" and isinstance(found, Rows):
        cells = found.cells  # credit rows are checked as lists; organizations column by column, as arrays
    return found, cells


def _jsonl(columns: Sequence[str], data: bytes) -> tuple[Rows, Cells | None] | None:
    """JSON Lines by pyarrow's parser, where it reads exactly what :func:`rows.read` reads; else ``None``."""
    import pyarrow as pa
    import pyarrow.json as pj

    # looked at as bytes (C's memchr, where the decoded text took a step a character): UTF-8 is checked by
    # pyarrow, the parser outside the strings and each value in them (_table_rows), and in valid UTF-8 a
    # character's bytes are found only where the character stands
    lines = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    # each line one object alone — "{" first, "}" last (so no empty line, no byte order mark) — no line
    # break but \n, and no null (which pyarrow reads as absent and rows.read refuses): then as many rows
    # as lines is a row per line
    if not data or not data.startswith(b"{") or not (data.endswith(b"}\n") or data.endswith(b"}")) \
            or data.count(b"}\n{") != lines - 1 or b"null" in data or any(c in data for c in _OTHER_BREAKS_UTF8):
        return None
    schema = pa.schema([(c, pa.string()) for c in columns])
    try:
        table = pj.read_json(io.BytesIO(data), parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="error", newlines_in_values=False))
    except (pa.ArrowException, OSError):
        return None  # a value that is not text, a column twice or unknown, not JSON: rows.read says which
    if table.num_rows != lines:
        return None
    return _table_rows(columns, [table.column(c) for c in columns])


def _parquet(columns: Sequence[str], data: bytes) -> tuple[Rows, Cells | None] | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        return None
    if tuple(table.column_names) != tuple(columns) or not all(
            pa.types.is_string(t) or pa.types.is_large_string(t) for t in table.schema.types):
        return None
    return _table_rows(columns, [table.column(i) for i in range(len(columns))])


def _table_rows(columns: Sequence[str], arrays: Sequence[Any]) -> tuple[Rows, Cells | None] | None:
    """The rows of pyarrow text columns, an empty value read as absent (as :func:`rows.read` reads it),
    held as arrays (each made one, of ``string``, and checked to be UTF-8 text); ``None`` when one is not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    held = []
    for array in arrays:
        array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        if not pa.types.is_string(array.type):
            array = array.cast(pa.string())
        try:
            array.validate(full=True)  # UTF-8, as Python would decode it
        except pa.ArrowInvalid:
            return None
        empty = pc.equal(array, "")
        if pc.any(empty).as_py():
            array = pc.if_else(empty, pa.scalar(None, array.type), array)
        held.append(array)
    return Rows(columns, arrays=held), None


def _csv(columns: Sequence[str], data: bytes, encoding: str) -> tuple[list[rows.Row], Cells | None] | None:
    try:
        lines = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return None
    if not lines or tuple(lines[0]) != tuple(columns) or any(len(cells) != len(columns) for cells in lines):
        return None
    return [dict(zip(columns, [v or None for v in cells], strict=True)) for cells in lines[1:]], None


def check_organizations(found: Sequence[rows.Row], columns: Sequence[str],
                        cells: Cells | None = None) -> list[dict[str, Any]]:
    """The problems :func:`rows.check_organizations` finds, column by column; ``cells``: the rows' values
    column by column, as :func:`read_cells` gives them (taken from the rows when not given)."""
    problems = rows.column_problems(columns)
    if problems:
        return problems
    arrays: dict[str, Any] = {}
    if cells is None and isinstance(found, Rows):
        arrays = {c: found.arrow(c) for c in columns if found.arrow(c) is not None}
        cells = [found.column(c) if c == "uscc" or c not in arrays else [] for c in columns]
    if cells is None:
        cells = [list(map(dict.get, found, repeat(c))) for c in columns]
    by_name = dict(zip(columns, cells, strict=True))
    codes = [c or "" for c in by_name["uscc"]]
    flagged: set[int] = set(map(int, (~uscc.is_valid_many(codes)).nonzero()[0])) if codes else set()
    # a valid code of 18 ASCII characters, none lower case, is in its compact form: the others are looked at
    flagged.update(i for i, code in enumerate(codes) if len(code) != 18 or not code.isascii() or code != code.upper())
    first: dict[str, int] = {}
    if len(set(codes)) != len(codes):
        first = dict(zip(reversed(codes), range(len(codes) - 1, -1, -1), strict=True))  # the first row of each
        flagged.update(i for i, code in enumerate(codes) if first[code] != i)
    rules = rows.organization_rules(columns)
    for rule in rules:
        if rule.name in arrays:
            flagged.update(_misfits_arrow(rule, arrays[rule.name]))
            continue
        bad = _misfits(rule, by_name[rule.name])
        if bad:
            flagged.update(i for i, value in enumerate(by_name[rule.name]) if value in bad)
    for i in sorted(flagged):
        if not first:
            first = dict(zip(reversed(codes), range(len(codes) - 1, -1, -1), strict=True))
        problems += rows.organization_problems(i + 1, found[i], rules, first[codes[i]] < i)
    return problems


def _misfits(rule: rows.Rule, column: Sequence[str | None]) -> set[str]:
    """The values of a column that do not fit its rule — none, mostly, which is found at C speed: the
    lengths of free text, else the distinct values (a few for codes from a list; many for dates, each
    matched once)."""
    bad: set[str] = {""} if "" in column and not rule.fits("") else set()
    element, limits, compiled = rule.element, rule.limits, rule.compiled
    if compiled is None and not element.values and limits is not None:
        lengths = set(map(len, filter(None, column)))
        if lengths and not (limits[0] <= min(lengths) and max(lengths) <= limits[1]):
            bad.update(v for v in filter(None, column) if not rule.fits(v))
        return bad
    distinct = set(filter(None, column))
    if len(distinct) <= _FEW or element.values:
        bad.update(v for v in distinct if not rule.fits(v))
        return bad
    lengths = set(map(len, distinct))
    if (limits is not None and not (limits[0] <= min(lengths) and max(lengths) <= limits[1])) \
            or (compiled is not None and not all(map(compiled.fullmatch, distinct))):
        bad.update(v for v in distinct if not rule.fits(v))
    return bad


def _misfits_arrow(rule: rows.Rule, array: Any) -> list[int]:
    """The rows of a pyarrow text column whose values do not fit its rule, as :func:`_misfits` finds them —
    the lengths and the distinct values reckoned by pyarrow, only the distinct values (or, when the lengths
    are out of bounds, the column) made Python text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    element, limits, compiled = rule.element, rule.limits, rule.compiled
    present = array.drop_null()
    if not len(present):
        return []
    if compiled is None and not element.values and limits is not None:
        lengths = pc.min_max(pc.utf8_length(present)).as_py()
        if limits[0] <= lengths["min"] and lengths["max"] <= limits[1]:
            return []
        bad = {v for v in set(present.to_pylist()) if not rule.fits(v)}
    else:
        distinct = pc.unique(present)
        if len(distinct) <= _FEW or element.values:
            bad = {v for v in distinct.to_pylist() if not rule.fits(v)}
        else:
            lengths = pc.min_max(pc.utf8_length(distinct)).as_py()
            texts = distinct.to_pylist()
            if (limits is not None and not (limits[0] <= lengths["min"] and lengths["max"] <= limits[1])) \
                    or (compiled is not None and not all(map(compiled.fullmatch, texts))):
                bad = {v for v in texts if not rule.fits(v)}
            else:
                return []
    if not bad:
        return []
    found: list[int] = pc.indices_nonzero(pc.is_in(array, value_set=pa.array(sorted(bad), pa.string()))).to_pylist()
    return found


class _Earlier:
    """The keys of the rows before row ``at``, asked of the first row of each key."""

    def __init__(self, first: dict[tuple[str | None, str | None], int], at: int) -> None:
        self.first, self.at = first, at

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.first.get(key, self.at) < self.at


def check_credit(found: Sequence[rows.Row], columns: Sequence[str] = rows.CREDIT_COLUMNS,
                 cells: Cells | None = None) -> list[dict[str, Any]]:
    """The problems :func:`rows.check_credit` finds, column by column; ``cells``: the rows' values in the
    order of ``columns``, as :func:`read_cells` gives them (taken from the rows when not given).
    Withdrawals and rows with a column missing go the row check's way."""
    by_name = dict(zip(columns, cells, strict=True)) if cells is not None else {}
    for name in rows.CREDIT_COLUMNS:
        if name not in by_name:
            by_name[name] = list(map(dict.get, found, repeat(name)))
    values = by_name["values"]
    withdrawals = {i for i, v in enumerate(values) if not v} if None in values or "" in values else set()
    incomplete = {i for i in withdrawals if any(found[i].get(c) for c in rows.CREDIT_COLUMNS if c not in rows.WITHDRAWAL)
                  or not all(found[i].get(c) for c in rows.WITHDRAWAL)}
    for name in rows.CREDIT_REQUIRED:
        column = by_name[name]
        if None in column or "" in column:
            incomplete.update(i for i, v in enumerate(column) if not v and i not in withdrawals)
    flagged = withdrawals | incomplete
    versions = by_name["version"]
    bad = {v for v in set(filter(None, versions)) if not (v.isascii() and v.isdigit() and int(v) >= 1)}
    for name in ("at", "received"):
        bad_times = _not_times(by_name[name])
        if bad_times:
            flagged.update(i for i, v in enumerate(by_name[name]) if v in bad_times)
    if bad:
        flagged.update(i for i, v in enumerate(versions) if v in bad)
    flagged.update(_not_objects_of_texts(values))
    flagged.update(i for i in range(len(found)) if i not in incomplete
                   and rows.field_problems(i + 1, found[i], i in withdrawals))
    keys: list[tuple[str | None, str | None] | None] = list(zip(by_name["id"], versions, strict=True))
    for i in incomplete:
        keys[i] = None  # not compared with others: the row check stops before
    first: dict[tuple[str | None, str | None], int] = {}
    if len(set(keys)) != len(keys):
        first = {k: i for k, i in zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True) if k is not None}
        flagged.update(i for i, k in enumerate(keys) if k is not None and first[k] != i)
    problems: list[dict[str, Any]] = []
    for i in sorted(flagged):
        problems += rows.credit_problems(i + 1, found[i], _Earlier(first, i))[0]
    return problems


def _not_times(column: Sequence[str | None]) -> set[str]:
    """The values of a column of times that are not ISO 8601 times (all parsed at once; each when one is not)."""
    distinct = set(filter(None, column))
    try:
        all(map(datetime.datetime.fromisoformat, map(str.replace, distinct, repeat("Z"), repeat("+00:00"))))
    except ValueError:
        return {v for v in distinct if not rows.is_time(v)}
    return set()


def _not_objects_of_texts(values: Sequence[str | None]) -> list[int]:
    """The rows whose values (where there are some) are not exactly one JSON object of texts — read by the
    scanner :func:`json.loads` reads with; the row check says why."""
    # typeshed types the context as the scanner class; the decoder is what the library passes
    scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
    texts = list(filter(None, values))
    try:  # all at once; a scan that fails ends the map early (StopIteration) or raises: then one by one
        scanned = list(map(scan, texts, repeat(0)))
    except (ValueError, RecursionError):
        scanned = []
    if len(scanned) == len(texts) and list(map(itemgetter(1), scanned)) == list(map(len, texts)):
        objects = list(map(itemgetter(0), scanned))
        if set(map(type, objects)) <= {dict} and set(map(type, chain.from_iterable(map(dict.values, objects)))) <= {str}:
            return []
    flagged: list[int] = []
    found: list[tuple[int, dict[str, Any]]] = []
    for i, text in enumerate(values):
        if text:
            try:
                obj, end = scan(text, 0)
            except (StopIteration, ValueError, RecursionError):
                flagged.append(i)
                continue
            if end != len(text) or type(obj) is not dict:
                flagged.append(i)
            else:
                found.append((i, obj))
    flagged += [i for i, obj in found if not all(type(v) is str for v in obj.values())]
    return flagged
