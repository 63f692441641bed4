"""services/credit/writing.py: the parts of a batch's writer that are not seen through an ingest (the ingest's
tests are in test_records.py)."""

from __future__ import annotations

import random

from jjjcredit.services.credit import writing


def test_the_batch_filter_holds_every_id_it_was_given_at_the_bits_of_its_four_slices():
    rng = random.Random(7)
    given = ["f" * 32, "0" * 32, *(f"{rng.getrandbits(128):032x}" for _ in range(20_000))]
    seen = writing._Seen()
    assert seen.held_then_add(given) == []  # what it held before this chunk: nothing
    assert seen.held_then_add(given[:5]) == given[:5]
    for record_id in given[:300]:
        n = int(record_id, 16)
        for bit in (n & (seen.BITS - 1), (n >> 27) & (seen.BITS - 1), (n >> 54) & (seen.BITS - 1),
                    (n >> 81) & (seen.BITS - 1)):
            assert seen.bits[bit >> 3] & (1 << (bit & 7))
    others = [f"{rng.getrandbits(128):032x}" for _ in range(20_000)]
    assert len(seen.held_then_add(others)) < 5  # false positives: about one in a billion at this fill
