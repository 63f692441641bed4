"""The fast path (core/exchange/rows_bulk.py) reads what rows.read reads and finds what
rows.check_organizations finds: the same rows, the same refusal, the same problems in the same order —
on random rows, good and bad, and on data files spoiled in the ways a file can be."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.exchange import rows, rows_bulk
from jjjcredit.core.exchange.packages import FORMATS, ExchangeError
from jjjcredit.core.library import elements
from tests.services.library.library_files import codes

COLUMNS = ("uscc", "name", "status", "established", "registered_capital", "currency", "orgcode", "address_division")
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"), max_size=8)
ROWS = st.lists(st.fixed_dictionaries({c: st.one_of(st.none(), TEXT) for c in COLUMNS}), max_size=6)
#: Ways a JSON Lines file is not what the writer writes: each replaces or adds a line.
LINES = [b"", b" ", b"\t", b"null", b'{"uscc":null}', b'{"uscc":1}', b'{"uscc":true}', b'{"uscc":["a"]}',
         b'{"uscc":{"a":"b"}}', b'{"uscc":"a","uscc":"b"}', b'{"uscc":"a"}{"uscc":"b"}', b'{"uscc":"a"},{"uscc":"b"}',
         b'{"uscc":"a"} {"uscc":"b"}', b'{"uscc":"a"} ', b' {"uscc":"a"}', b'{"uscc":"a"}\r', b'{"uscc":\r"a"}',
         b'{"uscc":"a\xe2\x80\xa8b"}', b'{"uscc":"a\xc2\x85b"}', b'\xef\xbb\xbf{"uscc":"a"}', b'{"uscc":"\\ud800"}',
         b'{"uscc":"\\u00e9\\/"}', b'{"nickname":"a"}', b'{"uscc":""}', b'{"uscc":"a\xff"}', b"[1]", b'{"uscc":"a"',
         b'"uscc":"a"}', b'{"uscc":"a",', b'"name":"b"}', b"{}", b'{"uscc":"null"}', b'{"uscc":NaN}', b"}", b"{",
         b'{"uscc":"a",}', b'{"uscc":"a" /* c */}', b'{"uscc":"a"} // c', b"{'uscc':'a'}", b'{uscc:"a"}',
         b'{"uscc":"\\u0001\\u0000x"}', b'{"uscc":"a\\x"}', b'{"uscc":"\\uD83D\\uDE00"}', b'{"uscc":"a\\"}"}']


def outcome(read: Callable[[], list[rows.Row]]) -> object:
    try:
        return read()
    except ExchangeError as exc:
        return (exc.code, exc.message)
    except (UnicodeDecodeError, ValueError) as exc:
        return type(exc).__name__


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=40, deadline=None)
@given(found=ROWS)
def test_every_format_reads_the_same_rows(fmt: str, found: list[dict[str, str | None]]):
    for encoding in ("utf-8-sig", "gb18030") if fmt == "csv" else ("utf-8",):
        data = rows.write(fmt, "organizations", COLUMNS, found, encoding)
        fast = rows_bulk.read(fmt, "organizations", COLUMNS, data, encoding)
        assert fast == rows.read(fmt, "organizations", COLUMNS, data, encoding)
        assert [list(r) for r in fast] == [list(COLUMNS)] * len(fast)  # every column, in the package's order


@settings(max_examples=300, deadline=None)
@given(found=ROWS, spoil=st.lists(st.tuples(st.integers(0, 7), st.sampled_from(LINES), st.booleans()), max_size=3),
       end=st.sampled_from([b"", b"\n", b"\n\n", b"\r\n"]))
def test_json_lines_spoiled_are_read_or_refused_the_same(found: list[dict[str, str | None]],
                                                        spoil: list[tuple[int, bytes, bool]], end: bytes):
    lines = rows.write("jsonl", "organizations", COLUMNS, found).splitlines()
    for at, line, replace in spoil:
        at = min(at, len(lines))
        if replace and at < len(lines):
            lines[at] = line
        else:
            lines.insert(at, line)
    data = b"\n".join(lines) + (end if lines else b"")
    assert outcome(lambda: rows_bulk.read("jsonl", "organizations", COLUMNS, data)) == \
        outcome(lambda: rows.read("jsonl", "organizations", COLUMNS, data))


@pytest.mark.parametrize("data", [b"uscc,name\n", b"name,uscc\n", b"uscc,name\nx\n", b"uscc,name\nx,y,z\n",
                                  b"uscc,name\n\n", b'uscc,name\n"a\nb",\n', b"uscc,name\r\nx,\r\n", b"",
                                  b'uscc,name\n"a"b,c\n'])
def test_csv_spoiled_is_read_or_refused_the_same(data: bytes):
    assert outcome(lambda: rows_bulk.read("csv", "organizations", ("uscc", "name"), data)) == \
        outcome(lambda: rows.read("csv", "organizations", ("uscc", "name"), data))


def test_columns_twice_are_read_as_rows_read_reads_them():
    data = b'{"uscc":"a"}\n'
    assert rows_bulk.read("jsonl", "organizations", ("uscc", "uscc"), data) == \
        rows.read("jsonl", "organizations", ("uscc", "uscc"), data)


def test_parquet_that_is_not_text_is_read_as_rows_read_reads_it():
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.table({"uscc": pa.array(["a", ""]), "name": pa.array([1, None])}), sink)
    data = sink.getvalue()
    assert rows_bulk.read("parquet", "organizations", ("uscc", "name"), data) == \
        rows.read("parquet", "organizations", ("uscc", "name"), data) == [{"uscc": "a", "name": "1"},
                                                                          {"uscc": None, "name": None}]
    assert outcome(lambda: rows_bulk.read("parquet", "organizations", ("name", "uscc"), data)) == \
        outcome(lambda: rows.read("parquet", "organizations", ("name", "uscc"), data))
    sink = io.BytesIO()
    pq.write_table(pa.table({"uscc": pa.array(["a", "", None], pa.large_string()),
                             "name": pa.array(["", "b", None], pa.string())}), sink)
    data = sink.getvalue()
    found, cells = rows_bulk.read_cells("parquet", "organizations", ("uscc", "name"), data)
    assert isinstance(found, rows_bulk.Rows) and cells is None  # held as arrays, checked column by column
    assert found == rows.read("parquet", "organizations", ("uscc", "name"), data)
    assert found.cells == [["a", None, None], [None, "b", None]]


GOOD = codes(40, seed=3)
#: Values of every kind for every column: good ones, and ones each rule refuses.
MUTATIONS = [None, "", " ", "1", "7", "01", "CNY", "cny", "20200101", "2020-01-01", "2020010", "123.45",
             "1.123456789", "12345678901234567", "X" * 201, "某" * 200, "某" * 201, "110105", "11010", "１１０１０５",
             "12345678X", "1234567x", "91130102MA0000000X", GOOD[0], GOOD[1], GOOD[1].lower(), " " + GOOD[2], "abc"]
ALL = ("uscc", *(n for n in elements.COLUMN_ORDER if n != "uscc"))


def _good_row(rng: random.Random, i: int) -> rows.Row:
    return {"uscc": GOOD[i % len(GOOD)] if rng.random() < 0.3 else GOOD[rng.randrange(len(GOOD))],
            "name": "某公司", "status": "1", "established": "20200101", "registered_capital": "100",
            "currency": "CNY", "orgcode": GOOD[0][8:17], "address_division": "130102", "legal_rep": None}


@pytest.mark.parametrize("seed", range(8))
def test_the_fast_check_finds_the_problems_check_organizations_finds(seed: int):
    rng = random.Random(seed)
    columns = ALL if seed % 2 else (*COLUMNS, "legal_rep")
    found: list[rows.Row] = []
    for i in range(300):
        row = {c: v for c, v in _good_row(rng, i).items() if c in columns} | dict.fromkeys(
            (c for c in columns if c not in COLUMNS), None)
        for _ in range(rng.choice((0, 0, 0, 1, 2, 3))):
            row[rng.choice(columns)] = rng.choice(MUTATIONS)
        found.append(row)
    slow = rows.check_organizations(found, columns)
    assert rows_bulk.check_organizations(found, columns) == slow
    cells = [[r.get(c) for r in found] for c in columns]
    assert rows_bulk.check_organizations(found, columns, cells) == slow
    assert rows_bulk.check_organizations(_arrays(found, columns), columns) == slow  # held as pyarrow reads them
    assert slow  # the rows had something to say


def _arrays(found: list[rows.Row], columns: tuple[str, ...]) -> rows_bulk.Rows:
    import pyarrow as pa

    return rows_bulk.Rows(columns, arrays=[pa.array([r.get(c) for r in found], pa.string()) for c in columns])


@settings(max_examples=100, deadline=None)
@given(found=st.lists(st.fixed_dictionaries({c: st.one_of(st.none(), st.sampled_from(MUTATIONS), TEXT)
                                             for c in COLUMNS}), max_size=12))
def test_the_fast_check_agrees_on_any_rows(found: list[rows.Row]):
    slow = rows.check_organizations(found, COLUMNS)
    assert rows_bulk.check_organizations(found, COLUMNS) == slow
    assert rows_bulk.check_organizations(_arrays(found, COLUMNS), COLUMNS) == slow


def test_columns_that_are_not_the_elements_are_the_one_problem():
    assert rows_bulk.check_organizations([{"uscc": "x"}], ("uscc", "nickname")) == \
        rows.check_organizations([{"uscc": "x"}], ("uscc", "nickname"))
    assert rows_bulk.check_organizations([], ("name",)) == rows.check_organizations([], ("name",))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_file_as_the_writer_writes_it_is_read_by_the_fast_path(fmt: str, monkeypatch: pytest.MonkeyPatch):
    found = [{"uscc": code, "name": f"某公司{i}", "status": None if i % 2 else "1", "established": "20200101",
              "registered_capital": "1.5", "currency": None, "orgcode": code[8:17], "address_division": "130102"}
             for i, code in enumerate(GOOD)]
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
    data = rows.write(fmt, "organizations", COLUMNS, found, encoding)
    expected = rows.read(fmt, "organizations", COLUMNS, data, encoding)
    monkeypatch.setattr(rows, "read", None)  # the fast path alone
    taken, cells = rows_bulk.read_cells(fmt, "organizations", COLUMNS, data, encoding)
    assert taken == expected == found
    assert rows_bulk.check_organizations(taken, COLUMNS, cells) == []


GOOD_VERSION: rows.Row = dict.fromkeys(rows.CREDIT_COLUMNS) | dict.fromkeys(rows.CREDIT_REQUIRED, "x") | {
    "version": "1", "at": "2026-06-01T00:00:00.000000Z", "received": "2026-06-01T00:00:00Z",
    "values": '{"CF_WSH":"冀罚〔2026〕1号"}', "subject_type": "organization", "subject_key": "x", "subject_code": "x",
    "status": "in_force", "action": "created", "decided_on": "2026-05-20", "severity": "general"}
CREDIT_MUTATIONS = [None, "", " ", "0", "1", "2", "-1", "１", "01", "1.5", "2026-06-01", "2026-06-01T25:00:00Z",
                    "yesterday", "2026-06-01T00:00:00+08:00", "20260601T000000Z", "{}", "[]", "null", '{"a":1}',
                    '{"a":"b"} ', ' {"a":"b"}', '{"a":"b"}{"c":"d"}', '{"a":"b"', '{"a":["b"]}', '{"a":"b","a":2}',
                    '{"a":"b","a":"c"}', '"text"', "id-1", "id-2", "x", "organization",
                    "natural_person", "individual_business", "P:x", "130102198505059977", "in_force", "revoked",
                    "created", "corrected", "general", "P:" + "0" * 40, "JJJ-03-001"]


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_check_finds_the_problems_check_credit_finds(seed: int):
    rng = random.Random(seed)
    found: list[rows.Row] = []
    for i in range(300):
        row = dict(GOOD_VERSION, id=f"id-{rng.randrange(60)}", version=str(1 + i % 3))
        if rng.random() < 0.1:  # a withdrawal
            row = dict.fromkeys(rows.CREDIT_COLUMNS) | {c: row[c] for c in rows.WITHDRAWAL}
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            row[rng.choice(rows.CREDIT_COLUMNS)] = rng.choice(CREDIT_MUTATIONS)
        found.append(row)
    slow = rows.check_credit(found)
    assert rows_bulk.check_credit(found) == slow
    cells = [[r.get(c) for r in found] for c in reversed(rows.CREDIT_COLUMNS)]
    assert rows_bulk.check_credit(found, tuple(reversed(rows.CREDIT_COLUMNS)), cells) == slow
    assert slow


@settings(max_examples=100, deadline=None)
@given(found=st.lists(st.fixed_dictionaries({c: st.one_of(st.none(), st.sampled_from(CREDIT_MUTATIONS), TEXT)
                                             for c in rows.CREDIT_COLUMNS}), max_size=10))
def test_the_fast_credit_check_agrees_on_any_rows(found: list[rows.Row]):
    assert rows_bulk.check_credit(found) == rows.check_credit(found)


def test_credit_versions_as_the_writer_writes_them_are_read_and_checked_by_the_fast_path():
    found = [dict(GOOD_VERSION, id=f"id-{i}") for i in range(20)] + [
        dict.fromkeys(rows.CREDIT_COLUMNS) | {c: GOOD_VERSION[c] for c in rows.WITHDRAWAL} | {"id": "id-20"}]
    for fmt in ("jsonl", "parquet"):
        data = rows.write(fmt, "credit_records", rows.CREDIT_COLUMNS, found)
        taken, cells = rows_bulk.read_cells(fmt, "credit_records", rows.CREDIT_COLUMNS, data)
        assert cells is not None and taken == found
        assert rows_bulk.check_credit(taken, rows.CREDIT_COLUMNS, cells) == []
