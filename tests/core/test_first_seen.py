"""FirstSeen answers exactly as a dict of code → first row would, whatever the batches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.first_seen import FirstSeen

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


def test_a_million_codes_take_about_22_bytes_each():
    seen = FirstSeen()
    for start in range(0, 1_000_000, 50_000):
        seen.add([f"91{i:016d}" for i in range(start, start + 50_000)], start + 1)
    assert len(seen) == 1_000_000 and seen.nbytes <= 23_000_000
    assert seen.add(["91" + "0" * 15 + "7"], 2_000_000) == [8]
