"""Where each code was first seen in a file, in about 22 bytes a code.

The records checker must say of a repeated code "also in row N" for files of tens of millions of
rows. A Python dict of code → row costs ~130 bytes a code (2.2 GB at the JJJ library's 17 million);
here codes of up to 18 ASCII characters live in sorted NumPy arrays of fixed-width bytes with their
rows (int32), in a few levels merged like a binary counter (a new level per batch; two levels of
similar size are merged), so memory grows by ~22 bytes a code and a batch costs a few vectorized
searches. Anything else (longer or non-ASCII values: invalid codes) goes to a small dict. (Fixed-width
bytes drop trailing NUL characters: "A" and "A\\0" count as one code; neither is a valid code.)

Given somewhere to spill (``spill``: a factory of binary files, e.g. ``tempfile.TemporaryFile``), it
keeps at most ``keep`` codes in memory: beyond that, its oldest level goes to a file, and memory keeps
only what finds a code there: a Bloom filter (8 MiB for each 4 million codes spilled: all but ~1 in
2,000 new codes are known absent without reading a file) and every 256th code (a code the filter lets
through is looked up in one block of each file). So memory stays flat however long the file: ~22
bytes for each of ``keep`` codes, ~2 bytes for every other.

>>> seen = FirstSeen()
>>> seen.add(["A", "B", "A", None], first_row=2)
[2, 3, 2, None]
>>> seen.add(["B", "C"], first_row=6)
[3, 7]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

WIDTH = 18
#: Codes kept in memory by default when spilling (~23 MB).
KEEP = 1 << 20
#: Codes a level's file is read by, and every how many its fence holds one.
BLOCK = 256
#: A Bloom filter covers spilled levels of up to this many codes, in 2**26 bits (16 a code, 8 MiB);
#: with 8 probes all but ~1 in 2,000 absent codes are known absent.
FILTER_CODES = 1 << 22
FILTER_BITS = 1 << 26
PROBES = 8
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))

_Hashes = tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]


def _hashes(keys: npt.NDArray[np.bytes_]) -> _Hashes:
    """Two 64-bit hashes of each fixed-width key, by whole-array arithmetic (wrapping), a byte
    position at a time (8 bytes a key at any moment, not 8 a byte)."""
    octets = keys.view(np.uint8).reshape(len(keys), WIDTH)
    found = []
    for multiplier in _MULTIPLIERS:
        powers = np.cumprod(np.full(WIDTH, multiplier, dtype=np.uint64), dtype=np.uint64)
        h = np.zeros(len(keys), dtype=np.uint64)
        for position in range(WIDTH):
            h += octets[:, position].astype(np.uint64) * powers[position]
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
        found.append(h)
    return found[0], found[1] | np.uint64(1)


class _Filter:
    """A Bloom filter over the codes of some spilled levels (they hold distinct codes)."""

    def __init__(self) -> None:
        self.bloom = np.zeros(FILTER_BITS // 8, dtype=np.uint8)
        self.count = 0
        self.levels: list[_Level] = []

    def _bits(self, hashes: _Hashes) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
        h1, h2 = hashes
        probes = np.arange(PROBES, dtype=np.uint64)
        at = (h1[:, None] + probes[None, :] * h2[:, None]) & np.uint64(FILTER_BITS - 1)
        return at >> np.uint64(3), np.left_shift(np.uint8(1), (at & np.uint64(7)).astype(np.uint8))

    def add(self, level: _Level, keys: npt.NDArray[np.bytes_]) -> None:
        for start in range(0, len(keys), 1 << 16):  # a slice at a time: a probe's position is 8 bytes
            octet, bit = self._bits(_hashes(keys[start:start + (1 << 16)]))
            np.bitwise_or.at(self.bloom, octet, bit)
        self.levels.append(level)
        self.count += level.count

    def maybe(self, hashes: _Hashes) -> npt.NDArray[np.bool_]:
        """For each code: False when it is in none of the levels; True when it may be."""
        octet, bit = self._bits(hashes)
        return np.all(self.bloom[octet] & bit, axis=1)  # type: ignore[no-any-return]


@dataclass
class _Level:
    """A level in a file (keys, then rows); in memory every :data:`BLOCK`-th key."""

    file: BinaryIO
    count: int
    fence: npt.NDArray[np.bytes_]

    @classmethod
    def write(cls, file: BinaryIO, keys: npt.NDArray[np.bytes_], rows: npt.NDArray[np.int32]) -> _Level:
        file.write(np.ascontiguousarray(keys).data)  # no copy (it is contiguous)
        file.write(np.ascontiguousarray(rows).data)
        file.flush()
        return cls(file, len(keys), keys[::BLOCK].copy())

    def rows_of(self, keys: npt.NDArray[np.bytes_]) -> npt.NDArray[np.int32]:
        """For each key, its row here, or -1: one read of a block for the keys that fall in it."""
        found = np.full(len(keys), -1, dtype=np.int32)
        blocks = np.searchsorted(self.fence, keys, side="right") - 1
        fd = self.file.fileno()
        for block in np.unique(blocks[blocks >= 0]).tolist():
            start = block * BLOCK
            size = min(BLOCK, self.count - start)
            stored = np.frombuffer(os.pread(fd, size * WIDTH, start * WIDTH), dtype=f"S{WIDTH}")
            mine = np.flatnonzero(blocks == block)
            at = np.searchsorted(stored, keys[mine])
            inside = at < size
            hit = np.zeros(len(mine), dtype=bool)
            hit[inside] = stored[at[inside]] == keys[mine][inside]
            for i, j in zip(mine[hit].tolist(), at[hit].tolist(), strict=True):
                found[i] = int(np.frombuffer(os.pread(fd, 4, self.count * WIDTH + (start + j) * 4), dtype=np.int32)[0])
        return found


class FirstSeen:
    """Code → the first row it was seen in, across batches."""

    def __init__(self, spill: Callable[[], BinaryIO] | None = None, keep: int = KEEP) -> None:
        self._levels: list[tuple[npt.NDArray[np.bytes_], npt.NDArray[np.int32]]] = []
        self._filters: list[_Filter] = []
        self._others: dict[str, int] = {}
        self._spill = spill
        self._keep = keep

    def __len__(self) -> int:
        return (sum(len(keys) for keys, _ in self._levels) + sum(f.count for f in self._filters)
                + len(self._others))

    @property
    def nbytes(self) -> int:
        """The memory its fixed-width codes take (in memory, and what finds those spilled)."""
        return (sum(keys.nbytes + rows.nbytes for keys, rows in self._levels)
                + sum(f.bloom.nbytes + sum(level.fence.nbytes for level in f.levels) for f in self._filters))

    def close(self) -> None:
        """Close the files it spilled to."""
        for f in self._filters:
            for level in f.levels:
                level.file.close()
        self._filters = []

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
        if self._filters:  # (levels hold distinct codes: a code is in one at most)
            ask = np.flatnonzero(new)
            hashes = _hashes(sorted_keys[ask])
            for f in self._filters:
                candidates = ask[f.maybe(hashes)]
                for level in f.levels:
                    if not len(candidates):
                        break
                    rows_there = level.rows_of(sorted_keys[candidates])
                    hit = rows_there >= 0
                    firsts[order[candidates[hit]]] = rows_there[hit]
                    new[candidates[hit]] = False
                    candidates = candidates[~hit]
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
        while self._spill is not None and sum(len(k) for k, _ in self._levels) > self._keep:
            keys, rows = self._levels.pop(0)  # the oldest and biggest
            if not self._filters or self._filters[-1].count + len(keys) > FILTER_CODES:
                self._filters.append(_Filter())
            self._filters[-1].add(_Level.write(self._spill(), keys, rows), keys)


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
