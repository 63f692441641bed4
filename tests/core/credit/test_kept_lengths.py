"""Values kept under an earlier edition's longer limits (core/credit/kept_lengths.py): pure."""

from __future__ import annotations

import dataclasses

from jjjcredit.core.credit import catalogue, kept_lengths, layouts, records, row_checks
from tests.core.credit.penalty_rows import CODE, PENALTY, TODAY, check, codes_of
from tests.services.credit import credit_files as files


def _shortened(**limits: int) -> catalogue.Item:
    fields = tuple(dataclasses.replace(f, max_length=limits.get(f.element, f.max_length)) for f in PENALTY.fields)
    return dataclasses.replace(PENALTY, fields=fields)


def test_a_row_refused_only_for_lengths_an_earlier_edition_allowed_is_checked_again_by_those():
    """2027 shortens the document number to 16 and 处罚内容 to 8: a row over them is refused, but checked
    again by 2026's limits it is a record whose long values only a record holding them may keep."""
    item = _shortened(CF_WSH=16, CF_NR=8)
    layout = layouts.bind(item, files.HEADER, "x.csv")
    limits = kept_lengths.longer_limits(item, [PENALTY])
    assert limits == {"CF_WSH": 128, "CF_NR": 4000}
    longer = kept_lengths.with_limits(layout, limits)
    assert [p[3] for p in longer.plan] != [p[3] for p in layout.plan]  # (the layout itself keeps its limits)

    def kept(**changes: str) -> tuple[records.Checked, tuple[kept_lengths.Kept, ...]] | None:
        row = files.penalty(CODE, "石家庄市市场监督管理局罚〔2026〕76号", **changes)
        cells = [row[h] for h in files.HEADER]
        checked = row_checks.check_row(layout, cells, 2, TODAY)
        assert checked.record is None and "record.length" in codes_of(checked)
        return kept_lengths.check_kept(layout, longer, checked, cells, TODAY)

    found = kept()
    assert found is not None
    again, values = found
    assert again.record is not None and again.record.values["CF_NR"] == "警告，罚款人民币2万元"
    assert [(k.element, k.header, k.length, k.limit) for k in values] == [
        ("CF_WSH", "行政处罚决定书文号", 21, 16), ("CF_NR", "处罚内容", 11, 8)]
    warning = values[0].warning(2, again.record.key)
    assert (warning.code, warning.severity, warning.field) == ("credit.length_kept", row_checks.WARNING,
                                                               "行政处罚决定书文号")
    assert kept(处罚决定日期="2026-02-30") is None  # refused for more than lengths
    assert kept(处罚内容="警" * 4001) is None  # over the earlier limit too
    assert kept_lengths.check_kept(layout, longer, check(), [], TODAY) is None  # a record already
