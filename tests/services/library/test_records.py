from __future__ import annotations

import datetime
import decimal
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import uscc
from jjjcredit.core.library import crosswalks as core_crosswalks
from jjjcredit.core.library import elements, records
from jjjcredit.core.library.records import LayoutError
from jjjcredit.services.library import crosswalks
from jjjcredit.services.library import records as records_service
from jjjcredit.services.tabular import readers
from jjjcredit.services.tabular.files import InputFileError
from tests.services.record_files import WRITERS, code, write_csv, write_xlsx

STANDARD = core_crosswalks.standard()


def run(path: Path, source: str = "standard", **kw) -> tuple[records_service.Summary, list[records.Problem]]:
    summary = records_service.Summary()
    problems = list(records_service.check_file(str(path), crosswalks.load(source), summary, **kw))
    return summary, problems


def test_a_department_file_in_its_own_layout_and_encoding(tmp_path: Path):
    header = ["统一社会信用代码", "企业名称", "成立日期", "注册资本(万元)", "登记状态", "企业住所", "备注"]
    rows = [
        [code(1), "河北甲建筑有限公司", "2019年3月5日", "500", "存续（在营、开业、在册）", "石家庄市长安区", ""],
        [f"{code(2)[:8]} {code(2)[8:]}", "河北乙商贸有限公司", "43529", "1,000万元", "吊销，未注销", "保定市", "x"],
        [code(3, region="110105"), "北京丙公司", "2019/3/5", "10", "注销", "北京市", ""],
        [code(4), "河北丁公司", "2019-02-30", "十万", "歇业", "廊坊市", ""],
        [code(1), "重复", "20190305", "1", "1", "", ""],
    ]
    summary, problems = run(write_csv(tmp_path / "hebei.csv", header, rows, "gb18030"), "hebei/market-regulation")
    assert (summary.rows, summary.valid, summary.warnings, summary.rejected) == (5, 2, 1, 2)
    assert summary.encoding == "gb18030" and summary.format == "csv" and summary.ignored == ("备注",)
    assert summary.columns["注册资本(万元)"] == "registered_capital"
    assert [(p.row, p.field, p.code) for p in problems] == [
        (4, "统一社会信用代码", "record.source_region"),
        (5, "成立日期", "record.date"), (5, "注册资本(万元)", "record.amount"),
        (6, "统一社会信用代码", "record.duplicate"),
    ]
    assert summary.by_code == {"record.source_region": 1, "record.date": 1, "record.amount": 1, "record.duplicate": 1}


def test_every_packaged_layout_reads_a_file_with_its_own_headers(tmp_path: Path):
    for source in core_crosswalks.source_ids():
        cw = crosswalks.load(source)
        seen: set[str] = set()
        header = [c.header for c in cw.columns if not (c.element in seen or seen.add(c.element))]
        region = core_crosswalks.REGIONS[cw.region][0] + "0102"
        row = {"uscc": uscc.generate(random.Random(1), cw.department_code, None, region),
               "name": "某某单位"}
        cells = [row.get(next(c.element for c in cw.columns if c.header == h), "") for h in header]
        path = write_csv(tmp_path / f"{cw.region}-{cw.department}.csv", header, [cells], cw.encoding)
        summary, problems = run(path, source)
        assert (summary.rows, summary.valid) == (1, 1), (source, problems)
        assert summary.ignored == ()


def test_a_file_missing_a_required_column_is_refused_before_any_row(tmp_path: Path):
    path = write_csv(tmp_path / "f.csv", ["企业名称", "成立日期", "备注"], [["甲", "2019", ""]])
    summary = records_service.Summary()
    problems = records_service.check_file(str(path), crosswalks.load("hebei/market-regulation"), summary)
    with pytest.raises(LayoutError) as info:
        next(problems)
    assert info.value.code == "file.missing_column"
    assert '"企业名称", "成立日期", "备注"' in info.value.message and "统一社会信用代码" in info.value.message
    assert summary.rows == 0


@pytest.mark.parametrize("kind", ["csv", "xlsx", "jsonl", "xml"])
def test_every_format_gives_the_same_problems(tmp_path: Path, kind):
    header = ["统一社会信用代码", "机构名称", "成立日期", "注册资金", "状态"]
    rows = [[code(1), "甲", "2019-03-05", "500", "存续"], [code(2)[:-1], "乙", "2019-02-30", "x", "?"],
            [code(1), "丙", "20190305", "1", "1"]]
    summary, problems = run(WRITERS[kind](tmp_path / f"f.{kind}", header, rows))
    assert (summary.rows, summary.valid, summary.rejected, summary.format) == (3, 1, 2, kind)
    offset = {"csv": 1, "xlsx": 1, "jsonl": 0, "xml": 0}[kind]
    assert [(p.row - offset, p.code) for p in problems] == [
        (2, "uscc.length"), (2, "record.date"), (2, "record.amount"), (2, "record.value"), (3, "record.duplicate")]


