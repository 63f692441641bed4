from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.errors import Severity
from jjjcredit.core.library import crosswalks, records
from jjjcredit.core.library.records import Checker, LayoutError, Problem

HEBEI = crosswalks.parse(
    "source: hebei/market-regulation\ntitle: 河北\ncolumns:\n  统一社会信用代码: uscc\n  企业名称: name\n"
    "  组织机构代码: orgcode\n  成立日期: {element: established, transform: date}\n"
    "  注册资本(元): {element: registered_capital, transform: capital_yuan}\n"
    "  登记状态: {element: status, transform: status_words}\n  法定代表人证件类型: legal_rep_id_type\n"
    "  法定代表人证件号码: legal_rep_id_number\n  联系人: contact\n  住所行政区划: address_division\n", "hebei.yaml")
HEADER = ["统一社会信用代码", "企业名称", "成立日期", "注册资本(元)", "登记状态"]
GOOD = "91130100MA0CXXXX1"


def code(seed: int = 1, region: str = "130102", department: str = "9") -> str:
    return uscc.generate(random.Random(seed), department, None, region)


def check(rows, header=HEADER, crosswalk=HEBEI, first_row=2, **kw):
    checker = Checker(records.bind(crosswalk, header, "f.csv"), **kw)
    return checker.check(first_row, rows)


def codes_of(batch):
    return [(p.row, p.field, p.code) for p in batch.problems]


def test_a_clean_row_is_valid_and_normalized():
    batch = check([[code(), "河北甲有限公司", "2019年3月5日", "5,000,000", "在营"]], keep_records=True)
    assert (batch.rows, batch.valid, batch.warnings, batch.rejected) == (1, 1, 0, 0)
    assert batch.problems == []
    assert batch.records == [{"uscc": code(), "name": "河北甲有限公司", "established": "20190305",
                              "registered_capital": "500", "status": "1"}]


def test_every_problem_of_a_row_is_reported_in_column_order():
    batch = check([["91130100MA0C", "", "2019-02-30", "五百万", "活着"]])
    assert codes_of(batch) == [(2, "统一社会信用代码", "uscc.length"), (2, "企业名称", "record.required"),
                               (2, "成立日期", "record.date"), (2, "注册资本(元)", "record.amount"),
                               (2, "登记状态", "record.value")]
    assert batch.rejected == 1


def test_problems_quote_the_value_and_name_the_field_as_written():
    batch = check([[code(), "某公司", "2019-13-01", "", ""]])
    (p,) = batch.problems
    assert p == Problem(2, "成立日期", "record.date", p.message, "2019-13-01", Severity.ERROR)
    assert '"2019-13-01"' in p.message and "month 13" in p.message


def test_code_findings_suggestions_and_compaction():
    mistyped = code()[:17] + ("0" if code()[17] != "0" else "1")
    batch = check([[f" {code().lower()[:8]}-{code()[8:]} ", "甲", "", "", ""], [mistyped, "乙", "", "", ""]],
                  keep_records=True)
    assert batch.records[0]["uscc"] == code()
    (p,) = batch.problems
    assert p.code == "uscc.checksum" and p.row == 3 and "Did you mean" in p.message


def test_suggestions_are_limited_per_file():
    bad = [[code(i)[:17] + ("0" if code(i)[17] != "0" else "1"), "甲", "", "", ""] for i in range(3)]
    batch = check(bad, suggestions=1)
    assert ["Did you mean" in p.message for p in batch.problems] == [True, False, False]


def test_pilot_codes_and_unknown_regions_are_warnings_not_rejections():
    batch = check([["91350211M0000XUF46", "厦门某公司", "", "", ""]])
    assert batch.warnings == 1 and batch.rejected == 0
    assert {p.code for p in batch.problems} == {"uscc.pilot_checksum", "record.source_region"}
    assert all(p.severity is Severity.WARNING for p in batch.problems)


def test_department_and_region_of_the_code_against_the_source_are_warnings():
    beijing_civil = code(region="110105", department="5")
    batch = check([[beijing_civil, "北京某协会", "", "", ""], [code(), "河北某公司", "", "", ""]])
    assert codes_of(batch) == [(2, "统一社会信用代码", "record.source_department"),
                               (2, "统一社会信用代码", "record.source_region")]
    assert (batch.valid, batch.warnings, batch.rejected) == (1, 1, 0)
    assert "民政" in batch.problems[0].message and "北京" in batch.problems[1].message


