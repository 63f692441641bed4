"""The fast path of credit record checks on Arrow columns: :func:`records_bulk.check_columns`'s outcome for
every row of a chunk, with no Python step for a cell of a row that has nothing to say. Pure.

Free text is judged for a column at once (one printable test and one digit count over its text, its
lengths by pyarrow); unified social credit codes of 18 ASCII characters by
:mod:`~jjjcredit.core.codes.uscc_bulk` on the column's bytes; every other kind (dates, amounts, value
lists) each distinct value once, by records_bulk's own judges; the rules between fields as masks. The
rows with nothing to say are :class:`Clean` — Arrow arrays, their stored values (JSON) written by pyarrow
— and every other row goes through :func:`row_checks.check_row`, which says why. Where a column is not
plain (spaces to strip, a cell too long, an unprintable character), that column is judged as
records_bulk judges it, a cell at a time; a layout naming one field twice is checked by records_bulk
whole. tests/core/credit/test_records_arrow.py holds the outcome equal to ``check_row``'s on random rows.

>>> import datetime
>>> from jjjcredit.core.credit import catalogue
>>> layout = layouts.bind(catalogue.default_item("JJJ-03-001"), list(records.SAMPLE_PENALTY), "x.csv")
>>> bad = dict(records.SAMPLE_PENALTY, 处罚决定日期="2026-02-30")
>>> columns = [list(c) for c in zip(records.SAMPLE_PENALTY.values(), bad.values(), strict=True)]
>>> clean, others = check_columns(layout, columns, 2, 2, datetime.date(2026, 6, 1))
>>> clean.at.tolist(), [p.code for p in others[1].problems]
([0], ['record.date'])
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jjjcredit.core.codes import personal, uscc, uscc_bulk
from jjjcredit.core.credit import columns, layouts, records, records_bulk, row_checks
from jjjcredit.core.errors import Verdict

_BAD = records_bulk._BAD
_STRING = pa.string()
Mask = npt.NDArray[np.bool_]


@dataclass
class Clean:
    """A chunk's rows with nothing to say, as :class:`records_bulk.Clean` holds them but in Arrow arrays: row
    ``at[k]`` of the chunk has document number ``keys[k]``, its subject type, name and code, severity, ISO
    dates, and its values as stored (``texts[k]``). :meth:`record` makes the :class:`records.Record` of one."""

    first_row: int
    elements: tuple[str, ...]
    judged: list[pa.Array]  #: the chunk's cells as judged, a column an element (null: empty or refused)
    at: npt.NDArray[np.int64]
    keys: pa.Array
    subject_types: pa.Array
    names: pa.Array
    codes: pa.Array
    severities: pa.Array
    decided: pa.Array
    until: pa.Array
    texts: pa.Array

    def __len__(self) -> int:
        return len(self.at)

    def record(self, k: int) -> records.Record:
        i = int(self.at[k])
        values = {e: v for e, c in zip(self.elements, self.judged, strict=False) if (v := c[i].as_py()) is not None}
        decided, until = self.decided[k].as_py(), self.until[k].as_py()
        return records.Record(self.first_row + i, self.keys[k].as_py(), self.subject_types[k].as_py(),
                              self.names[k].as_py(), self.codes[k].as_py(), None, self.severities[k].as_py(),
                              None if decided is None else datetime.date.fromisoformat(decided),
                              None if until is None else datetime.date.fromisoformat(until), values, {},
                              self.texts[k].as_py())

    def lists(self) -> records_bulk.Clean:
        """The same rows as records_bulk holds them (Python lists), for a writer that takes them a row at a time."""
        return records_bulk.Clean(self.first_row, self.elements, [c.to_pylist() for c in self.judged],
                                  self.at.tolist(), *(a.to_pylist() for a in (
                                      self.keys, self.subject_types, self.names, self.codes, self.severities,
                                      self.decided, self.until, self.texts)))

    @classmethod
    def of_bulk(cls, clean: records_bulk.Clean) -> Clean:
        """records_bulk's clean columns as Arrow arrays."""
        return cls(clean.first_row, clean.elements, [pa.array(c, _STRING) for c in clean.judged],
                   np.array(clean.at, dtype=np.int64), *(pa.array(v, _STRING) for v in (
                       clean.keys, clean.subject_types, clean.names, clean.codes, clean.severities, clean.decided,
                       clean.until, clean.texts)))


