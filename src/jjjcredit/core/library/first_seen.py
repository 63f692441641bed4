"""Where each code was first seen in a file, in about 30 bytes a code.

The records checker must say of a repeated code "also in row N" for files of tens of millions of
rows. A Python dict of code → row costs ~130 bytes a code (2.2 GB at the JJJ library's 17 million);
here codes of up to 18 ASCII characters live in NumPy arrays of fixed-width bytes with their rows
(int32) and a 64-bit hash of each, in hash order, in a few levels merged like a binary counter (a new
level per batch; two levels of similar size are merged), so memory grows by ~30 bytes a code and a
batch costs a few vectorized searches — over 64-bit numbers, then the code at the position found
compared (searching the codes themselves, as strings, took 2.6 times as long). Codes sharing a hash
are told apart by their run of equal hashes. Anything else (longer or non-ASCII values: invalid codes)
goes to a small dict. (Fixed-width bytes drop trailing NUL characters: "A" and "A\\0" count as one
code; neither is a valid code.)

Given somewhere to spill (``spill``: a factory of binary files, e.g. ``tempfile.TemporaryFile``), it
keeps at most ``keep`` codes in memory: beyond that, its oldest level goes to a file, and memory keeps
only what finds a code there: a Bloom filter (8 MiB for each 4 million codes spilled: all but ~1 in
2,000 new codes are known absent without reading a file) and every 256th hash (a code the filter lets
through is looked up in one block of each file). So memory stays flat however long the file: ~30
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
#: Codes kept in memory by default when spilling (~31 MB).
KEEP = 1 << 20
#: Codes a level's file is read by, and every how many its fence holds one.
BLOCK = 256
#: A Bloom filter covers spilled levels of up to this many codes, in 2**26 bits (16 a code, 8 MiB);
#: with 8 probes all but ~1 in 2,000 absent codes are known absent.
FILTER_CODES = 1 << 22
FILTER_BITS = 1 << 26
PROBES = 8
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))

_Keys = npt.NDArray[np.bytes_]
_Hashes = npt.NDArray[np.uint64]
_Rows = npt.NDArray[np.int32]


def _hash(keys: _Keys, which: int = 0) -> _Hashes:
    """A 64-bit hash of each fixed-width key, by whole-array arithmetic (wrapping), a byte position at
    a time (8 bytes a key at any moment, not 8 a byte). ``which``: 0 orders the levels, 1 is the
    Bloom filter's second hash (odd)."""
    octets = keys.view(np.uint8).reshape(len(keys), WIDTH)
    powers = np.cumprod(np.full(WIDTH, _MULTIPLIERS[which], dtype=np.uint64), dtype=np.uint64)
    h = np.zeros(len(keys), dtype=np.uint64)
    for position in range(WIDTH):
        h += octets[:, position].astype(np.uint64) * powers[position]
    h ^= h >> np.uint64(31)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(29)
    return h | np.uint64(which)


def _find(hashes: _Hashes, keys: _Keys, asked: _Hashes, asked_keys: _Keys) -> npt.NDArray[np.int64]:
    """For each asked key, its position among ``keys`` (distinct, ordered by ``hashes``), or -1. One
    search over 64-bit numbers, then the key at that position compared; keys whose hash another key
    shares (about one pair in 10^12 at millions of codes) are looked for through their run of equal
    hashes."""
    at = np.searchsorted(hashes, asked)
    same = at < len(hashes)
    same[same] = hashes[at[same]] == asked[same]
    found = np.full(len(asked), -1, dtype=np.int64)
    hit = same.copy()
    hit[same] = keys[at[same]] == asked_keys[same]
    found[hit] = at[hit]
    for i in np.flatnonzero(same & ~hit).tolist():  # another key with this hash sits first
        j = int(at[i]) + 1
        while j < len(hashes) and hashes[j] == asked[i]:
            if keys[j] == asked_keys[i]:
                found[i] = j
                break
            j += 1
    return found


