"""A chunk's rows with nothing to say (core/credit/records_arrow.py) written as one block: their new records
made as Arrow arrays in the order of ``credit_records``' columns — ids, deadlines, flags and fingerprints
a column at a time — and copied in by pyarrow's CSV (storage/bulk.copy_arrow), with no Python tuple a row.
A row of the block whose record is held already is written a row at a time by services/credit/records.py,
as is every row of a chunk whose block would name one record twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from jjjcredit.core.credit import records_arrow
from jjjcredit.core.errors import Severity
from jjjcredit.core.library.records import Problem

if TYPE_CHECKING:
    from jjjcredit.services.credit.records import Summary
    from jjjcredit.services.credit.timeliness import Tally

_STRING = pa.string()


@dataclass
class Block:
    """The clean rows of a chunk, each its own record (``ids``, in the rows' order); ``held[k]``: row ``k``'s
    record is held already (written a row at a time)."""

    clean: records_arrow.Clean
    ids: list[str]
    codes: list[str] = field(init=False)
    id_set: set[str] = field(init=False)
    held: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        self.codes = self.clean.codes.to_pylist()
        self.id_set = set(self.ids)
        self.held = np.zeros(len(self.ids), dtype=np.bool_)


def unknown_organization(row: int, code: str) -> Problem:
    """The warning of a record whose organization the basic resource library does not hold (yet)."""
    return Problem(row, "", "credit.unknown_organization", f"{code} is not in the basic resource library (yet): "
                   "the record is kept and flagged.", code, Severity.WARNING)


def fingerprints_of(texts: pa.Array, severities: pa.Array) -> list[str]:
    """core/credit/records.fingerprint_of of each record of no personal number, from its values as stored and its
    severity: each body joined by pyarrow and hashed from its bytes, no Python string a row.

    >>> from jjjcredit.core.credit import records as rules
    >>> text = '{"CF_WSH": "京罚〔2026〕1号"}'
    >>> fingerprints_of(pa.array([text, text]), pa.array(["general", None])) == [
    ...     rules.fingerprint_of(text, "general"), rules.fingerprint_of(text, None)]
    True
    """
    bodies = pc.binary_join_element_wise(texts, pc.fill_null(severities, ""), "\x1f")
    _validity, offsets, data = bodies.buffers()
    at = np.frombuffer(offsets, dtype=np.int32)[bodies.offset:bodies.offset + len(bodies) + 1].tolist()
    raw = memoryview(data if data is not None else b"")
    sha256 = hashlib.sha256
    return [sha256(raw[at[i]:at[i + 1]]).hexdigest()[:32] for i in range(len(bodies))]


def new_records(block: Block, known: set[str], summary: Summary, tally: Tally,
                due_of: Callable[[str | None], tuple[str | None, int]], undated: Callable[[str | None], bool],
                batch: tuple[str, str, str, Any]) -> list[pa.Array] | None:
    """The block's records not held already, as new records in ``credit_records``' column order (``batch``:
    item, provider, batch id, the time written), counted in ``summary`` and ``tally`` as the row at a time
    writer counts each: an organization not in the library (``known`` holds those that are) flagged and
    warned of, a deadline (``due_of``; ``undated`` says when the calendar cannot give it) and lateness."""
    keep = np.flatnonzero(~block.held)
    n = len(keep)
    if not n:
        return None
    clean = block.clean
    take = pa.array(keep)
    first = clean.first_row
    codes = clean.codes.take(take)
    keys = clean.keys.take(take)
    unknown = ~np.asarray(pc.is_in(codes, value_set=pa.array(list(known), _STRING)).to_numpy(zero_copy_only=False),
                          dtype=np.bool_)
    flagged = int(unknown.sum())
    if flagged:
        rows = (clean.at[keep][unknown] + first).tolist()
        shown_codes = codes.filter(pa.array(unknown)).to_pylist()
        for j, (row, code) in enumerate(zip(rows, shown_codes, strict=True)):
            if not summary.shows_more(row):
                summary.count("credit.unknown_organization", flagged - j)
                break
            summary.note(unknown_organization(row, code))
        summary.warnings += flagged
        summary.flagged += flagged
    decided = clean.decided.take(take)
    encoded = pc.dictionary_encode(decided)
    days: list[str | None] = [*encoded.dictionary.to_pylist(), None]
    at = pa.array(pc.fill_null(encoded.indices, len(days) - 1).to_numpy(zero_copy_only=False))
    dues = [due_of(day) for day in days]
    deadline = pa.array([d for d, _late in dues], _STRING).take(at)
    late = np.array([late for _d, late in dues], dtype=np.int64)[at.to_numpy()]
    summary.undated += int(np.array([d is None and undated(day) for (d, _l), day in zip(dues, days, strict=True)],
                                    dtype=np.int64)[at.to_numpy()].sum())
    lates = int(late.sum())
    if lates:
        summary.late += lates
        tally.add_late_many(keys.filter(pa.array(late.astype(np.bool_))).to_pylist())
    summary.created += n
    texts = clean.texts.take(take)
    severities = clean.severities.take(take)
    fingerprints = fingerprints_of(texts, severities)
    item, provider, batch_id, stamp = batch

    def same(value: Any, kind: pa.DataType = _STRING) -> pa.Array:
        return pa.nulls(n, kind) if value is None else pa.repeat(pa.scalar(value, kind), n)

    ids = pa.array(block.ids, _STRING).take(take)
    return [codes, ids, same(item), same(provider), keys, clean.subject_types.take(take), clean.names.take(take),
            codes, same("in_force"), same(1, pa.int64()), severities, decided, clean.until.take(take), deadline,
            pa.array(late), pa.array(unknown.astype(np.int64)), texts, same(None), pa.array(fingerprints, _STRING),
            same(batch_id), same(stamp), same(stamp), same(None), same(None), same("created")]