def check_columns(layout: layouts.Layout, cells: Sequence[Sequence[str] | pa.Array], first_row: int, size: int,
                  today: datetime.date) -> tuple[Clean, dict[int, records.Checked]]:
    """Every row of a chunk (``cells[j][i]``: column ``j`` of the file, row ``first_row + i``; a column a list
    of cells or an Arrow array of them), checked as :func:`row_checks.check_row` would check it: the rows with
    nothing to say as :class:`Clean`, every other row (by its index in the chunk) as ``check_row`` says."""
    item = layout.item
    plan = sorted(layout.plan, key=lambda p: p[0].field.element)  # values in one order, whatever the file's
    elements = tuple(p[0].field.element for p in plan)
    if len(set(elements)) != len(elements) or not size:
        lists = [c.to_pylist() if isinstance(c, pa.Array) else c for c in cells]
        bulk, slow = records_bulk.check_columns(layout, lists, first_row, size, today)
        return Clean.of_bulk(bulk), slow
    bad = np.zeros(size, dtype=np.bool_)
    judged: list[pa.Array] = []
    for b, index, _kind, limit, _role in plan:
        column = cells[index] if index < len(cells) else [""] * size
        values, refused = _judged(b, column, limit, item.severities, today)
        judged.append(values)
        bad |= refused
    judged.append(pa.nulls(size, _STRING))  # the slot of a role the file has no column for (index -1)
    shape = records_bulk._Shape(layout, [p[0] for p in plan])
    found = _fields(shape, judged, bad)
    others: dict[int, records.Checked] = {}
    at = np.flatnonzero(bad)
    for i, row in zip(at.tolist(), _rows(cells, at, layout.width), strict=True):
        others[i] = row_checks.check_row(layout, row, first_row + i, today)
    keep = pa.array(~bad)
    kept = [pc.filter(c, keep) for c in judged[:-1]]
    texts = _texts(elements, kept, [p[2] == "text" for p in plan])
    return Clean(first_row, elements, judged, np.flatnonzero(~bad), texts=texts,
                 **{name: pc.filter(v, keep) for name, v in found.items()}), others


def _rows(cells: Sequence[Sequence[str] | pa.Array], at: npt.NDArray[np.int64], width: int) -> list[list[str]]:
    """The cells of rows ``at`` (``width`` of them a row: "" past the file's columns), an Arrow column's taken
    at once."""
    picked: list[list[str]] = []
    for j in range(width):
        column = cells[j] if j < len(cells) else None
        if isinstance(column, pa.Array):
            picked.append(column.take(pa.array(at)).to_pylist())
        else:
            picked.append([column[i] for i in at.tolist()] if column is not None else [""] * len(at))
    return [list(row) for row in zip(*picked, strict=True)] if picked else [[] for _ in at]


def _judged(b: layouts.Bound, column: Sequence[str] | pa.Array, limit: int | None, severities: tuple[str, ...],
            today: datetime.date) -> tuple[pa.Array, Mask]:
    """A column's cells judged: each as stored (null when empty, or refused), and which are refused."""
    kind = b.column.kind
    empty: Any = _BAD if b.field.required else None
    try:
        array = column if isinstance(column, pa.Array) else pa.array(column, _STRING)
    except UnicodeEncodeError:  # a lone surrogate, which no stored text holds: judged a cell at a time (refused)
        array = None
    if array is not None and kind == "text":
        found = _texts_plain(array, limit, b.field.required)
        if found is not None:
            return found
    elif array is not None and kind == "uscc" and b.column.max_length != 20:
        return _codes(array, empty)
    elif array is not None:
        encoded = pc.dictionary_encode(array)
        judge = records_bulk._judge(b, limit, severities, today)
        distinct = [judge(v) if (v := d.strip()) else empty for d in encoded.dictionary.to_pylist()]
        return _taken(distinct, encoded.indices)
    values, printable = records_bulk._stripped(column.to_pylist() if isinstance(column, pa.Array) else column)
    return _marked(records_bulk._judged(b, values, limit, severities, today, printable))


def _marked(values: Sequence[Any]) -> tuple[pa.Array, Mask]:
    refused = np.fromiter((v is _BAD for v in values), dtype=np.bool_, count=len(values))
    return pa.array([None if v is _BAD else v for v in values], _STRING), refused


def _taken(distinct: Sequence[Any], indices: pa.Array) -> tuple[pa.Array, Mask]:
    """Judged distinct values spread back over a column by their indices."""
    values, refused = _marked(distinct)
    at = pc.fill_null(indices, 0).to_numpy(zero_copy_only=False)
    return values.take(indices), refused[at] if len(refused) else np.zeros(len(at), dtype=np.bool_)


