"""FirstSeen answers exactly as a dict of code → first row would, whatever the batches."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.library import first_seen
from jjjcredit.core.library.first_seen import FirstSeen

CODES = st.one_of(st.none(), st.sampled_from(["91110000100000000A", "A", "B", "Z9", "11" * 9, "长的代码", "x" * 30]),
                  st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=1, max_size=18))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CODES, max_size=40), max_size=12))
def test_same_answers_as_a_dict(batches: list[list[str | None]]):
    seen, reference, row = FirstSeen(), {}, 1
    for batch in batches:
        expected = [None if c is None else reference.setdefault(c, row + i) for i, c in enumerate(batch)]
        assert seen.add(batch, row) == expected
        row += len(batch)
    assert len(seen) == len(reference)


def test_a_million_codes_take_about_30_bytes_each():
    seen = FirstSeen()
    for start in range(0, 1_000_000, 50_000):
        seen.add([f"91{i:016d}" for i in range(start, start + 50_000)], start + 1)
    assert len(seen) == 1_000_000 and seen.nbytes <= 31_000_000
    assert seen.add(["91" + "0" * 15 + "7"], 2_000_000) == [8]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CODES, max_size=40), max_size=12), st.integers(min_value=1, max_value=30))
def test_spilled_to_files_it_still_answers_as_a_dict(batches: list[list[str | None]], keep: int):
    seen, reference, row = FirstSeen(spill=tempfile.TemporaryFile, keep=keep), {}, 1
    try:
        for batch in batches:
            expected = [None if c is None else reference.setdefault(c, row + i) for i, c in enumerate(batch)]
            assert seen.add(batch, row) == expected
            row += len(batch)
        assert len(seen) == len(reference)
    finally:
        seen.close()


def test_spilling_keeps_memory_flat_and_finds_codes_in_the_files():
    seen = FirstSeen(spill=tempfile.TemporaryFile, keep=200_000)
    try:
        sizes = []
        for start in range(0, 2_000_000, 50_000):
            seen.add([f"91{i:016d}" for i in range(start, start + 50_000)], start + 1)
            sizes.append(seen.nbytes)
        assert len(seen) == 2_000_000
        # the kept codes (a merge holds up to twice as many), one Bloom filter, the fences: not 60 MB
        assert max(sizes) < 200_000 * 30 * 2 + (8 << 20) + 2_000_000 // 256 * 8
        assert max(sizes[10:]) - min(sizes[10:]) < 200_000 * 30 * 2  # flat once a filter is made
        probe = ["91" + "0" * 15 + "7", f"91{1_234_567:016d}", "91" + "9" * 16]  # early, spilled, new
        assert seen.add(probe, 3_000_000) == [8, 1_234_568, 3_000_002]
    finally:
        seen.close()


#: Hashes that collide on purpose: every code one hash, or one of four.
WEAK: dict[str, Callable[..., np.ndarray]] = {
    "one hash": lambda keys, which=0: np.full(len(keys), which, dtype=np.uint64),
    "four hashes": lambda keys, which=0: (np.frombuffer(keys.tobytes(), dtype=np.uint8)[::first_seen.WIDTH]
                                          .astype(np.uint64) & np.uint64(3)) | np.uint64(which),
}


@contextlib.contextmanager
def _weak(name: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(first_seen, "_hash", WEAK[name])
        yield


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(WEAK)), st.lists(st.lists(CODES, max_size=40), max_size=10),
       st.integers(min_value=1, max_value=30))
def test_codes_sharing_a_hash_are_still_told_apart(weak: str, batches: list[list[str | None]], keep: int):
    """The levels are searched by a 64-bit hash, then the code compared: with hashes that collide on
    purpose the answers stay a dict's, in memory and spilled."""
    seen, reference, row = FirstSeen(spill=tempfile.TemporaryFile, keep=keep), {}, 1
    with _weak(weak):
        try:
            for batch in batches:
                expected = [None if c is None else reference.setdefault(c, row + i) for i, c in enumerate(batch)]
                assert seen.add(batch, row) == expected
                row += len(batch)
        finally:
            seen.close()


def test_a_run_of_one_hash_across_the_blocks_of_a_spilled_file_is_searched_whole():
    codes = [f"91{i:016d}" for i in range(6_000)]
    seen, row = FirstSeen(spill=tempfile.TemporaryFile, keep=1_000), 1
    with _weak("four hashes"):
        try:
            for start in range(0, len(codes), 500):
                assert seen.add(codes[start:start + 500], row) == list(range(row, row + 500))
                row += 500
            asked = [*codes[::997], "91" + "9" * 16]
            assert seen.add(asked, row) == [*(i + 1 for i in range(0, 6_000, 997)), row + 7]
        finally:
            seen.close()
