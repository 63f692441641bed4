"""Credit record rows checked against their catalogue item (core/credit/records.py): pure."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest

from jjjcredit.core.credit import catalogue, columns, records
from tests.services.credit import credit_files as files

TODAY = datetime.date(2026, 6, 1)
PENALTY = catalogue.default_item(files.PENALTY)
LAYOUT = records.bind(PENALTY, files.HEADER, "x.csv")
CODE = files.codes(1)[0]


def check(**changes: str) -> records.Checked:
    row = files.penalty(CODE, "石市监罚〔2026〕1号", **changes)
    return records.check_row(LAYOUT, [row[h] for h in files.HEADER], 2, TODAY)


def codes_of(checked: records.Checked) -> list[str]:
    return [p.code for p in checked.problems]


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
    record = records.check_row(LAYOUT, [row[h] for h in files.HEADER], 3, TODAY).record
    assert record is not None and record.subject_type == "natural_person"
    assert record.identity_number == files.person()
    assert files.person() not in record.values_text()  # values hold the number masked
    assert record.personal == {"CF_XDR_ZJHM": files.person()}
    bad = files.person()[:-1] + ("0" if files.person()[-1] != "0" else "1")
    row = files.penalty(None, "石市监罚〔2026〕3号", 证件号码=bad)
    checked = records.check_row(LAYOUT, [row[h] for h in files.HEADER], 4, TODAY)
    assert codes_of(checked) == ["credit.identity_number"]
    assert all(bad not in p.message and bad not in p.value for p in checked.problems)
    # a passport is kept as written, not checked as an identity card
    row = files.penalty(None, "石市监罚〔2026〕4号", 证件类型="护照", 证件号码="E12345678")
    assert records.check_row(LAYOUT, [row[h] for h in files.HEADER], 5, TODAY).record is not None


def test_a_severity_the_item_does_not_allow_and_a_missing_one():
    dishonest = catalogue.default_item("JJJ-04-002")  # the abnormal-operation list: general only
    assert dishonest.severities == ("general",)
    assert "credit.severity" not in codes_of(check(失信严重程度="严重"))  # penalties allow all three
    checked = check(失信严重程度="")
    assert checked.record is None and "record.required" in codes_of(checked)


def test_headers_are_matched_by_code_national_name_and_alias():
    licence = catalogue.default_item(files.LICENCE)
    header = ["XK_XDR_MC", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称",
              "行政许可决定书文号", "许可类别", "许可内容", "许可决定日期", "有效期自", "许可截止日期", "许可机关",
              "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "自定义列"]
    layout = records.bind(licence, header, "licences.csv")
    assert {b.header: b.field.element for b in layout.bound}["行政许可决定书文号"] == "XK_WSH"
    assert {b.header: b.field.element for b in layout.bound}["许可截止日期"] == "XK_YXQZI"
    assert layout.ignored == ("自定义列",)


def test_a_header_missing_a_required_field_or_naming_one_twice_is_refused_before_any_row():
    with pytest.raises(records.RecordsError) as missing:
        records.bind(PENALTY, [h for h in files.HEADER if h != "处罚决定日期"], "x.csv")
    assert missing.value.code == "credit.layout" and "处罚决定日期" in missing.value.message
    with pytest.raises(records.RecordsError) as twice:
        records.bind(PENALTY, [*files.HEADER, "CF_WSH"], "x.csv")
    assert twice.value.code == "credit.layout"
    with pytest.raises(records.RecordsError) as basic:
        records.bind(catalogue.default_item("JJJ-01-001"), ["统一社会信用代码"], "x.csv")
    assert basic.value.code == "credit.basic_item"


def test_a_rating_is_identified_by_the_taxpayer_and_the_year():
    rating = catalogue.default_item("JJJ-06-001")
    header = ["纳税人名称", "纳税人识别号", "评价年度", "信用级别", "评价机关"]
    layout = records.bind(rating, header, "a.csv")
    record = records.check_row(layout, ["某公司", CODE, "2025", "a", "国家税务总局石家庄市税务局"], 2, TODAY).record
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
    layout = records.bind(item, header, f"{item.code}.csv")
    good = [_good_value(item, f.element) for f in item.fields]
    for i in [i for i, f in enumerate(item.fields) if f.element.endswith("FRDB")]:
        good[i] = "王某"
    checked = records.check_row(layout, good, 2, TODAY)
    assert checked.record is not None, [p.message for p in checked.problems]
    assert checked.record.subject_type in item.subject_types
    for i, f in enumerate(item.fields):
        if not f.required:
            continue
        row = list(good)
        row[i] = ""
        refused = records.check_row(layout, row, 3, TODAY)
        assert refused.record is None and "record.required" in codes_of(refused), f.name


def test_an_item_that_does_not_cover_natural_persons_refuses_one():
    abnormal = catalogue.default_item("JJJ-04-002")
    assert "natural_person" not in abnormal.subject_types
    layout = records.bind(abnormal, [f.name for f in abnormal.fields], "a.csv")
    row = [_good_value(abnormal, f.element) for f in abnormal.fields]
    row[[f.element for f in abnormal.fields].index("YC_SHXYM")] = ""
    assert "credit.subject_missing" in codes_of(records.check_row(layout, row, 2, TODAY))
    debtors = catalogue.default_item("JJJ-02-001")  # judgment debtors: persons by their number
    layout = records.bind(debtors, [f.name for f in debtors.fields], "b.csv")
    row = [_good_value(debtors, f.element) for f in debtors.fields]
    row[[f.element for f in debtors.fields].index("SX_SHXYM")] = ""
    row[[f.element for f in debtors.fields].index("SX_ZJHM")] = files.person()
    record = records.check_row(layout, row, 2, TODAY).record
    assert record is not None and record.subject_type == "natural_person" and record.severity == "serious"


def test_document_keys_of_a_column_are_each_numbers_own():
    """Made at once over the NUL-joined column, each key is what document_key makes of its number alone —
    across full-width forms, brackets, spaces, combining marks at a number's start and end, case changes
    that change lengths, and a number that holds a NUL (made alone)."""
    numbers = ["石市监罚〔２０２６〕 118号", "石市监罚(2026)118号", "ß-straße ﬁ", "\u0301罚1", "罚1\u0301", "e\u0301",
               "ｱ\uff9e", "  【京】罚 \u3000 7 ", "", "a\x00b", "Ⅻ", "㈱罚"]
    for start in range(len(numbers)):
        column = numbers[start:] + numbers[:start]
        assert records.document_keys(column) == [records.document_key(n) for n in column]
    assert records.document_keys([]) == []


def test_a_value_quoted_in_a_message_is_masked_before_it_is_escaped():
    """A tab or zero-width character between a number's groups would be escaped (``\\t``) by the quoting,
    and the escape would hide the separator from the masking: masked first."""
    layout = records.bind(catalogue.default_item("JJJ-03-001"), list(records.SAMPLE_PENALTY), "p.csv")
    for category in ("自然人\t130102\t19850505\t9977", "自然人\u200b13812345678"):
        row = dict(records.SAMPLE_PENALTY, 行政相对人类别=category)
        checked = records.check_row(layout, list(row.values()), 2, TODAY)
        told = json.dumps([p.to_dict() for p in checked.problems], ensure_ascii=False)
        assert [p.code for p in checked.problems] == ["record.value"]
        assert "19850505" not in told and "1234" not in told, told


def _shortened(**limits: int) -> catalogue.Item:
    fields = tuple(dataclasses.replace(f, max_length=limits.get(f.element, f.max_length)) for f in PENALTY.fields)
    return dataclasses.replace(PENALTY, fields=fields)


def test_a_row_refused_only_for_lengths_an_earlier_edition_allowed_is_checked_again_by_those():
    """2027 shortens the document number to 16 and 处罚内容 to 8: a row over them is refused, but checked
    again by 2026's limits it is a record whose long values only a record holding them may keep."""
    item = _shortened(CF_WSH=16, CF_NR=8)
    layout = records.bind(item, files.HEADER, "x.csv")
    limits = records.longer_limits(item, [PENALTY])
    assert limits == {"CF_WSH": 128, "CF_NR": 4000}
    longer = records.with_limits(layout, limits)
    assert [p[3] for p in longer.plan] != [p[3] for p in layout.plan]  # (the layout itself keeps its limits)

    def kept(**changes: str) -> tuple[records.Checked, tuple[records.Kept, ...]] | None:
        row = files.penalty(CODE, "石家庄市市场监督管理局罚〔2026〕76号", **changes)
        cells = [row[h] for h in files.HEADER]
        checked = records.check_row(layout, cells, 2, TODAY)
        assert checked.record is None and "record.length" in codes_of(checked)
        return records.check_kept(layout, longer, checked, cells, TODAY)

    found = kept()
    assert found is not None
    again, values = found
    assert again.record is not None and again.record.values["CF_NR"] == "警告，罚款人民币2万元"
    assert [(k.element, k.header, k.length, k.limit) for k in values] == [
        ("CF_WSH", "行政处罚决定书文号", 21, 16), ("CF_NR", "处罚内容", 11, 8)]
    warning = values[0].warning(2, again.record.key)
    assert (warning.code, warning.severity, warning.field) == ("credit.length_kept", records.WARNING,
                                                               "行政处罚决定书文号")
    assert kept(处罚决定日期="2026-02-30") is None  # refused for more than lengths
    assert kept(处罚内容="警" * 4001) is None  # over the earlier limit too
    assert records.check_kept(layout, longer, check(), [], TODAY) is None  # a record already
