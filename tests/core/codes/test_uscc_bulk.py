from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import uscc
from tests.core.codes import vectors


def _single(values):
    return np.array([uscc.verdict(v) for v in values], dtype=np.int8)


def test_bulk_equals_single_on_the_public_vectors(testdata):
    values = [row["code"] for row in vectors.load(testdata, "uscc")]
    assert (uscc.verdict_many(values) == _single(values)).all()


def test_bulk_equals_single_on_generated_codes_and_their_typos():
    rng = random.Random(11)
    values = []
    for _ in range(3000):
        code = uscc.generate(rng, region=rng.choice(("110105", "130182", "350100", "990000")))
        i = rng.randrange(18)
        values.append(code)
        values.append(code[:i] + rng.choice(uscc.ALPHABET) + code[i + 1:])
        values.append(code.lower())
    values += ["91350211M0000XUF46", "91350100M000100Y4A", "110105194912310020", "", "x" * 10_000]
    assert (uscc.verdict_many(values) == _single(values)).all()


code_like = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZa -", min_size=16, max_size=20)


@settings(max_examples=300)
@given(st.lists(st.one_of(code_like, st.text(max_size=20)), max_size=30))
def test_bulk_equals_single_on_anything(values):
    assert (uscc.verdict_many(values) == _single(values)).all()


def test_is_valid_many_is_is_valid():
    values = ["91350100M000100Y43", "91350100M000100Y44", "91350211M0000XUF46"]
    assert uscc.is_valid_many(values).tolist() == [True, False, True]
    assert uscc.is_valid_many([]).tolist() == []