def test_small_chunks_give_the_same_answers(tmp_path: Path):
    header = ["统一社会信用代码", "机构名称", "成立日期"]
    rows = [[code(i % 7), f"名{i}", "2019-02-30" if i % 5 == 0 else "2019-03-05"] for i in range(40)]
    path = write_csv(tmp_path / "f.csv", header, rows)
    whole = run(path)
    for size in (1, 3, 16):
        summary, problems = run(path, chunk_rows=size)
        assert problems == whole[1]
        assert summary.to_dict() == whole[0].to_dict()


def test_bad_input_is_located_and_no_row_is_dropped(tmp_path: Path):
    header = ["统一社会信用代码", "机构名称", "成立日期"]
    lines = [",".join(header).encode(), f"{code(1)},甲,2019-03-05".encode(), f"{code(2)},乙".encode(),
             f"{code(3)},河北丙公司,2019-03-05".encode("gb18030"), b"", f"{code(4)},丁,2019,x".encode(),
             f'{code(5)},"戊,2019-03-05'.encode(), f"{code(6)},己,2019-03-05".encode()]
    path = tmp_path / "f.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary, problems = run(path)
    assert [(p.row, p.code) for p in problems] == [(3, "record.ragged"), (4, "record.encoding"),
                                                   (6, "record.ragged"), (7, "record.ragged")]
    assert summary.rows + summary.blank == len(lines) - 1 - 1  # the last quote swallowed one line, and said so
    assert summary.rows == summary.valid + summary.warnings + summary.rejected
    assert "河北丙公司" in problems[1].value  # shown in its own encoding


def test_a_five_megabyte_cell(tmp_path: Path):
    """15 MB on one line: over the line limit (1 MiB by default), skipped unread, the row rejected, the
    rest read and counted."""
    rows = [[code(1), "名" * 5_000_000], [code(2), "乙"], [code(3), "名" * 40_000]]
    path = write_csv(tmp_path / "f.csv", ["统一社会信用代码", "机构名称"], rows)
    summary, problems = run(path)
    assert (summary.rows, summary.valid, summary.rejected) == (3, 1, 2)
    first, third = problems
    assert (first.row, first.field, first.code) == (2, "", "record.too_long") and first.value == ""
    assert "holds 15,000,0" in first.message and len(first.message) < 300
    assert (third.row, third.code) == (4, "record.too_long") and '"机构名称"' in third.message, "a cell over 32,768"


def test_empty_file_headers_only_and_truncated_xlsx(tmp_path: Path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError) as info:
        run(empty)
    assert info.value.code == "file.empty"
    headers_only = write_csv(tmp_path / "h.csv", ["统一社会信用代码", "机构名称"], [])
    summary, problems = run(headers_only)
    assert (summary.rows, problems) == (0, [])
    book = write_xlsx(tmp_path / "f.xlsx", ["统一社会信用代码", "机构名称"], [[code(i), "甲"] for i in range(50)])
    book.write_bytes(book.read_bytes()[:-100])
    with pytest.raises(InputFileError) as info:
        run(book)
    assert info.value.code == "file.xlsx_damaged"


TEXT = st.text(st.characters(categories=("L", "N", "P", "S"), exclude_characters="=\x85\u2028\u2029"),
               min_size=1, max_size=40)
ELEMENTS = ["uscc", "name", "established", "registered_capital", "status", "address"]


@st.composite
def organization(draw) -> dict[str, str]:
    rng = random.Random(draw(st.integers(0, 10**9)))
    day = draw(st.dates(datetime.date(1950, 1, 1), datetime.date(2030, 12, 31)))
    capital = draw(st.decimals(0, 10**9, places=4, allow_nan=False, allow_infinity=False))
    return {
        "uscc": uscc.generate(rng, "9", "1", "130102"),
        "name": draw(TEXT),
        "established": f"{day:%Y%m%d}",
        "registered_capital": f"{capital:f}",
        "status": draw(st.sampled_from(["1", "2", "3", "4", "9"])),
        "address": draw(TEXT),
    }


def _same_amount(record: dict[str, str]) -> dict[str, object]:
    return {**record, "registered_capital": decimal.Decimal(record["registered_capital"])}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(organization(), min_size=1, max_size=8, unique_by=lambda r: r["uscc"]),
       st.sampled_from(sorted(WRITERS)))
def test_records_written_then_read_round_trip(tmp_path: Path, organizations, kind):
    header = [elements.BY_NAME[name].zh for name in ELEMENTS]
    path = WRITERS[kind](tmp_path / f"round.{kind}", header, [[o[n] for n in ELEMENTS] for o in organizations])
    read: list[dict[str, str] | None] = []
    with readers.open_table(str(path)) as table:
        checker = records.Checker(records.bind(STANDARD, table.header, table.name), keep_records=True)
        for chunk in table.chunks:
            batch = checker.check_columns(chunk.first_row, chunk.size, chunk.columns, chunk.issues, chunk.stripped,
                                          chunk.longest)
            assert batch.problems == []
            read += batch.records or []
    assert [_same_amount(r) for r in read if r is not None] == [_same_amount(o) for o in organizations]
