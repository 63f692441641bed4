"""The vectorized path for unified social credit codes: a verdict per code for millions of codes.

Every code that is exactly 18 characters of the code alphabet (the overwhelming majority of any
register) is judged with numpy table look-ups; anything else — messy input that needs
:func:`uscc.compact`, values shaped like resident identity numbers, non-ASCII — goes through the
single-code path, so the answers are the same as :func:`uscc.verdict` by construction. A property
test holds the two paths equal.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from jjjcredit.core.codes import divisions, orgcode, uscc
from jjjcredit.core.codes.departments import DEPARTMENTS
from jjjcredit.core.codes.normalize import removed_characters as strip_chars
from jjjcredit.core.errors import Verdict

_INVALID_VALUE = 255
_ASCII_REMOVED = "".join(c for c in strip_chars() if c.isascii())


def _translation(mapping: dict[str, int], default: int) -> bytes:
    table = bytearray([default] * 256)
    for c, v in mapping.items():
        table[ord(c)] = v
    return bytes(table)


@functools.cache
def _tables() -> dict[str, object]:
    dept_cat = np.zeros(256 * 256, dtype=bool)
    for d in DEPARTMENTS.values():
        for c in d.categories:
            dept_cat[ord(d.code) * 256 + ord(c)] = True
    region = np.full(1_000_000, uscc.RegionStatus.NO_PROVINCE, dtype=np.int8)
    for prefix in divisions.provinces():
        start = int(prefix) * 10_000
        region[start:start + 10_000] = uscc.RegionStatus.UNKNOWN
    for code in divisions.codes():
        if code.isdigit() and len(code) == 6:
            region[int(code)] = uscc.region_status(code)
    return {
        # bytes.translate tables: the value of each character, or 255 outside the alphabet.
        "value": _translation(uscc.VALUES, _INVALID_VALUE),
        "org_value": _translation({c: i for i, c in enumerate(orgcode.BODY_ALPHABET)}, 0),
        "digit": _translation({str(d): 1 for d in range(10)}, 0),
        # Bytes that compact() would change: lower case, the separators and quotes it removes,
        # and "?" (the stand-in for any non-ASCII character). Rows with one go to the single path.
        "changes": _translation({c: 1 for c in string.ascii_lowercase + _ASCII_REMOVED + "?"}, 0),
        "dept_cat": dept_cat,
        "region": region,
    }


def _weighted(rows: npt.NDArray[np.uint8], weights: Sequence[int]) -> npt.NDArray[np.int32]:
    total = np.zeros(rows.shape[1], dtype=np.int32)
    for row, weight in zip(rows, weights, strict=True):
        total += row.astype(np.int32) * weight
    return total


def _fast_block(raw: bytes, n: int) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Verdicts for ``n`` 18-byte codes laid end to end, and a mask of rows needing the slow path.

    The bytes are transposed once so that every step works on contiguous columns (one row per
    position), and character values come from ``bytes.translate``, which is far faster than
    fancy indexing.
    """
    t = _tables()
    columns = np.ascontiguousarray(np.frombuffer(raw, dtype=np.uint8).reshape(n, uscc.LENGTH).T)
    flat = columns.tobytes()

    def translated(table: object) -> npt.NDArray[np.uint8]:
        assert isinstance(table, bytes)
        return np.frombuffer(flat.translate(table), dtype=np.uint8).reshape(uscc.LENGTH, n)

    vals = translated(t["value"])
    digit = translated(t["digit"])
    # Anything outside the alphabet (lower case, separators, non-ASCII), values shaped like
    # resident identity numbers, and possible pilot anomalies go to the single path.
    # Values that compact() would change and values shaped like resident identity numbers are
    # judged by the single path; anything else outside the alphabet is plainly invalid.
    slow = translated(t["changes"]).max(axis=0) == 1
    bad_alphabet = (vals.max(axis=0) == _INVALID_VALUE) | (digit[2:8].min(axis=0) == 0)
    slow |= _identity_number_shaped(columns, digit)

    dept_cat = t["dept_cat"]
    region_table = t["region"]
    assert isinstance(dept_cat, np.ndarray) and isinstance(region_table, np.ndarray)
    cat_ok = dept_cat[columns[0].astype(np.int32) * 256 + columns[1]]
    region_code = _weighted(digit[2:8] * (columns[2:8] - 48), (100_000, 10_000, 1_000, 100, 10, 1))
    region = region_table[region_code]
    org_check = 11 - _weighted(translated(t["org_value"])[8:16], orgcode.WEIGHTS) % 11
    expected = np.where(org_check == 10, ord("X"), np.where(org_check == 11, ord("0"),
                                                             48 + org_check))
    org_ok = columns[16] == expected
    mod_ok = vals[17] == (31 - _weighted(vals[:17], uscc.WEIGHTS) % 31) % 31
    slow |= ~mod_ok & ~bad_alphabet & _pilot_range(columns)

    invalid = bad_alphabet | ~(cat_ok & org_ok & mod_ok)
    warn = region != uscc.RegionStatus.OK
    out = np.where(invalid, Verdict.INVALID, np.where(warn, Verdict.WARNING, Verdict.VALID))
    return out.astype(np.int8), slow


