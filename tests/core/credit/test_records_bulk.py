"""The fast path (core/credit/records_bulk.py) gives every row the outcome row_checks.check_row gives it:
the same record, the same problems — on random rows of every default item."""

from __future__ import annotations

import datetime
import json
import random

import pytest

from jjjcredit.core.credit import catalogue, layouts, records, records_bulk, row_checks
from tests.core.credit.test_row_checks import _good_value
from tests.services.credit import credit_files as files

TODAY = datetime.date(2026, 6, 1)
CODES = files.codes(3)
MUTATIONS = ["", " ", "2026-02-30", "2026-07-01", "2025-01-01", "2099-12-31", "20260520", "abc", "-1", "1e3",
             "0.1234567", "罚款", "警告；罚款", "没收违法所得", "吊销许可证件", "罚金", "自然人", "个体工商户", "公司",
             "轻微", "一般", "严重", "特别严重", "1", "普通", "特许", "0", "撤销", files.person(),
             f"身份证{files.person()}", "警告\u202e", "电话13812345678", "手机138-1234-5678",
             "证件号码110105 1949 1231 002X", "２０２６－０１－０５", "2026-04-25 2026-05-01 2026-06-01", CODES[1],
             CODES[1][:-1] + "0", "92130102MA0000000X",
             "11130100MABJ1XG604", "某" * 300, "A", "2025", "电话１３８１２３４５６７８",
             "手机\u0661\u0663\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
             "文号〔２０２６〕１２３４５６７号", "第13、14、15、16、17、18条",
             "身份证１３０１０２１９８５０５０５９９７７", "罚款18228000000元"]
ITEMS = [i for i in catalogue.default_items() if i.kind != "basic"]


def _start(item: catalogue.Item, seed: str) -> tuple[random.Random, layouts.Layout, list[str]]:
    """A seeded generator, the item's layout bound to its own field names, and a good value a field."""
    layout = layouts.bind(item, [f.name for f in item.fields], "x.csv")
    return random.Random(seed), layout, [_good_value(item, f.element) for f in item.fields]


def mutated_rows(item: catalogue.Item) -> tuple[layouts.Layout, list[list[str]]]:
    """A good row of the item, then 400 with one to three of its cells replaced by :data:`MUTATIONS`."""
    rng, layout, good = _start(item, item.code)
    for i, f in enumerate(item.fields):
        if f.element.endswith("FRDB"):
            good[i] = "王某"
    rows = [good]
    for _ in range(400):
        row = list(good)
        for _ in range(rng.choice((1, 1, 2, 3))):
            row[rng.randrange(len(row))] = rng.choice(MUTATIONS)
        rows.append(row)
    return layout, rows


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_the_fast_path_agrees_with_check_row_on_random_rows(item: catalogue.Item):
    _agree(*mutated_rows(item))


def _agree(layout: layouts.Layout, rows: list[list[str]]) -> None:
    """The rows as one chunk: the fast path's outcome of each is check_row's; the first (good) row is
    taken by the fast path, not only agreed on."""
    columns = [list(c) for c in zip(*rows, strict=True)]
    fast = records_bulk.check_chunk(layout, columns, 2, len(rows), TODAY)
    for i, row in enumerate(rows):
        assert fast[i] == row_checks.check_row(layout, row, 2 + i, TODAY), (i, row)
    assert fast[0].record is not None


#: What str.strip removes besides a space, around good values and alone (a column without any is not stripped).
OTHER_SPACES = ["\u2003", "\x0b", "\n", "\r", "\x1f", "\u2028", "\x85", "\u202f"]


def spaced_rows(item: catalogue.Item) -> tuple[layouts.Layout, list[list[str]]]:
    """A good row of the item, then 400 with cells given :data:`OTHER_SPACES` around them, or only a space."""
    rng, layout, good = _start(item, item.code + "stripped")
    rows = [good]
    for _ in range(400):
        row = list(good)
        for _ in range(rng.choice((1, 1, 2))):
            j = rng.randrange(len(row))
            value = rng.choice([*MUTATIONS, row[j]])
            space = rng.choice(OTHER_SPACES)
            row[j] = rng.choice((space + value, value + space, space))
        rows.append(row)
    return layout, rows


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_cells_with_other_whitespace_agree_with_check_row(item: catalogue.Item):
    _agree(*spaced_rows(item))


