"""The fast path on Arrow columns (core/credit/records_arrow.py) gives every row the outcome
row_checks.check_row gives it — the same record, the same problems, the same stored values — on the random
rows that hold records_bulk to it, and on columns of every shape its column judges tell apart."""

from __future__ import annotations

import datetime
import json

import pyarrow as pa
import pytest

from jjjcredit.core.credit import catalogue, layouts, records, records_arrow, records_bulk, row_checks
from tests.core.credit.test_records_bulk import (
    ITEMS,
    TODAY,
    VALUE_COLUMNS,
    _start,
    digit_rows,
    mutated_rows,
    spaced_rows,
)
from tests.services.credit import credit_files as files


def _checked(layout: layouts.Layout, rows: list[list[str]], arrays: bool = False) -> list[records.Checked]:
    """Each row's outcome, from columns given as lists of cells, or as Arrow arrays (``arrays``)."""
    columns: list[list[str] | pa.Array] = [list(c) for c in zip(*rows, strict=True)]
    if arrays:
        columns = [pa.array(c, pa.string()) for c in columns]
    clean, others = records_arrow.check_columns(layout, columns, 2, len(rows), TODAY)
    for k, i in enumerate(clean.at.tolist()):
        others[i] = records.Checked(2 + i, clean.record(k), ())
    return [others[i] for i in range(len(rows))]


def _agree(layout: layouts.Layout, rows: list[list[str]], first_clean: bool = True) -> None:
    """Each row's outcome is check_row's, and the rows taken as clean are those records_bulk takes."""
    columns = [list(c) for c in zip(*rows, strict=True)]
    arrow_clean, _others = records_arrow.check_columns(layout, columns, 2, len(rows), TODAY)
    bulk_clean, _others = records_bulk.check_columns(layout, columns, 2, len(rows), TODAY)
    assert arrow_clean.at.tolist() == bulk_clean.at
    fast = _checked(layout, rows)
    assert _checked(layout, rows, arrays=True) == fast
    for i, row in enumerate(rows):
        slow = row_checks.check_row(layout, row, 2 + i, TODAY)
        assert fast[i] == slow, (i, row)
        if slow.record is not None and fast[i].record is not None:
            assert fast[i].record.values_text() == records.values_json(slow.record.values), (i, row)
    if first_clean:
        assert fast[0].record is not None


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_the_arrow_path_agrees_with_check_row_on_random_rows(item: catalogue.Item):
    _agree(*mutated_rows(item))


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_cells_with_other_whitespace_agree_with_check_row(item: catalogue.Item):
    _agree(*spaced_rows(item))


@pytest.mark.parametrize("item", ITEMS[:3], ids=[i.code for i in ITEMS[:3]])
def test_free_text_of_random_digits_agrees_with_check_row(item: catalogue.Item):
    _agree(*digit_rows(item))


#: Free text that is plain — printable, no space — so that a column of it is judged at once: personal numbers
#: in several forms, and text with many digits that holds none.
PLAIN_TEXTS = ["电话13812345678", f"身份证{files.person()}", "手机138-1234-5678", "电话１３８１２３４５６７８",
               "京罚〔2026〕1234567号", "第13、14、15、16、17、18条", "罚款18228000000元", "某某", "",
               "一三八一二三四五六七八", "2026-04-25、2026-05-01、2026-06-01"]


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_plain_free_text_is_searched_for_personal_numbers_as_check_row_searches_it(item: catalogue.Item):
    rng, layout, good = _start(item, item.code + "plain")
    texts = [j for j, b in enumerate(layout.bound) if b.column.kind == "text"]
    rows = [good]
    for _ in range(200):
        row = list(good)
        for j in rng.sample(texts, min(len(texts), rng.choice((1, 2)))):
            row[j] = rng.choice(PLAIN_TEXTS)
        rows.append(row)
    _agree(layout, rows)


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_values_to_escape_are_stored_as_values_json_writes_them(item: catalogue.Item):
    rng, layout, good = _start(item, item.code + "json")
    rows = [good]
    for _ in range(200):
        row = list(good)
        for _ in range(rng.choice((0, 1, 2))):
            j = rng.randrange(len(row))
            if layout.bound[j].column.kind == "text":
                row[j] = rng.choice(('说"明"', "a\\b", "路\u2028口", "某某", "", "x\ty", "甲\n乙", '\\"'))
        rows.append(row)
    _agree(layout, rows)
    fast = [c.record for c in _checked(layout, rows) if c.record is not None]
    for r in fast:
        assert r.values_text() == json.dumps(r.values, ensure_ascii=False, sort_keys=True)


def test_a_column_of_every_cell_alike_and_one_of_one_row_agree():
    item = catalogue.default_item("JJJ-03-001")
    layout = layouts.bind(item, list(records.SAMPLE_PENALTY), "x.csv")
    good = list(records.SAMPLE_PENALTY.values())
    _agree(layout, [good])
    _agree(layout, [good] * 3)  # (the same document number: each row is checked alone here)
    empty = [""] * len(good)
    _agree(layout, [good, empty, empty])


