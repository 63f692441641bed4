"""core/cells.py: every text a spreadsheet would run as a formula is marked, nothing else changes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core import cells


def test_each_formula_start_is_marked_and_other_values_left_alone():
    starts = ["=1+1", "+86", "-2", "@SUM(A1)", "\t=1", "\r=1"]
    assert cells.guarded([*starts, "罚1", "", 4, None]) == [*("'" + s for s in starts), "罚1", "", 4, None]


@given(st.text())
def test_a_marked_cell_is_the_text_behind_an_apostrophe(text: str):
    shown = cells.text_cell(text)
    assert shown[:1] not in cells.FORMULA_FIRST and shown in (text, "'" + text)