_RIC_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))


def _identity_number_shaped(columns: npt.NDArray[np.uint8], digit: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Rows that could be resident identity numbers: 17 digits and a digit or X, a plausible
    birth date in positions 7-14, and the GB 11643 check character. The single path decides
    whether they earn the warning."""
    shaped: npt.NDArray[np.bool_] = (digit[:17].min(axis=0) == 1) & ((digit[17] == 1) | (columns[17] == ord("X")))
    rows = np.flatnonzero(shaped)
    if len(rows) == 0:
        return shaped
    sub = columns[:, rows].astype(np.int32) - 48
    year = sub[6] * 1000 + sub[7] * 100 + sub[8] * 10 + sub[9]
    month = sub[10] * 10 + sub[11]
    day = sub[12] * 10 + sub[13]
    plausible = (year >= 1800) & (year <= 2099) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    remainder = (sub[:17] * np.array(_RIC_WEIGHTS, dtype=np.int32)[:, None]).sum(axis=0) % 11
    expected = np.frombuffer(b"10X98765432", dtype=np.uint8)[remainder]
    shaped[rows] = plausible & (columns[17, rows] == expected)
    return shaped


def _pilot_range(columns: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    pilot = np.zeros(columns.shape[1], dtype=bool)
    for region_prefix, org_prefix in uscc.PILOT_RANGES:
        match = np.ones(columns.shape[1], dtype=bool)
        for i, ch in enumerate(region_prefix):
            match &= columns[2 + i] == ord(ch)
        for i, ch in enumerate(org_prefix):
            match &= columns[8 + i] == ord(ch)
        pilot |= match
    return pilot


@dataclass(frozen=True)
class Judged:
    """Verdicts for many codes, and which values were judged exactly as given (already compact)."""

    verdicts: npt.NDArray[np.int8]
    as_given: npt.NDArray[np.bool_]


def judge_many(codes: Sequence[str]) -> Judged:
    """One :class:`Verdict` value per code, in order, and the as-given mask."""
    n = len(codes)
    out = np.full(n, Verdict.INVALID, dtype=np.int8)
    as_given = np.zeros(n, dtype=bool)
    if n == 0:
        return Judged(out, as_given)
    lengths = np.fromiter(map(len, codes), dtype=np.int64, count=n)
    fast_rows = np.flatnonzero(lengths == uscc.LENGTH)
    if len(fast_rows) == n:
        joined = "".join(codes)
    else:
        joined = "".join(map(codes.__getitem__, fast_rows.tolist()))
    if len(fast_rows):
        # Non-ASCII characters become "?" (one byte each), which sends their rows to the slow path.
        verdicts, slow = _fast_block(joined.encode("ascii", "replace"), len(fast_rows))
        out[fast_rows] = verdicts
        as_given[fast_rows] = ~slow
        slow_rows = fast_rows[slow]
    else:
        slow_rows = fast_rows
    other = np.ones(n, dtype=bool)
    other[fast_rows] = False
    for i in np.concatenate([np.flatnonzero(other), slow_rows]).tolist():
        out[i] = uscc.verdict(codes[i])
    return Judged(out, as_given)


def verdict_many(codes: Sequence[str]) -> npt.NDArray[np.int8]:
    """One :class:`Verdict` value per code, in order."""
    return judge_many(codes).verdicts