def test_national_level_codes_raise_no_region_warning():
    batch = check([[code(region="100000"), "某集团", "", "", ""]])
    assert batch.problems == []


def test_the_standard_layout_checks_no_source_agreement():
    batch = check([[code(region="110105", department="5"), "协会"]], header=["uscc", "name"],
                  crosswalk=crosswalks.standard())
    assert batch.problems == [] and batch.valid == 1


def test_duplicates_inside_the_file_across_batches():
    checker = Checker(records.bind(HEBEI, HEADER, "f.csv"))
    first = checker.check(2, [[code(1), "甲", "", "", ""], [code(2), "乙", "", "", ""], [code(1), "丙", "", "", ""]])
    second = checker.check(5, [[code(2).lower(), "丁", "", "", ""]])
    assert codes_of(first) == [(4, "统一社会信用代码", "record.duplicate")]
    assert "row 2" in first.problems[0].message
    assert codes_of(second) == [(5, "统一社会信用代码", "record.duplicate")]
    assert "row 3" in second.problems[0].message


def test_organization_code_must_agree_with_the_code():
    header = ["统一社会信用代码", "企业名称", "组织机构代码"]
    other = code(7)
    batch = check([[code(), "甲", f"{code()[8:16]}-{code()[16]}"], [code(2), "乙", other[8:17]],
                   [code(3), "丙", "12345678-0"]], header=header)
    assert codes_of(batch) == [(3, "组织机构代码", "record.orgcode_mismatch"), (4, "组织机构代码", "orgcode.checksum")]


def test_identity_numbers_are_checked_and_never_echoed_whole():
    header = ["统一社会信用代码", "企业名称", "法定代表人证件类型", "法定代表人证件号码", "联系人"]
    wrong = "110105194912310021"
    batch = check([[code(), "甲", "身份证", wrong, "张三丰" * 40]], header=header)
    found = {p.code: p for p in batch.problems}
    assert set(found) == {"ric.checksum", "record.length"}
    for p in batch.problems:
        assert wrong not in p.message and wrong not in p.value
        assert "张三丰张" not in p.message and "张三丰张" not in p.value
    assert found["ric.checksum"].value == ric.mask(wrong)


def test_a_telephone_is_personal_data_never_echoed_whole():
    header = ["统一社会信用代码", "企业名称", "联系电话"]
    phone = "0311-86001234-5678-9999"  # longer than the element allows
    batch = check([[code(), "甲", phone]], header=header)
    assert [p.code for p in batch.problems] == ["record.length"]
    assert phone not in batch.problems[0].message and phone not in batch.problems[0].value


def test_a_resident_identity_number_in_the_code_column_is_masked():
    person = "11010519491231002X"
    batch = check([[person, "某人", "", "", ""]])
    assert batch.problems
    for p in batch.problems:
        assert person not in p.value and person not in p.message


def test_passport_numbers_are_not_checked_as_identity_cards():
    header = ["统一社会信用代码", "企业名称", "法定代表人证件类型", "法定代表人证件号码"]
    batch = check([[code(), "甲", "护照", "E12345678"]], header=header)
    assert batch.problems == []


def test_division_codes_unknown_to_the_tables_are_warnings():
    header = ["统一社会信用代码", "企业名称", "住所行政区划"]
    batch = check([[code(), "甲", "130199"], [code(2), "乙", "130102000000"], [code(3), "丙", "13010"]],
                  header=header, keep_records=True)
    assert codes_of(batch) == [(2, "住所行政区划", "record.division_unknown"), (4, "住所行政区划", "record.length")]
    assert batch.records[1]["address_division"] == "130102"
    assert (batch.valid, batch.warnings, batch.rejected) == (1, 1, 1)


def test_ragged_rows_are_rejected_and_located_blank_rows_counted_apart():
    batch = check([[code(), "甲", "", "", ""], [code(2), "乙", "x"], [], ["", "", "", "", ""],
                   [code(3), "丙", "", "", "", "extra"]])
    assert codes_of(batch) == [(3, "", "record.ragged"), (6, "", "record.ragged")]
    assert "2 cells" not in batch.problems[0].message and "3 cells but the header has 5" in batch.problems[0].message
    assert (batch.rows, batch.blank, batch.valid, batch.rejected) == (3, 2, 1, 2)


