from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.codes import orgcode
from tests.core.codes import vectors


def test_public_vectors(testdata):
    for row in vectors.load(testdata, "orgcode"):
        if "NORMALIZATION-DEPENDENT" in vectors.tags(row):
            # Our compact() accepts the printed XXXXXXXX-X form in any case.
            assert orgcode.is_valid(row["code"]), row
        else:
            assert orgcode.is_valid(row["code"]) is (row["expected"] == "valid"), row


def test_printed_form():
    assert orgcode.format("d2143569x") == "D2143569-X"
    assert orgcode.validate("D2143569-X") == "D2143569X"


@given(st.text(alphabet=orgcode.BODY_ALPHABET, min_size=8, max_size=8))
def test_body_plus_check_char_validates(body):
    assert orgcode.is_valid(body + orgcode.calc_check_char(body))


@given(st.one_of(st.text(max_size=20), st.none(), st.integers()))
def test_is_valid_never_raises(value):
    assert orgcode.is_valid(value) in (True, False)
