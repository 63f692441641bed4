"""Credit reports, the pure part: numbers with their check character, sections in a fixed order, the
special report's period, domains and "none found"."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jjjcredit.core.sharing import report

AT = datetime.datetime(2026, 6, 1, 8, 30, tzinfo=datetime.UTC)
CODE = "91130102MA4CL12T22"
ORG = {"uscc": CODE, "name": "石家庄市云帆商贸有限公司", "status": "1", "address": "石家庄市长安区中山东路1号"}


def _records(*groups: tuple[str, str, list[dict[str, object]]]) -> dict[str, object]:
    return {"items": [{"item": i, "item_name": n, "kind": "negative", "records": r} for i, n, r in groups],
            "records": sum(len(r) for _, _, r in groups)}


def _penalty(number: str, decided: str, status: str = "in_force", provider: str = "石家庄市市场监督管理局"):
    return {"document_number": number, "status": status, "decided_on": decided, "valid_until": None,
            "provider": provider, "severity": "general",
            "values": {"行政处罚决定书文号": number, "违法行为类型": "销售不合格产品", "统一社会信用代码": CODE,
                       "处罚机关": provider}}


@given(st.integers(2000, 2099), st.binary(min_size=8, max_size=8))
def test_every_new_number_validates_and_prints_the_same(year: int, raw: bytes):
    number = report.new_number(year, raw)
    assert report.validate_number(number) == number
    assert report.validate_number(number.lower().replace("-", " ")) == number


@given(st.binary(min_size=8, max_size=8), st.integers(0, 11), st.integers(1, 30))
def test_one_mistyped_character_is_caught(raw: bytes, position: int, shift: int):
    number = report.new_number(2026, raw)
    compact = report.compact_number(number)
    at = 3 + position
    if compact[at].isdigit() and position < 4:  # the year: digits only
        typo = str((int(compact[at]) + shift) % 10)
        if typo == compact[at]:
            return
    else:
        typo = report.ALPHABET[(report.ALPHABET.index(compact[at]) + shift) % 31]
    with pytest.raises(report.ReportError) as caught:
        report.validate_number(compact[:at] + typo + compact[at + 1:])
    assert caught.value.code == "report.number"


def test_sections_come_in_a_fixed_order_with_their_counts():
    doc = report.build_report("JJJ-2026-00000000-4", AT, AT.date(), "client", "https://x/r", CODE, ORG, _records(
        ("JJJ-04-001", "严重失信主体名单信息", [_penalty("名单1", "2025-01-01")]),
        ("JJJ-03-001", "行政处罚信息", [_penalty("罚2", "2026-02-01"), _penalty("罚1", "2025-02-01")])))
    assert [s["section"] for s in doc["sections"]] == [s.key for s in report.SECTIONS]
    assert [(s["section"], s["count"]) for s in doc["summary"]][:3] == [("licences", 0), ("penalties", 2),
                                                                      ("lists", 1)]
    record = doc["sections"][1]["items"][0]["records"][0]
    assert record["objection"] is None and record["status_label"] == "有效"
    # what the record's header or the report's subject already says is not repeated in its values
    assert record["values"] == {"违法行为类型": "销售不合格产品"}
    assert doc["report"]["data_as_of"] == "2026-06-01" and doc["report"]["generated_at"] == "2026-06-01T08:30:00Z"
    assert doc["subject"] == {"code": CODE, "name": ORG["name"]}
    assert doc["basic"][0] == {"element": "status", "label": "状态", "value": "存续（1）"}  # in element order


def test_a_natural_person_is_refused_and_a_mistyped_code_is_told_what_is_wrong_with_it():
    for code in ("P:0123abcd", "13010219850312123X", "1301021985 0312123x"):
        with pytest.raises(report.ReportError) as caught:
            report.check_organization(code)
        assert caught.value.code == "report.not_organization"
    for code, expected in (("91120000MA704TN903", "uscc.checksum"), ("ABC", "uscc.length"), ("", "uscc.empty")):
        with pytest.raises(report.ReportError) as caught:
            report.check_organization(code)
        assert (caught.value.code, caught.value.field) == (expected, "code"), code
        assert "unified social credit code" in caught.value.message


def test_the_special_report_says_none_found_within_its_period_and_domains():
    records = _records(("JJJ-03-001", "行政处罚信息", [
        _penalty("罚1", "2026-03-01"), _penalty("罚0", "2019-03-01"),
        _penalty("税1", "2026-04-01", provider="国家税务总局石家庄市税务局"),
        _penalty("撤1", "2026-04-02", status="revoked")]))
    period = report.check_period(datetime.date(2022, 1, 1), None, AT.date())
    doc = report.build_special("JJJ-2026-00000000-4", AT, AT.date(), "public", "u", CODE, ORG, records, period, ())
    answers = {q["question"]: (q["answer"], q["found"]) for q in doc["questions"]}
    assert answers == {"penalties": ("found", 2), "coercive_measures": ("not_covered", 0),
                       "serious_dishonesty": ("none_found", 0)}
    penalties = doc["questions"][0]
    assert [r["document_number"] for r in penalties["records"]] == ["罚1", "税1", "撤1"]  # the revoked one listed
    taxes = report.build_special("JJJ-2026-00000000-4", AT, AT.date(), "public", "u", CODE, ORG, records, period,
                                 report.check_domains(["taxation"]))
    assert (taxes["questions"][0]["answer"], taxes["questions"][0]["found"]) == ("found", 1)
    environment = report.build_special("JJJ-2026-00000000-4", AT, AT.date(), "public", "u", CODE, ORG, records,
                                       period, report.check_domains(["ecology_environment"]))
    assert environment["questions"][0]["answer"] == "none_found"
    assert environment["questions"][0]["statement"] == ("2022-01-01至2026-06-01期间，在生态环境领域内，未发现该主体的"
                                                        "行政处罚记录。")


@pytest.mark.parametrize(("start", "end", "field"), [
    (datetime.date(2021, 5, 31), datetime.date(2026, 6, 1), "from"),  # more than five years
    (datetime.date(2026, 5, 1), datetime.date(2026, 6, 2), "to"),  # after today
    (datetime.date(2026, 5, 2), datetime.date(2026, 5, 1), "from"),  # start after end
])
def test_a_special_report_period_is_at_most_five_years_and_not_in_the_future(start, end, field):
    with pytest.raises(report.ReportError) as caught:
        report.check_period(start, end, AT.date())
    assert (caught.value.code, caught.value.field) == ("report.period", field)