def _text_of(array: pa.Array) -> bytes:
    """A string array's cells joined (UTF-8)."""
    _validity, offsets, data = array.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32)[array.offset:array.offset + len(array) + 1]
    return b"" if data is None or not len(ends) else bytes(memoryview(data)[int(ends[0]):int(ends[-1])])


def _texts_plain(array: pa.Array, limit: int | None, required: bool) -> tuple[pa.Array, Mask] | None:
    """Free text judged for the column at once, as records_bulk judges it — when it is plain: no space (so
    nothing to strip: every other character ``str.strip`` removes is unprintable), printable, no cell longer
    than ``limit``; ``None`` otherwise. Only a cell with eleven digits or more is searched for a personal
    number (:func:`personal.number_run_cells`)."""
    raw = _text_of(array)
    joined = raw.decode("utf-8")
    if " " in joined or not joined.isprintable():
        return None
    lengths = pc.utf8_length(array).to_numpy(zero_copy_only=False)
    if limit is not None and len(lengths) and int(lengths.max()) > limit:
        return None
    empty = lengths == 0
    refused = empty.copy() if required else np.zeros(len(lengths), dtype=np.bool_)
    for i in personal.number_run_cells_of(joined, lengths):
        if personal.personal_in(array[i].as_py()):
            refused[i] = True
    if empty.any():
        array = pc.if_else(pa.array(empty), pa.scalar(None, _STRING), array)
    return array, refused


def _codes(array: pa.Array, empty: Any) -> tuple[pa.Array, Mask]:
    """Unified social credit codes: those of 18 ASCII characters judged on the column's bytes at once
    (uscc_bulk), a valid one as written kept as it is; every other cell as records_bulk judges a code."""
    n = len(array)
    lengths = pc.binary_length(array).to_numpy(zero_copy_only=False)
    plain = lengths == uscc.LENGTH
    good = np.zeros(n, dtype=np.bool_)
    if plain.any():
        rows = np.flatnonzero(plain)
        raw = _text_of(array.take(pa.array(rows)))
        verdicts, slow = uscc_bulk._fast_block(raw, len(rows))
        digits = np.frombuffer(raw, dtype=np.uint8).reshape(len(rows), uscc.LENGTH)[:, :17]
        shaped = ((digits >= 48) & (digits <= 57)).all(axis=1)  # all digits: perhaps an identity number
        good[rows] = (verdicts == Verdict.VALID) & ~slow & ~shaped
    if good.all():
        return array, np.zeros(n, dtype=np.bool_)
    rest = np.flatnonzero(~good)  # (empty cells, other lengths, codes to compact or refuse: each distinct once)
    encoded = pc.dictionary_encode(array.take(pa.array(rest)))
    found, refused = _marked(records_bulk._codes([v.strip() for v in encoded.dictionary.to_pylist()], empty))
    at = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
    bad = np.zeros(n, dtype=np.bool_)
    bad[rest] = refused[at]
    values = pc.replace_with_mask(array, pa.array(~good), found.take(encoded.indices))
    return values, bad


