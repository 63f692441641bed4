"""A credit file's header bound to its item's layout (core/credit/layouts.py): pure."""

from __future__ import annotations

import pytest

from jjjcredit.core.credit import catalogue, layouts, records
from tests.core.credit.penalty_rows import PENALTY
from tests.services.credit import credit_files as files


def test_headers_are_matched_by_code_national_name_and_alias():
    licence = catalogue.default_item(files.LICENCE)
    header = ["XK_XDR_MC", "行政相对人类别", "统一社会信用代码", "法定代表人", "行政许可决定文书名称",
              "行政许可决定书文号", "许可类别", "许可内容", "许可决定日期", "有效期自", "许可截止日期", "许可机关",
              "许可机关统一社会信用代码", "当前状态", "数据来源单位", "数据来源单位统一社会信用代码", "自定义列"]
    layout = layouts.bind(licence, header, "licences.csv")
    assert {b.header: b.field.element for b in layout.bound}["行政许可决定书文号"] == "XK_WSH"
    assert {b.header: b.field.element for b in layout.bound}["许可截止日期"] == "XK_YXQZI"
    assert layout.ignored == ("自定义列",)


def test_a_header_missing_a_required_field_or_naming_one_twice_is_refused_before_any_row():
    with pytest.raises(records.RecordsError) as missing:
        layouts.bind(PENALTY, [h for h in files.HEADER if h != "处罚决定日期"], "x.csv")
    assert missing.value.code == "credit.layout" and "处罚决定日期" in missing.value.message
    with pytest.raises(records.RecordsError) as twice:
        layouts.bind(PENALTY, [*files.HEADER, "CF_WSH"], "x.csv")
    assert twice.value.code == "credit.layout"
    with pytest.raises(records.RecordsError) as basic:
        layouts.bind(catalogue.default_item("JJJ-01-001"), ["统一社会信用代码"], "x.csv")
    assert basic.value.code == "credit.basic_item"


def test_a_file_of_an_item_of_several_severity_classes_without_the_severity_column_is_refused_before_any_row():
    """A record's publication period follows its class: without a 失信严重程度 column every row of a penalty file
    would be refused for it, so the file is, once; an item of one class takes files without it."""
    without = [h for h in files.HEADER if h != "失信严重程度"]
    with pytest.raises(records.RecordsError) as refused:
        layouts.bind(PENALTY, without, "x.csv")
    assert refused.value.code == "credit.layout" and refused.value.field == "失信严重程度"
    assert "轻微、一般、严重" in refused.value.message
    abnormal = catalogue.default_item("JJJ-04-002")  # the abnormal-operation list: general only
    assert abnormal.severities == ("general",)
    assert layouts.bind(abnormal, [f.name for f in abnormal.fields if f.element != "XY_YZCD"], "x.csv").item is abnormal
    assert layouts.bind(PENALTY, files.HEADER, "x.csv").item is PENALTY


