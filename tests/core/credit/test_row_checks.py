"""Credit record rows checked against their catalogue item (core/credit/row_checks.py): pure."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest

from jjjcredit.core.credit import catalogue, columns, layouts, records, row_checks
from tests.core.credit.penalty_rows import CODE, LAYOUT, PENALTY, TODAY, check, codes_of
from tests.services.credit import credit_files as files


def test_a_good_penalty_is_a_record_of_an_organization():
    checked = check()
    assert checked.problems == ()
    record = checked.record
    assert record is not None
    assert (record.key, record.subject_type, record.subject_code, record.severity) == \
        ("石市监罚〔2026〕1号", "organization", CODE, "general")
    assert (record.decided_on, record.valid_until) == (datetime.date(2026, 5, 20), datetime.date(2027, 5, 19))
    assert record.values["CF_NR_FK"] == "2"


@pytest.mark.parametrize(("changes", "code"), [
    ({"处罚决定日期": "2026-02-30"}, "record.date"),
    ({"处罚决定日期": "2026-07-01", "处罚有效期": "2027-07-01"}, "credit.future_date"),
    ({"处罚有效期": "2026-05-19"}, "credit.valid_until_before"),
    ({"处罚类别": "罚金"}, "record.value"),
    ({"行政相对人类别": "公司"}, "record.value"),
    ({"失信严重程度": "特别严重"}, "record.value"),
    ({"罚款金额（万元）": "两万"}, "record.amount"),
    ({"罚款金额（万元）": "-1"}, "record.amount"),
    ({"罚款金额（万元）": "110102198710019970"}, "record.amount"),  # an identity number is no fine
    ({"罚款金额（万元）": "13812345678"}, "record.amount"),  # nor a mobile number
    ({"罚款金额（万元）": ""}, "record.required"),  # the category names a fine
    ({"违法事实": ""}, "record.required"),
    ({"法定代表人": ""}, "record.required"),  # required of an organization
    ({"统一社会信用代码": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}, "credit.subject_code"),
    ({"处罚机关统一社会信用代码": "11130100MABJ1XG600"}, "credit.authority_code"),
    # a valid identity number that passes a code's checks too, as an authority's or a data source's code
    ({"处罚机关统一社会信用代码": "130102198505010719"}, "credit.code_is_identity"),
    ({"数据来源单位统一社会信用代码": "130102198505010719"}, "credit.code_is_identity"),
    ({"统一社会信用代码": ""}, "credit.subject_missing"),
    ({"行政处罚决定书文号": "文" * 129}, "record.length"),
])
def test_each_rule_refuses_the_row_with_its_code(changes: dict[str, str], code: str):
    checked = check(**changes)
    assert checked.record is None
    assert code in codes_of(checked)
    assert all(p.row == 2 for p in checked.problems)


def test_a_line_break_is_kept_in_prose_and_refused_in_a_one_line_value():
    """A cell typed over several lines (Alt+Enter; a CSV's quoted field with a line end in it) is ordinary in
    the facts or the content: kept, a Windows line end as ``\\n``; in a name or a document number it says
    which field and what to do."""
    checked = check(违法事实="当事人销售过期食品。\r\n经查，货值金额500元。", 备注="第一行\n第二行")
    assert checked.problems == () and checked.record is not None
    assert checked.record.values["CF_SY"] == "当事人销售过期食品。\n经查，货值金额500元。"
    assert checked.record.values["BZ"] == "第一行\n第二行"
    for field in ("行政相对人名称", "行政处罚决定书文号", "处罚机关"):
        refused = check(**{field: "石家庄市\n云帆商贸有限公司"})
        assert refused.record is None and codes_of(refused) == ["credit.control_characters"]
        assert "line break" in refused.problems[0].message and "Alt+Enter" in refused.problems[0].message
    assert codes_of(check(违法事实="经查\u202e属实")) == ["credit.control_characters"]  # still refused in prose
    assert codes_of(check(违法事实="经查\x0b属实")) == ["credit.control_characters"]


def test_an_identity_number_a_spreadsheet_kept_as_a_number_is_refused_saying_so():
    """Typed into a number cell, an 18-digit number keeps 15 digits (``1.30104198005069E+17``): the message says
    the digits are lost and how to enter them, not that 19 characters are one too many."""
    for typed in ("1.3010419800506998e+17", "1.30104198005069E+17"):
        checked = check(行政相对人类别="自然人", 统一社会信用代码="", 法定代表人="", 证件类型="身份证", 证件号码=typed)
        assert codes_of(checked) == ["credit.identity_number"], checked.problems
        assert "as text" in checked.problems[0].message and "lost" in checked.problems[0].message
        assert "130104" not in json.dumps([p.value for p in checked.problems])


def test_a_personal_number_given_as_an_amount_is_refused_and_not_repeated():
    checked = check(**{"罚款金额（万元）": "110102198710019970"})
    assert checked.record is None and "110102198710019970" not in repr(checked.problems)


def test_a_natural_person_is_known_by_the_identity_number_which_no_problem_shows_in_clear():
    row = files.penalty(None, "石市监罚〔2026〕2号")
    record = row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 3, TODAY).record
    assert record is not None and record.subject_type == "natural_person"
    assert record.identity_number == files.person()
    assert files.person() not in record.values_text()  # values hold the number masked
    assert record.personal == {"CF_XDR_ZJHM": files.person()}
    bad = files.person()[:-1] + ("0" if files.person()[-1] != "0" else "1")
    row = files.penalty(None, "石市监罚〔2026〕3号", 证件号码=bad)
    checked = row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 4, TODAY)
    assert codes_of(checked) == ["credit.identity_number"]
    assert all(bad not in p.message and bad not in p.value for p in checked.problems)
    # a passport is kept as written, not checked as an identity card
    row = files.penalty(None, "石市监罚〔2026〕4号", 证件类型="护照", 证件号码="E12345678")
    assert row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 5, TODAY).record is not None



def test_an_identity_number_is_checked_under_every_common_spelling_of_the_identity_card():
    """Departments write the card type many ways; a number under any spelling of the resident identity card is
    checked as one, and one under another card type (a passport, a permit) is kept as written."""
    bad = files.person()[:-1] + ("0" if files.person()[-1] != "0" else "1")
    for n, card in enumerate(("二代身份证", "居民身份证号码", "身份证件", "中国居民身份证", "身份证号", "居民身份证",
                              "临时居民身份证", "１１１", " 身份证 ")):
        row = files.penalty(None, f"石市监罚〔2026〕{10 + n}号", 证件类型=card, 证件号码=bad)
        checked = row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 4, TODAY)
        assert codes_of(checked) == ["credit.identity_number"], card
    for card in ("港澳居民来往内地通行证", "外国人永久居留身份证", "台湾居民来往大陆通行证"):
        row = files.penalty(None, "石市监罚〔2026〕30号", 证件类型=card, 证件号码="H12345678")
        assert row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 5, TODAY).record is not None, card


def test_an_empty_card_type_is_said_to_be_empty_not_called_the_identity_card():
    """With 证件类型 empty, 证件号码 is read as a resident identity number: the message says so and asks for the
    card type, without repeating the number."""
    for number in ("E12345678", files.person()[:-1] + ("0" if files.person()[-1] != "0" else "1")):
        row = files.penalty(None, "石市监罚〔2026〕5号", 行政相对人名称="JOHN SMITH", 证件类型="", 证件号码=number)
        checked = row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 6, TODAY)
        assert codes_of(checked) == ["credit.identity_number"], checked.problems
        message = checked.problems[0].message
        assert "证件类型 is empty, so 证件号码 was read as a resident identity number" in message
        assert "give the card type (e.g. 护照)" in message and "when the card type is the identity card" not in message
        assert number not in message and number not in checked.problems[0].value

def test_a_severity_the_item_does_not_allow_and_a_missing_one():
    dishonest = catalogue.default_item("JJJ-04-002")  # the abnormal-operation list: general only
    assert dishonest.severities == ("general",)
    assert "credit.severity" not in codes_of(check(失信严重程度="严重"))  # penalties allow all three
    checked = check(失信严重程度="")
    assert checked.record is None and "record.required" in codes_of(checked)
    message = next(p.message for p in checked.problems if p.code == "record.required")
    assert "allows 轻微 (minor)、一般 (general)、严重 (serious) and" in message  # the words of the sheet


def test_a_severity_that_is_no_class_is_one_problem_not_also_a_missing_one():
    checked = check(失信严重程度="很严重")
    assert checked.record is None
    assert [(p.code, p.field) for p in checked.problems] == [("record.value", "失信严重程度")]


def test_a_rating_is_identified_by_the_taxpayer_and_the_year():
    rating = catalogue.default_item("JJJ-06-001")
    header = ["纳税人名称", "纳税人识别号", "评价年度", "信用级别", "评价机关"]
    layout = layouts.bind(rating, header, "a.csv")
    record = row_checks.check_row(layout, ["某公司", CODE, "2025", "a", "国家税务总局石家庄市税务局"], 2, TODAY).record
    assert record is not None and record.key == f"{CODE}/2025" and record.values["NS_JB"] == "A"


def _good_value(item: catalogue.Item, element: str) -> str:
    """A valid value for a field of ``item``, by its column's kind."""
    column = columns.COLUMNS[element]
    by_kind = {"date": "2026-05-20", "amount": "1.5", "uscc": CODE if column.role == "subject_code" else
               "11130100MABJ1XG604", "subject_category": "法人及非法人组织", "penalty_category": "警告",
               "licence_category": "普通", "licence_status": "0", "year": "2025", "tax_level": "A",
               "severity": {"minor": "轻微", "general": "一般", "serious": "严重"}[item.severities[0]]
               if item.severities else "", "identity_number": ""}
    if column.kind in by_kind:
        return by_kind[column.kind]
    if column.role == "valid_until":
        return "2099-12-31"
    return f"{column.name}值"[: column.max_length or None]


CREDIT_ITEMS = [i for i in catalogue.default_items() if i.kind != "basic"]


@pytest.mark.parametrize("item", CREDIT_ITEMS, ids=[i.code for i in CREDIT_ITEMS])
def test_every_default_item_accepts_a_good_row_and_refuses_each_required_field_empty(item: catalogue.Item):
    header = [f.name for f in item.fields]
    layout = layouts.bind(item, header, f"{item.code}.csv")
    good = [_good_value(item, f.element) for f in item.fields]
    for i in [i for i, f in enumerate(item.fields) if f.element.endswith("FRDB")]:
        good[i] = "王某"
    checked = row_checks.check_row(layout, good, 2, TODAY)
    assert checked.record is not None, [p.message for p in checked.problems]
    assert checked.record.subject_type in item.subject_types
    for i, f in enumerate(item.fields):
        if not f.required:
            continue
        row = list(good)
        row[i] = ""
        refused = row_checks.check_row(layout, row, 3, TODAY)
        assert refused.record is None and "record.required" in codes_of(refused), f.name


def test_an_item_that_does_not_cover_natural_persons_refuses_one():
    abnormal = catalogue.default_item("JJJ-04-002")
    assert "natural_person" not in abnormal.subject_types
    layout = layouts.bind(abnormal, [f.name for f in abnormal.fields], "a.csv")
    row = [_good_value(abnormal, f.element) for f in abnormal.fields]
    row[[f.element for f in abnormal.fields].index("YC_SHXYM")] = ""
    assert "credit.subject_missing" in codes_of(row_checks.check_row(layout, row, 2, TODAY))
    debtors = catalogue.default_item("JJJ-02-001")  # judgment debtors: persons by their number
    layout = layouts.bind(debtors, [f.name for f in debtors.fields], "b.csv")
    row = [_good_value(debtors, f.element) for f in debtors.fields]
    row[[f.element for f in debtors.fields].index("SX_SHXYM")] = ""
    row[[f.element for f in debtors.fields].index("SX_ZJHM")] = files.person()
    record = row_checks.check_row(layout, row, 2, TODAY).record
    assert record is not None and record.subject_type == "natural_person" and record.severity == "serious"


def test_a_value_quoted_in_a_message_is_masked_before_it_is_escaped():
    """A tab or zero-width character between a number's groups would be escaped (``\\t``) by the quoting,
    and the escape would hide the separator from the masking: masked first."""
    layout = layouts.bind(catalogue.default_item("JJJ-03-001"), list(records.SAMPLE_PENALTY), "p.csv")
    for category in ("自然人\t130102\t19850505\t9977", "自然人\u200b13812345678"):
        row = dict(records.SAMPLE_PENALTY, 行政相对人类别=category)
        checked = row_checks.check_row(layout, list(row.values()), 2, TODAY)
        told = json.dumps([p.to_dict() for p in checked.problems], ensure_ascii=False)
        assert [p.code for p in checked.problems] == ["record.value"]
        assert "19850505" not in told and "1234" not in told, told




@pytest.mark.parametrize(("written", "kept"), [
    ("10000元", "1"), ("1万元", "1"), ("1万", "1"), ("2,500元", "0.25"), ("１．５万元", "1.5"), ("0.01元", "0.000001"),
])
def test_a_fine_written_with_its_unit_is_read_in_wan_yuan_with_a_warning(written: str, kept: str):
    """罚款金额 is in 万元 (domain.md §7.1); a cell that says 元 or 万元 is read exactly, and a warning says how."""
    checked = check(**{"罚款金额（万元）": written})
    assert checked.record is not None and checked.record.values["CF_NR_FK"] == kept
    assert codes_of(checked) == ["credit.amount_unit"]
    message = checked.problems[0].message
    assert repr(written) in message and f"read as {kept} 万元" in message


def test_a_fine_in_yuan_finer_than_the_column_keeps_is_refused_with_the_number_to_write():
    checked = check(**{"罚款金额（万元）": "0.001元"})
    assert checked.record is None and codes_of(checked) == ["record.amount"]
    assert "万元" in checked.problems[0].message and "6 decimals" in checked.problems[0].message


def test_a_severity_the_item_does_not_allow_is_named_in_the_words_of_the_sheet():
    general_only = dataclasses.replace(PENALTY, severities=("general",))
    layout = layouts.bind(general_only, files.HEADER, "x.csv")
    row = files.penalty(CODE, "石市监罚〔2026〕1号", 失信严重程度="严重")
    refused = row_checks.check_row(layout, [row[h] for h in files.HEADER], 2, TODAY)
    message = next(p.message for p in refused.problems if p.code == "credit.severity")
    assert "allows 一般 (general), not '严重' (serious)." in message


@pytest.mark.parametrize("written", ["长期", "长期有效", "永久", "无固定期限"])
def test_an_open_ended_validity_written_in_words_is_the_national_formats_2099_12_31(written: str):
    """The national format writes an open-ended licence's valid-until 2099/12/31; departments write 长期."""
    licence = catalogue.default_item("JJJ-03-002")
    header = [f.name for f in licence.fields]
    cells = [_good_value(licence, f.element) if f.element != "XK_YXQZI" else written for f in licence.fields]
    record = row_checks.check_row(layouts.bind(licence, header, "l.csv"), cells, 2, TODAY).record
    assert record is not None and record.valid_until == row_checks.OPEN_ENDED
    decided = [_good_value(licence, f.element) if f.element != "XK_JDRQ" else written for f in licence.fields]
    assert codes_of(row_checks.check_row(layouts.bind(licence, header, "l.csv"), decided, 2, TODAY)) == ["record.date"]


def test_a_footer_row_is_rejected_with_one_reason_and_a_record_whose_name_starts_alike_is_not():
    """合计 or 制表人 lines under the records give no document number: one reason each, not one per empty field."""
    empty = {h: "" for h in files.HEADER}
    for first in ("合计", "制表人：孙七", "注：金额单位为万元"):
        cells = [first, *list(empty.values())[1:]]
        checked = row_checks.check_row(LAYOUT, cells, 30, TODAY)
        assert [p.code for p in checked.problems] == ["record.footer"] and first[:2] in checked.problems[0].message
    total = dict(empty, 处罚类别="合计", 罚款金额="12.5")  # a total row: its word under another column
    checked = row_checks.check_row(LAYOUT, [total.get(h, "") for h in files.HEADER], 31, TODAY)
    assert [p.code for p in checked.problems] == ["record.footer"]
    named = files.penalty(CODE, "石市监罚〔2026〕9号", 行政相对人名称="合计科技有限公司")
    assert row_checks.check_row(LAYOUT, [named[h] for h in files.HEADER], 32, TODAY).record is not None
    signed = ["联系人：王某某，电话：13812345678 身份证110105198001011234", *list(empty.values())[1:]]
    checked = row_checks.check_row(LAYOUT, signed, 33, TODAY)
    assert [p.code for p in checked.problems] == ["record.footer"]
    assert not any(c.isdigit() for c in checked.problems[0].message + checked.problems[0].value)


def test_a_footer_is_told_only_where_the_item_requires_its_document_number():
    """Where the document number is optional, a row without one may be a record: the fast paths accept it, and so
    does check_row, footer word or not (they never disagree on a row)."""
    optional = dataclasses.replace(PENALTY, fields=tuple(dataclasses.replace(f, required=False)
                                                         if f.element == "CF_WSH" else f for f in PENALTY.fields))
    layout = layouts.bind(optional, files.HEADER, "x.csv")
    row = files.penalty(CODE, "", 行政相对人名称="合计科技有限公司")
    assert row_checks.footer_of(layout, [row[h] for h in files.HEADER]) is None