class _Filter:
    """A Bloom filter over the codes of some spilled levels (they hold distinct codes)."""

    def __init__(self) -> None:
        self.bloom = np.zeros(FILTER_BITS // 8, dtype=np.uint8)
        self.count = 0
        self.levels: list[_Level] = []

    def _bits(self, h1: _Hashes, h2: _Hashes) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint8]]:
        probes = np.arange(PROBES, dtype=np.uint64)
        at = (h1[:, None] + probes[None, :] * h2[:, None]) & np.uint64(FILTER_BITS - 1)
        return at >> np.uint64(3), np.left_shift(np.uint8(1), (at & np.uint64(7)).astype(np.uint8))

    def add(self, level: _Level, hashes: _Hashes, keys: _Keys) -> None:
        for start in range(0, len(keys), 1 << 16):  # a slice at a time: a probe's position is 8 bytes
            part = slice(start, start + (1 << 16))
            octet, bit = self._bits(hashes[part], _hash(keys[part], 1))
            np.bitwise_or.at(self.bloom, octet, bit)
        self.levels.append(level)
        self.count += level.count

    def maybe(self, h1: _Hashes, h2: _Hashes) -> npt.NDArray[np.bool_]:
        """For each code: False when it is in none of the levels; True when it may be."""
        octet, bit = self._bits(h1, h2)
        return np.all(self.bloom[octet] & bit, axis=1)  # type: ignore[no-any-return]


@dataclass
class _Level:
    """A level in a file (hashes, keys, then rows, in hash order); in memory every :data:`BLOCK`-th
    hash."""

    file: BinaryIO
    count: int
    fence: _Hashes

    @classmethod
    def write(cls, file: BinaryIO, hashes: _Hashes, keys: _Keys, rows: _Rows) -> _Level:
        for array in (hashes, keys, rows):
            file.write(np.ascontiguousarray(array).data)  # no copy (they are contiguous)
        file.flush()
        return cls(file, len(keys), hashes[::BLOCK].copy())

    def rows_of(self, hashes: _Hashes, keys: _Keys) -> _Rows:
        """For each key, its row here, or -1: one read of the blocks that can hold its hash (one, or
        two where a run of its hash may cross a block's start)."""
        found = np.full(len(keys), -1, dtype=np.int32)
        first = np.maximum(np.searchsorted(self.fence, hashes, side="left") - 1, 0)
        last = np.searchsorted(self.fence, hashes, side="right") - 1
        asked = last >= 0
        span = np.where(asked, first * len(self.fence) + last, -1)
        fd = self.file.fileno()
        for group in np.unique(span[asked]).tolist():
            lo, hi = divmod(group, len(self.fence))
            start, stop = lo * BLOCK, min((hi + 1) * BLOCK, self.count)
            n = stop - start
            stored = np.frombuffer(os.pread(fd, n * 8, start * 8), dtype=np.uint64)
            stored_keys = np.frombuffer(os.pread(fd, n * WIDTH, self.count * 8 + start * WIDTH), dtype=f"S{WIDTH}")
            mine = np.flatnonzero(span == group)
            at = _find(stored, stored_keys, hashes[mine], keys[mine])
            for i, j in zip(mine[at >= 0].tolist(), at[at >= 0].tolist(), strict=True):
                where = self.count * (8 + WIDTH) + (start + j) * 4
                found[i] = int(np.frombuffer(os.pread(fd, 4, where), dtype=np.int32)[0])
        return found