def _fields(shape: Any, c: list[pa.Array], bad: Mask) -> dict[str, pa.Array]:
    """The rules between fields (records_bulk's ``_Shape.fields``) for every row at once: ``bad`` gains each
    row that needs a word; returns each row's document number, subject type and name, code, severity and ISO
    dates decided on and valid until (meaningful where ``bad`` is false)."""
    item = shape.item
    n = len(bad)
    code = c[shape.i_code]
    if shape.rated:
        bad[:] = True
    bad |= _null(code)
    category = c[shape.i_category]
    by_code = pc.if_else(pc.fill_null(pc.starts_with(code, "92"), False), "individual_business", "organization")
    if category.null_count < n:
        encoded = pc.dictionary_encode(category)
        types = pa.array([columns.SUBJECT_CATEGORIES[v] for v in encoded.dictionary.to_pylist()], _STRING)
        subject_type = pc.if_else(pc.is_null(category), by_code, types.take(encoded.indices))
    else:
        subject_type = by_code
    bad |= ~_true(pc.is_in(subject_type, pa.array(list(item.subject_types), _STRING)))
    bad |= _true(pc.equal(subject_type, "natural_person"))
    organization = _true(pc.equal(subject_type, "organization"))
    for j in shape.reps:
        bad |= organization & _null(c[j])
    decided, until, start = c[shape.i_decided], c[shape.i_until], c[shape.i_start]
    bad |= _true(pc.less(until, decided)) | _true(pc.less(until, start))  # (null where either is empty)
    if shape.needed and c[shape.i_penalty].null_count < n:
        encoded = pc.dictionary_encode(c[shape.i_penalty])
        at = pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)
        named = [records_bulk._named_penalties(v) for v in encoded.dictionary.to_pylist()]
        given = ~_null(c[shape.i_penalty])
        for role, needed in shape.needed:
            wanted = np.array([bool(p & needed) for p in named], dtype=np.bool_)
            bad |= given & wanted[at] & _null(c[shape._index(role)])
    if shape.i_content >= 0:  # a fine in 元 read as 万元 (row_checks.fine_in_yuan): check_row says so
        fine, content = c[shape._index("fine")], c[shape.i_content]
        stated = pc.struct_field(pc.extract_regex(content, row_checks.FINE_IN_YUAN), "yuan")
        yuan = pc.cast(pc.replace_substring(stated, ",", ""), pa.float64())
        amount = pc.cast(fine, pa.float64())  # (amounts as stored: plain decimals)
        bad |= _true(pc.and_(pc.equal(yuan, amount), pc.not_equal(amount, 0)))
    severity = c[shape.i_severity]
    if item.kind == "negative" and severity.null_count:
        if shape.single_severity is None and item.severities:
            bad |= _null(severity)
        elif shape.single_severity is not None:
            severity = pc.fill_null(severity, shape.single_severity)
    if shape.i_stated >= 0:
        stated = c[shape.i_stated]
        for i in np.flatnonzero(~bad & ~_null(stated) & ~_null(decided)).tolist():
            bounds = shape._window(severity[i].as_py(), decided[i].as_py())
            if bounds is not None and not bounds[0] <= stated[i].as_py() <= bounds[1]:
                bad[i] = True  # an end of publication outside the period: check_row warns of it
    keys = [pc.fill_null(c[j], "") for j in shape.keys]
    key = keys[0] if len(keys) == 1 else pc.binary_join_element_wise(*keys, "/")
    return {"keys": key, "subject_types": subject_type, "names": pc.fill_null(c[shape.i_name], ""), "codes": code,
            "severities": severity, "decided": decided, "until": until}


def _null(array: pa.Array) -> Mask:
    return np.asarray(pc.is_null(array).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _true(array: pa.Array) -> Mask:
    """Where a boolean array is true (null: false)."""
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=np.bool_)


def _texts(elements: Sequence[str], values: Sequence[pa.Array], plain: Sequence[bool]) -> pa.Array:
    """Each row's values as :func:`records.values_json` writes them: for each element in order, ``"code":
    "value"`` where the row has a value (the value escaped as JSON; a column that holds a character JSON
    escapes other than a quote or a backslash — never plain text, ``plain`` — through the json module a cell
    at a time), nothing where it has none; joined by ``, `` (a null skipped), in braces."""
    n = len(values[0]) if values else 0
    pieces: list[pa.Array] = []
    for code, column, known in sorted(zip(elements, values, plain, strict=True)):
        if column.null_count == n:
            continue
        key = f'"{code}": ' if records_bulk._PLAIN_KEY.match(code) else records.json_text(code) + ": "
        raw = _text_of(column)  # (a null's bytes, if any, can only send the column the longer way)
        if not known and raw and int(np.frombuffer(raw, dtype=np.uint8).min()) < 0x20:
            piece = pa.array([None if v is None else key + records.json_text(v) for v in column.to_pylist()],
                             _STRING)
        else:
            if b'"' in raw or b"\\" in raw:
                column = pc.replace_substring(pc.replace_substring(column, "\\", "\\\\"), '"', '\\"')
            piece = pc.binary_join_element_wise(key + '"', column, '"', "")  # (null where the value is)
        pieces.append(piece)
    if not pieces:
        return pa.array(["{}"] * n, _STRING)
    if np.logical_and.reduce([_null(p) for p in pieces]).any():
        # (pyarrow 26 drops a row whose every piece is null from a join that skips nulls — the rows after it
        # would move up: such a chunk's rows are joined with the separators in the pieces, the first cut)
        led = [pc.fill_null(pc.binary_join_element_wise(", ", p, ""), "") for p in pieces]
        joined = led[0] if len(led) == 1 else pc.binary_join_element_wise(*led, "")
        return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 2), "}", "")
    joined = pc.binary_join_element_wise(*pieces, ", ", null_handling="skip")
    assert len(joined) == n, "a join that skips nulls keeps every row that has a value"
    return pc.binary_join_element_wise("{", joined, "}", "")