@pytest.mark.parametrize("codes", [
    ("A_WHOLE", "B_SOME", "C_NONE", "D_QUOTE", "E_WHOLE", "F%", "G\"", "H_TAB"),
    ("B_SOME", "D_QUOTE", "A_WHOLE", "E_WHOLE", "H_TAB"), ("C_NONE",), ("G\"", "F%"), ("H_TAB",), ("E_WHOLE",),
])
def test_the_values_are_written_a_column_at_a_time_as_values_json_writes_them(codes: tuple[str, ...]):
    outs = [VALUE_COLUMNS[c] for c in codes]
    texts = records_arrow._texts(codes, [pa.array(o, pa.string()) for o in outs], [c != "H_TAB" for c in codes])
    for i, text in enumerate(texts.to_pylist()):
        assert text == records.values_json({c: o[i] for c, o in zip(codes, outs, strict=True) if o[i] is not None})


def test_dates_after_today_and_codes_of_every_length_agree():
    item = catalogue.default_item("JJJ-03-001")
    layout = layouts.bind(item, list(records.SAMPLE_PENALTY), "x.csv")
    good = list(records.SAMPLE_PENALTY.values())
    at = {h: i for i, h in enumerate(records.SAMPLE_PENALTY)}
    rows = [good]
    for code in ("", "91130102MA4CL12T2", "91130102ma4cl12t22", "９１130102MA4CL12T22", "911301021985050599",
                 "130102198505059977", "91130102MA4CL12T22 ", "91130102MA4CL12T23"):
        row = list(good)
        row[at["统一社会信用代码"]] = code
        rows.append(row)
    for day in ("2026-06-02", "2026/5/1", "2026年5月1日", ""):
        row = list(good)
        row[at["处罚决定日期"]] = day
        rows.append(row)
    _agree(layout, rows)
    assert datetime.date(2026, 6, 1) == TODAY


def test_a_fine_written_in_yuan_is_refused_on_every_path_as_check_row_refuses_it():
    """罚款金额 is kept in 万元: a row whose 处罚内容 states its fine as that very figure of 元 was written in 元 and
    would be published 10,000 times too large (credit.fine_unit); a fine in 万元 agreeing with it is kept."""
    item = catalogue.default_item("JJJ-03-001")
    layout = layouts.bind(item, list(records.SAMPLE_PENALTY), "x.csv")
    good = list(records.SAMPLE_PENALTY.values())
    at = {h: i for i, h in enumerate(records.SAMPLE_PENALTY)}
    rows = [good]
    for fine, content in (("5000", "罚款人民币5000元"), ("5000", "警告，罚款5,000元"), ("1.5", "罚款1.5元"),
                          ("0.5", "罚款人民币5000元"), ("2", "罚款人民币2万元"), ("5000", "罚款人民币5000万元")):
        row = list(good)
        row[at["罚款金额（万元）"]], row[at["处罚内容"]] = fine, content
        rows.append(row)
    _agree(layout, rows)
    outcomes = [[p.code for p in c.problems] for c in _checked(layout, rows, arrays=True)]
    assert outcomes[1:] == [["credit.fine_unit"]] * 3 + [[]] * 3


def test_a_lone_surrogate_in_a_cell_is_refused_as_check_row_refuses_it():
    """Text Arrow cannot hold (half of a UTF-16 pair) is judged as records_bulk judges it, not a crash."""
    item = catalogue.default_item("JJJ-03-001")
    layout = layouts.bind(item, list(records.SAMPLE_PENALTY), "x.csv")
    good = list(records.SAMPLE_PENALTY.values())
    at = {h: i for i, h in enumerate(records.SAMPLE_PENALTY)}
    rows = [good]
    for header in ("违法事实", "统一社会信用代码", "处罚决定日期", "失信严重程度"):
        row = list(good)
        row[at[header]] = good[at[header]] + "\ud800"
        rows.append(row)
    fast = _checked(layout, rows)
    for i, row in enumerate(rows):
        assert fast[i] == row_checks.check_row(layout, row, 2 + i, TODAY), (i, row)
    assert fast[0].record is not None


def test_values_of_rows_with_none_keep_their_places():
    """A row with no value at all is ``{}`` in its own place (a join that skips nulls would drop it, and the rows
    after it would take the values of the rows before them)."""
    import pyarrow as pa

    from jjjcredit.core.credit import records_arrow

    values = [pa.array(["a1", None, None, "a4"], pa.string()), pa.array([None, None, "b3", None], pa.string())]
    assert records_arrow._texts(("A", "B"), values, (True, True)).to_pylist() == [
        '{"A": "a1"}', "{}", '{"B": "b3"}', '{"A": "a4"}']
    assert records_arrow._texts(("A",), values[:1], (True,)).to_pylist() == ['{"A": "a1"}', "{}", "{}", '{"A": "a4"}']