def test_row_issues_from_a_reader_reject_the_row_with_that_problem_only():
    checker = Checker(records.bind(HEBEI, HEADER, "f.csv"))
    batch = checker.check(10, [[code(), "甲", "", "", ""], []], {1: ("record.encoding", "Not UTF-8.", "乱码")})
    assert codes_of(batch) == [(11, "", "record.encoding")]
    assert (batch.rows, batch.valid, batch.rejected, batch.blank) == (2, 1, 1, 0)


def test_long_values_are_cut_short_in_problems():
    batch = check([[code(), "名" * 5_000_000, "", "", ""]])
    (p,) = batch.problems
    assert p.code == "record.length" and len(p.value) < 300 and len(p.message) < 300
    assert "5,000,000 characters" in p.message


@pytest.mark.parametrize(("headers", "code", "fragment"), [
    (["企业名称", "成立日期"], "file.missing_column", '"统一社会信用代码" or "uscc"'),
    (["统一社会信用代码", "企业名称", "机构名称"], "file.duplicate_column", '"企业名称" and "机构名称"'),
    ([], "file.missing_column", "The file's columns are none"),
])
def test_bind_refuses_missing_and_doubled_columns(headers, code, fragment):
    with pytest.raises(LayoutError) as info:
        records.bind(HEBEI, headers, "f.csv")
    assert info.value.code == code
    assert fragment in info.value.message


def test_missing_column_message_lists_what_the_file_has():
    with pytest.raises(LayoutError) as info:
        records.bind(HEBEI, ["名称", "代码", "备注"], "f.csv")
    message = info.value.message
    assert '"名称", "代码", "备注"' in message and "hebei/market-regulation" in message
    assert "统一社会信用代码 (uscc), 机构名称 (name)" in message


def test_required_columns_from_the_crosswalk():
    cw = crosswalks.parse("source: hebei/trade-unions\ncolumns:\n  代码: uscc\n  名称: name\n"
                          "  职工人数: {element: employees, required: true}\n", "x")
    with pytest.raises(LayoutError, match="职工人数"):
        records.bind(cw, ["代码", "名称"], "f.csv")
    checker = Checker(records.bind(cw, ["代码", "名称", "职工人数"], "f.csv"))
    batch = checker.check(2, [[code(region="130102", department="8"), "工会", ""]])
    assert codes_of(batch) == [(2, "职工人数", "record.required")]


def test_headers_without_a_column_are_listed_as_ignored():
    layout = records.bind(HEBEI, ["序号", "统一社会信用代码", "", "企业名称"], "f.csv")
    assert layout.ignored == ("序号", "column 3 (no header)")
    assert [b.index for b in layout.columns] == [1, 3]


def test_validate_record_with_element_names():
    values, problems = records.validate_record({"uscc": code(), "name": "某", "status": "吊销"})
    assert values["status"] == "3" and problems == []
    values, problems = records.validate_record({"name": "某"})
    assert [p.code for p in problems] == ["record.required"]


ROW = st.tuples(st.sampled_from([code(i) for i in range(5)] + ["", "9113", "11010519491231002X"]),
                st.sampled_from(["甲", "", " 乙 "]), st.sampled_from(["20190305", "2019-02-30", "", "43529"]),
                st.sampled_from(["100", "-1", "x", ""]), st.sampled_from(["存续", "?", ""]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(ROW.map(list), st.just([]), st.lists(st.just("x"), max_size=7)), max_size=30),
       st.integers(1, 7))
def test_every_row_is_counted_exactly_once(rows, size):
    checker = Checker(records.bind(HEBEI, HEADER, "f.csv"))
    totals = [0, 0, 0, 0, 0]
    for start in range(0, len(rows), size):
        b = checker.check(2 + start, rows[start:start + size])
        assert b.rows == b.valid + b.warnings + b.rejected
        assert b.rows + b.blank == len(rows[start:start + size])
        assert [p.row for p in b.problems] == sorted(p.row for p in b.problems)
        rejected_rows = {p.row for p in b.problems if p.severity is Severity.ERROR}
        assert len(rejected_rows) == b.rejected
        totals = [t + x for t, x in zip(totals, (b.rows, b.valid, b.warnings, b.rejected, b.blank), strict=True)]
    assert totals[0] == totals[1] + totals[2] + totals[3]
    assert totals[0] + totals[4] == len(rows)

