from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.codes import regno
from tests.core.codes import vectors


def test_public_vectors(testdata):
    for row in vectors.load(testdata, "regno15"):
        assert regno.is_valid(row["code"]) is (row["expected"] == "valid"), row


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_body_plus_check_digit_validates(body):
    assert regno.is_valid(body + regno.calc_check_char(body))


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_one_digit_changed_is_caught(number):
    if regno.is_valid(number):
        changed = number[:3] + str((int(number[3]) + 1) % 10) + number[4:]
        assert not regno.is_valid(changed)
