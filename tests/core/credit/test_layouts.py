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


