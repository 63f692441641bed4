"""Where each code was first seen in a file, in about 22 bytes a code.

The records checker must say of a repeated code "also in row N" for files of tens of millions of
rows. A Python dict of code → row costs ~130 bytes a code (2.2 GB at the JJJ library's 17 million);
here codes of up to 18 ASCII characters live in sorted NumPy arrays of fixed-width bytes with their
rows (int32), in a few levels merged like a binary counter (a new level per batch; two levels of
similar size are merged), so memory grows by ~22 bytes a code and a batch costs a few vectorized
searches. Anything else (longer or non-ASCII values: invalid codes) goes to a small dict. (Fixed-width
bytes drop trailing NUL characters: "A" and "A\\0" count as one code; neither is a valid code.)

>>> seen = FirstSeen()
>>> seen.add(["A", "B", "A", None], first_row=2)
[2, 3, 2, None]
>>> seen.add(["B", "C"], first_row=6)
[3, 7]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

WIDTH = 18


class FirstSeen:
    """Code → the first row it was seen in, across batches."""

    def __init__(self) -> None:
        self._levels: list[tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]] = []
        self._others: dict[str, int] = {}

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._levels) + len(self._others)

    @property
    def nbytes(self) -> int:
        return sum(keys.nbytes + rows.nbytes for keys, rows in self._levels)

    def add(self, codes: Sequence[str | None], first_row: int) -> list[int | None]:
        """Remember the codes of one batch (row ``first_row`` onwards); for each, the row it was first
        seen in — its own row when it is new, None for None."""
        if codes and None not in codes and max(map(len, codes)) <= WIDTH:  # type: ignore[arg-type]
            try:  # the usual batch: every value a code-sized ASCII string, in one conversion
                keys = np.array(codes, dtype=f"S{WIDTH}")
            except UnicodeEncodeError:
                pass
            else:
                rows = np.arange(first_row, first_row + len(codes), dtype=np.int32)
                return self._fixed(keys, rows).tolist()  # type: ignore[no-any-return]
        result: list[int | None] = [None] * len(codes)
        fixed: list[int] = []
        for i, code in enumerate(codes):
            if code is None:
                continue
            if len(code) <= WIDTH and code.isascii():
                fixed.append(i)
            else:
                result[i] = self._others.setdefault(code, first_row + i)
        if fixed:
            index = np.asarray(fixed, dtype=np.int64)
            keys = np.array([codes[i] for i in fixed], dtype=f"S{WIDTH}")
            rows = (index + first_row).astype(np.int32)
            firsts = self._fixed(keys, rows)
            for i, row in zip(fixed, firsts.tolist(), strict=True):
                result[i] = row
        return result

    def _fixed(self, keys: npt.NDArray[np.bytes_], rows: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]:
        order = np.argsort(keys, kind="stable")
        sorted_keys, sorted_rows = keys[order], rows[order]
        # Within the batch: each run of equal keys takes the row of its first (stable sort: earliest).
        starts = np.ones(len(sorted_keys), dtype=bool)
        starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
        run_first = sorted_rows[np.maximum.accumulate(np.where(starts, np.arange(len(starts)), 0))]
        firsts = np.empty_like(rows)
        firsts[order] = run_first
        # Against earlier batches: a code seen before takes that row. Searched in sorted order (numpy
        # then walks each level forward instead of jumping about).
        new = np.ones(len(keys), dtype=bool)
        for level_keys, level_rows in self._levels:
            at = np.searchsorted(level_keys, sorted_keys)
            inside = at < len(level_keys)
            hit = np.zeros(len(keys), dtype=bool)
            hit[inside] = level_keys[at[inside]] == sorted_keys[inside]
            firsts[order[hit]] = level_rows[at[hit]]
            new &= ~hit
        fresh = starts & new
        self._push(sorted_keys[fresh], sorted_rows[fresh])
        return firsts

    def _push(self, keys: npt.NDArray[np.bytes_], rows: npt.NDArray[np.int32]) -> None:
        if not len(keys):
            return
        self._levels.append((keys, rows))
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= 2 * len(self._levels[-1][0]):
            (k2, r2), (k1, r1) = self._levels.pop(), self._levels.pop()
            self._levels.append(_merge(k1, r1, k2, r2))


def _merge(k1: npt.NDArray[np.bytes_], r1: npt.NDArray[np.int32], k2: npt.NDArray[np.bytes_],
           r2: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]:
    """Two sorted levels (no key in both) as one, each element placed where it goes: besides the two
    levels and the result, only one level's positions are held at a time (a concatenation sorted
    again held two more copies and an int64 order: the last merge of millions of codes was the
    biggest moment of an ingest's reader)."""
    keys = np.empty(len(k1) + len(k2), dtype=k1.dtype)
    rows = np.empty(len(keys), dtype=np.int32)
    for mine, their, mine_rows in ((k1, k2, r1), (k2, k1, r2)):
        at = np.searchsorted(their, mine)
        at += np.arange(len(mine))
        keys[at] = mine
        rows[at] = mine_rows
        del at
    return keys, rows
