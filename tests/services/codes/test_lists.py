from __future__ import annotations

import csv
import io
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import uscc
from jjjcredit.services.codes import lists as codes


def _report(values: list[str]) -> tuple[list[dict[str, str]], codes.Summary]:
    summary = codes.Summary()
    text = "".join(codes.check_batches([values], summary))
    return list(csv.DictReader(io.StringIO(text))), summary


def test_every_non_blank_value_gets_exactly_one_row_and_is_counted():
    rng = random.Random(2)
    values = [uscc.generate(rng) for _ in range(200)] + ["", "  ", "x", "91350211M0000XUF46"]
    rows, summary = _report(values)
    assert len(rows) == summary.rows == 202
    assert summary.valid + summary.warnings + summary.invalid == summary.rows
    assert summary.blank == 2


@settings(max_examples=100)
@given(st.lists(st.text(max_size=25), max_size=20))
def test_the_report_agrees_with_the_single_code_path(values):
    rows, summary = _report(values)
    kept = [v.strip() for v in values if v.strip()]
    assert [r["verdict"] for r in rows] == [uscc.check(v).verdict.label for v in kept]
    assert summary.rows == len(kept)
