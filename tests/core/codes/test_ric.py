from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.codes import ric
from jjjcredit.core.errors import Verdict
from tests.core.codes import vectors


def test_public_vectors(testdata):
    for row in vectors.load(testdata, "ric"):
        result = ric.check(row["code"], today=datetime.date(2026, 1, 1))
        if "REGION-DEPENDENT" in vectors.tags(row) and result.findings and \
                result.findings[0].code == "ric.region_anachronism":
            # Our policy: a number may be issued years after birth, so a division that did not
            # exist in the birth year is a warning, not a rejection.
            assert result.verdict is Verdict.WARNING, row
        elif row["expected"] == "valid":
            assert result.verdict is not Verdict.INVALID, (row, result.findings)
        else:
            assert result.verdict is Verdict.INVALID, row


def test_messages_never_contain_the_whole_number():
    number = "110105194912310021"  # wrong check character
    for finding in ric.check(number).findings:
        assert number not in finding.message


def test_future_birth_dates_are_refused():
    body = "11010520990101002"
    result = ric.check(body + ric.calc_check_char(body), today=datetime.date(2026, 1, 1))
    assert result.errors[0].code == "ric.birth_date"


@given(st.one_of(st.text(max_size=20), st.none()))
def test_is_valid_never_raises(value):
    assert ric.is_valid(value) in (True, False)


def test_mask():
    assert ric.mask("11010519491231002X") == "110105********002X"