class FirstSeen:
    """Code → the first row it was seen in, across batches."""

    def __init__(self, spill: Callable[[], BinaryIO] | None = None, keep: int = KEEP) -> None:
        self._levels: list[tuple[_Hashes, _Keys, _Rows]] = []
        self._filters: list[_Filter] = []
        self._others: dict[str, int] = {}
        self._spill = spill
        self._keep = keep

    def __len__(self) -> int:
        return (sum(len(keys) for _, keys, _ in self._levels) + sum(f.count for f in self._filters)
                + len(self._others))

    @property
    def nbytes(self) -> int:
        """The memory its fixed-width codes take (in memory, and what finds those spilled)."""
        return (sum(h.nbytes + keys.nbytes + rows.nbytes for h, keys, rows in self._levels)
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

    def _fixed(self, keys: _Keys, rows: _Rows) -> _Rows:
        hashes = _hash(keys)
        order = np.argsort(hashes, kind="stable")
        sorted_hashes, sorted_keys, sorted_rows = hashes[order], keys[order], rows[order]
        differs = sorted_keys[1:] != sorted_keys[:-1]
        if np.any(differs & (sorted_hashes[1:] == sorted_hashes[:-1])):  # two keys share a hash: equal keys
            order = np.lexsort((rows, keys, hashes))                     # side by side, earliest first
            sorted_hashes, sorted_keys, sorted_rows = hashes[order], keys[order], rows[order]
            differs = sorted_keys[1:] != sorted_keys[:-1]
        # Within the batch: each run of equal keys takes the row of its first (the earliest).
        starts = np.ones(len(sorted_keys), dtype=bool)
        starts[1:] = differs
        run_first = sorted_rows[np.maximum.accumulate(np.where(starts, np.arange(len(starts)), 0))]
        firsts = np.empty_like(rows)
        firsts[order] = run_first
        # Against earlier batches: a code seen before takes that row. Searched in hash order (numpy
        # then walks each level forward instead of jumping about), by 64-bit numbers, not strings.
        new = np.ones(len(keys), dtype=bool)
        for level_hashes, level_keys, level_rows in self._levels:
            at = _find(level_hashes, level_keys, sorted_hashes, sorted_keys)
            hit = at >= 0
            firsts[order[hit]] = level_rows[at[hit]]
            new &= ~hit
        if self._filters:  # (levels hold distinct codes: a code is in one at most)
            ask = np.flatnonzero(new)
            h1, h2 = sorted_hashes[ask], _hash(sorted_keys[ask], 1)
            for f in self._filters:
                candidates = ask[f.maybe(h1, h2)]
                for level in f.levels:
                    if not len(candidates):
                        break
                    rows_there = level.rows_of(sorted_hashes[candidates], sorted_keys[candidates])
                    hit = rows_there >= 0
                    firsts[order[candidates[hit]]] = rows_there[hit]
                    new[candidates[hit]] = False
                    candidates = candidates[~hit]
        fresh = starts & new
        self._push(sorted_hashes[fresh], sorted_keys[fresh], sorted_rows[fresh])
        return firsts

    def _push(self, hashes: _Hashes, keys: _Keys, rows: _Rows) -> None:
        if not len(keys):
            return
        self._levels.append((hashes, keys, rows))
        while len(self._levels) > 1 and len(self._levels[-2][0]) <= 2 * len(self._levels[-1][0]):
            newer, older = self._levels.pop(), self._levels.pop()
            self._levels.append(_merge(older, newer))
        while self._spill is not None and sum(len(k) for _, k, _ in self._levels) > self._keep:
            hashes, keys, rows = self._levels.pop(0)  # the oldest and biggest
            if not self._filters or self._filters[-1].count + len(keys) > FILTER_CODES:
                self._filters.append(_Filter())
            self._filters[-1].add(_Level.write(self._spill(), hashes, keys, rows), hashes, keys)


def _merge(first: tuple[_Hashes, _Keys, _Rows],
           second: tuple[_Hashes, _Keys, _Rows]) -> tuple[_Hashes, _Keys, _Rows]:
    """Two levels in hash order (no key in both) as one, each element placed where it goes (of equal
    hashes, the first level's before the second's): besides the two levels and the result, only one
    level's positions are held at a time (a concatenation sorted again held two more copies and an
    int64 order: the last merge of millions of codes was the biggest moment of an ingest's reader)."""
    size = len(first[0]) + len(second[0])
    hashes, keys = np.empty(size, dtype=np.uint64), np.empty(size, dtype=first[1].dtype)
    rows = np.empty(size, dtype=np.int32)
    for (mine_hashes, mine_keys, mine_rows), theirs, side in ((first, second[0], "left"),
                                                              (second, first[0], "right")):
        at = np.searchsorted(theirs, mine_hashes, side=side)  # type: ignore[call-overload]
        at += np.arange(len(mine_hashes))
        hashes[at], keys[at], rows[at] = mine_hashes, mine_keys, mine_rows
        del at
    return hashes, keys, rows