@pytest.mark.parametrize("item", ITEMS, ids=[i.code for i in ITEMS])
def test_the_fast_path_writes_the_values_as_values_json_does(item: catalogue.Item):
    rng, layout, good = _start(item, item.code + "json")
    rows = []
    for _ in range(200):
        row = list(good)
        for _ in range(rng.choice((0, 1, 2))):
            j = rng.randrange(len(row))
            if layout.bound[j].column.kind == "text":
                row[j] = rng.choice(('说"明"', "a\\b", "路\u2028口", "某某", "", "x\ty"))
        rows.append(row)
    columns = [list(c) for c in zip(*rows, strict=True)]
    fast = [c.record for c in records_bulk.check_chunk(layout, columns, 2, len(rows), TODAY) if c.record]
    if not all(b.column.kind == "year" for b in layout.columns_by_role("document_number")):  # (ratings: slow)
        assert any(r.text is not None for r in fast)
        assert any('\\"' in (r.text or "") for r in fast)  # a quote is escaped
    for r in fast:
        assert r.values_text() == records.values_json(r.values) == json.dumps(r.values, ensure_ascii=False,
                                                                               sort_keys=True)


#: Pieces of free text: digits of several scripts, the separators a run of digits allows, letters, CJK text.
PIECES = ["1", "3", "8", "0", "5", "０", "９", "\u0661", "\u0968", "\U0001d7d0", " ", "-", "、", "\u3000", "ー", "_",
          "a", "X", "号", "罚款", "〔2026〕", "130102", "19850505", "9977", "138", "1234", "5678"]


def digit_rows(item: catalogue.Item) -> tuple[layouts.Layout, list[list[str]]]:
    """A good row of the item, then 400 with one or two free text cells made of random :data:`PIECES`."""
    rng, layout, good = _start(item, item.code + "digits")
    texts = [j for j, b in enumerate(layout.bound) if b.column.kind == "text"]
    rows = [good]
    for _ in range(400):
        row = list(good)
        for j in rng.sample(texts, min(len(texts), rng.choice((1, 2)))):
            row[j] = "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 16)))
        rows.append(row)
    return layout, rows


@pytest.mark.parametrize("item", ITEMS[:3], ids=[i.code for i in ITEMS[:3]])
def test_free_text_of_random_digits_agrees_with_check_row(item: catalogue.Item):
    _agree(*digit_rows(item))


#: Columns of judged values (None: an empty cell) for _texts_of: whole, with empty cells, all empty, to escape.
VALUE_COLUMNS = {"A_WHOLE": ["a", "100%", "b"], "B_SOME": [None, "x%s", "y"], "C_NONE": [None, None, None],
                 "D_QUOTE": ['说"明"', None, "a\\b"], "E_WHOLE": ["e", "e", "路口"], "F%": ["f", None, "%d"],
                 "G\"": ["g", "g", "g"], "H_TAB": ["x\ty", "z", None]}


@pytest.mark.parametrize("codes", [
    ("A_WHOLE", "B_SOME", "C_NONE", "D_QUOTE", "E_WHOLE", "F%", "G\"", "H_TAB"),  # a column first
    ("B_SOME", "D_QUOTE", "A_WHOLE", "E_WHOLE", "H_TAB"),  # pieces before the first column
    ("B_SOME", "C_NONE", "D_QUOTE", "F%"),  # no column in the template
    ("C_NONE",), ("G\"", "F%"), ("H_TAB",), ("E_WHOLE",),
])
def test_the_values_are_written_a_column_at_a_time_as_values_json_writes_them(codes: tuple[str, ...]):
    outs = [VALUE_COLUMNS[c] for c in codes]
    texts = records_bulk._texts_of(codes, outs, 3, [c != "H_TAB" for c in codes])
    for i, text in enumerate(texts):
        assert text == records.values_json({c: o[i] for c, o in zip(codes, outs, strict=True) if o[i] is not None})
