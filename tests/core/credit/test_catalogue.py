"""The catalogue's rules (core/credit/catalogue.py): items as data, the workflow's refusals."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from jjjcredit.core import errors
from jjjcredit.core.credit import catalogue, catalogue_diff


def test_the_default_catalogue_covers_the_national_items_for_the_three_regions():
    items = catalogue.default_items()
    names = {i.name for i in items}
    for expected in ("登记基本信息", "行政许可信息", "行政处罚信息", "严重失信主体名单信息", "经营异常名录信息",
                     "失信被执行人信息", "纳税信用A级纳税人信息", "信用承诺及履约信息", "诚信表彰信息"):
        assert expected in names
    for item in items:
        for attribute in catalogue.STATUTORY:
            assert getattr(item, attribute) not in ("", None)
        assert item.fields, item.code
        if item.kind == "negative":
            assert item.severities and item.period_rules
        else:
            assert not item.severities


def test_the_penalty_layout_keeps_the_national_columns_and_lengths():
    penalty = catalogue.items_by_code(catalogue.default_items())["JJJ-03-001"]
    fields = {f.element: f for f in penalty.fields}
    assert fields["CF_WSH"].required and fields["CF_WSH"].max_length == 128
    assert fields["CF_NR"].max_length == 4000
    assert penalty.severities == ("minor", "general", "serious")


def test_an_item_round_trips_through_its_plain_form():
    for item in catalogue.default_items():
        assert catalogue.item_from_dict(catalogue.item_to_dict(item)) == item


@pytest.mark.parametrize(("change", "field"), [
    ({"provider": " "}, "provider"),
    ({"collection_time_limit": None}, "collection_time_limit"),
    ({"security_level": 4}, "security_level"),
    ({"kind": "neutral"}, "kind"),
    ({"subject_types": ["company"]}, "subject_types"),
    ({"subject_types": []}, "subject_types"),
    ({"disclosure_mode": "everyone"}, "disclosure_mode"),
    ({"severities": ["serious"]}, "severities"),  # a basic item has none
    ({"colour": "red"}, "colour"),
    ({"fields": [{"name": "x"}]}, "fields"),
    ({"fields": [{"name": f"字段{i}", "element": "CF_SY"} for i in range(catalogue.MAX_FIELDS + 1)]}, "fields"),
])
def test_a_bad_attribute_is_refused_naming_it(change, field):
    base = catalogue.item_to_dict(catalogue.default_items()[0])
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.item_from_dict({**base, **change})
    assert exc.value.code == "catalogue.item" and exc.value.field == field
    assert exc.value.code in errors.ERROR_CODES


PENALTY_FIELD = {"name": "违法事实", "element": "CF_SY", "required": True}


@pytest.mark.parametrize(("change", "field"), [
    ({"code": "JJJ 10/003>x"}, "code"),  # it names the item in a URL and an IRI
    ({"code": "-JJJ"}, "code"),
    ({"code": "J" * 65}, "code"),
    ({"name": "处罚\x01信息"}, "name"),  # the XLSX export cannot write it
    ({"name": "处罚\u202e信息"}, "name"),  # it would show the text backwards
    ({"legal_basis": "法" * 4_001}, "legal_basis"),
    ({"fields": [PENALTY_FIELD | {"required": "no"}]}, "fields"),  # a word, not false
    ({"fields": [PENALTY_FIELD | {"element": "b"}]}, "fields"),  # no column the platform knows
    ({"fields": [PENALTY_FIELD | {"name": "=HYPERLINK(\"x\")\x07"}]}, "fields"),
    ({"fields": [PENALTY_FIELD | {"max_length": 10**30}]}, "fields"),  # no cell holds that
    ({"collection_path": "经办人 13812345678"}, "collection_path"),  # the catalogue is published
])
def test_an_item_given_as_input_is_plain_text_under_a_code_that_can_name_it(change, field):
    item = catalogue.default_item("JJJ-03-001")
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_input({**catalogue.item_to_dict(item), **change})
    assert (exc.value.code, exc.value.field) == ("catalogue.item", field)
    if "code" not in change:  # a change is checked as an item given
        with pytest.raises(catalogue.CatalogueError):
            catalogue.change_item(item, change)
    catalogue.check_input(catalogue.item_to_dict(item) | {"legal_basis": "第一条\n第二条\t（节选）",
                                                          "fields": [PENALTY_FIELD]})


def test_a_period_rule_for_a_severity_the_item_does_not_allow_is_refused():
    penalty = catalogue.items_by_code(catalogue.default_items())["JJJ-04-002"]  # general only
    data = catalogue.item_to_dict(penalty)
    data["period_rules"] = [*data["period_rules"], {"severity": "serious", "min_months": 12, "max_months": 36,
                                                    "applies_from": "2026-04-01", "source": "x"}]
    with pytest.raises(catalogue.CatalogueError, match="does not allow"):
        catalogue.item_from_dict(data)


def test_the_period_rule_is_the_one_in_force_on_the_decision_date():
    penalty = catalogue.items_by_code(catalogue.default_items())["JJJ-03-001"]
    old = catalogue.period_rule(penalty, "serious", datetime.date(2024, 1, 1))
    assert (old.min_months, old.max_months) == (6, 36)
    plan = catalogue.period_rule(penalty, "serious", datetime.date(2025, 7, 1))
    assert (plan.min_months, plan.max_months, plan.source) == (12, 36, "国办发〔2025〕22号")
    assert catalogue.period_rule(penalty, "minor", datetime.date(2026, 4, 1)).max_months == 3
    # before the national minor class, the provincial 5-year rule set is in force for minor decisions
    provincial = catalogue.period_rule(penalty, "minor", datetime.date(2020, 1, 1))
    assert (provincial.max_months, provincial.applies_from) == (60, datetime.date(2017, 9, 28))
    assert catalogue.period_rule(penalty, "serious", datetime.date(2019, 6, 30)).max_months == 60
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.period_rule(penalty, "minor", datetime.date(2017, 9, 27))
    assert exc.value.code == "catalogue.severity"
    assert "severity 轻微 (minor) for decisions of 2017-09-27" in exc.value.message


def test_a_severity_refusal_names_the_classes_as_records_do():
    """The severity classes are named as a record shows them (轻微 / 一般 / 严重), the class in brackets."""
    penalty = catalogue.items_by_code(catalogue.default_items())["JJJ-03-001"]
    serious_only = dataclasses.replace(penalty, severities=("general", "serious"))
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.period_rule(serious_only, "minor", datetime.date(2026, 5, 1))
    assert (exc.value.code, exc.value.field) == ("catalogue.severity", "severity")
    assert exc.value.message == ('Item "JJJ-03-001" allows the severity classes 一般 (general)、严重 (serious), '
                                 "not 轻微 (minor).")
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.period_rule(serious_only, "grave\u202e", datetime.date(2026, 5, 1))
    assert exc.value.message.endswith('not "grave\\u202e".')


def test_the_edition_in_force_is_the_newest_published_up_to_the_days_year():
    day = datetime.date
    published = [(2025, day(2024, 12, 1)), (2026, day(2026, 3, 2)), (2027, day(2026, 12, 1)),
                 (2024, day(2026, 12, 5))]  # 2024 published after later years had taken over
    december = catalogue.in_force_periods(published, day(2026, 12, 7))
    assert {y: (p.state, p.since, p.until, p.successor) for y, p in december.items()} == {
        2024: ("never", None, None, 2025),
        2025: ("past", day(2025, 1, 1), day(2026, 3, 2), 2026),  # 2026 was published late: 2025 held till then
        2026: ("now", day(2026, 3, 2), day(2027, 1, 1), 2027),
        2027: ("future", day(2027, 1, 1), None, None)}
    for today, year in ((day(2026, 3, 1), 2025), (day(2026, 3, 2), 2026), (day(2026, 12, 31), 2026),
                        (day(2027, 1, 1), 2027)):
        periods = catalogue.in_force_periods(published, today)
        assert [y for y, p in periods.items() if p.now] == [year], today


def test_a_published_edition_refuses_every_change_and_points_to_next_year():
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.require_status(2026, "published", ("draft", "comment"), "change an item")
    assert exc.value.code == "catalogue.published" and "2027" in exc.value.message
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.require_status(2026, "draft", ("approved",), "publish")
    assert exc.value.code == "catalogue.status"
    catalogue.require_status(2026, "comment", ("draft", "comment"), "change an item")


def test_a_change_without_reason_is_refused():
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_reason("  ", "JJJ-01-001")
    assert exc.value.code == "catalogue.reason"
    assert catalogue.check_reason(" 新增 ", "JJJ-01-001") == "新增"


def test_approval_needs_an_approver_reasons_and_assessments():
    items = catalogue.default_items()
    reasons = {i.code: "首版" for i in items}
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_approval(2027, [], items, reasons, ["JJJ-04-001"], " ")
    assert exc.value.code == "catalogue.approver"
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_approval(2027, [], items, {}, ["JJJ-04-001"], "省政府")
    assert exc.value.code == "catalogue.reason"
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_approval(2027, [], items, reasons, [], "省政府")
    assert exc.value.code == "catalogue.assessment" and "JJJ-04-001" in exc.value.message
    catalogue.check_approval(2027, [], items, reasons, ["JJJ-04-001"], "省政府")


@pytest.mark.parametrize("mode", catalogue.DISCLOSURE_MODES)
@pytest.mark.parametrize("level", catalogue.SECURITY_LEVELS)
def test_a_security_level_that_contradicts_the_disclosure_mode_is_refused(mode: str, level: int):
    """The public shown what is restricted, or public data kept from it: refused when the item is added or
    changed, and at approval (an edition drafted from one kept before the rule)."""
    item = dataclasses.replace(catalogue.default_item("JJJ-03-001"), disclosure_mode=mode, security_level=level)
    agrees = (mode == "public_disclosure") == (level == 1)
    assert (catalogue.level_disagreement(item) is None) is agrees
    items = [item if i.code == item.code else i for i in catalogue.default_items()]
    if agrees:
        catalogue.check_actionable(item)
        catalogue.check_approval(2027, items, items, {}, ["JJJ-04-001"], "省政府")
        return
    for step in (lambda: catalogue.check_actionable(item),
                 lambda: catalogue.check_approval(2027, items, items, {}, ["JJJ-04-001"], "省政府")):
        with pytest.raises(catalogue.CatalogueError) as exc:
            step()
        assert exc.value.code == "catalogue.item" and exc.value.field == "security_level"
        assert f"{mode} ({mode.replace('_', ' ')})" in exc.value.message and f"not {level}" in exc.value.message


def test_a_catalogue_file_naming_a_code_twice_is_refused():
    import json
    data = [catalogue.item_to_dict(catalogue.default_items()[0])] * 2
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.load_items(json.dumps(data))
    assert exc.value.code == "catalogue.data"


def test_the_registration_item_is_built_from_the_librarys_elements():
    from jjjcredit.core.library import elements
    known = {e.name: e for e in elements.ELEMENTS}
    basic = catalogue.items_by_code(catalogue.default_items())["JJJ-01-001"]
    assert basic.kind == "basic" and basic.fields
    for field in basic.fields:
        assert field.element in known, field
        assert field.max_length == known[field.element].max_length, field


def test_a_period_rule_says_how_long_records_stay_shared_after_the_public_window():
    penalty = catalogue.default_item("JJJ-03-001")
    rule = catalogue.period_rule(penalty, "serious", datetime.date(2026, 4, 10))
    assert (rule.sharing_months, rule.sharing_source) == (60, catalogue.PLATFORM_SHARING_SOURCE)
    assert "Platform default" in rule.sharing_source  # no text gives the figure: labelled as the platform's own
    assert all(r.sharing_months == catalogue.PLATFORM_SHARING_MONTHS for i in catalogue.default_items()
               for r in i.period_rules)
    data = catalogue.item_to_dict(penalty)
    assert data["period_rules"][0]["sharing_months"] == 60
    for value, expected in ((None, None), (0, 0), ("24", 24)):
        rules = [{**r, "sharing_months": value} for r in data["period_rules"]]
        assert catalogue.item_from_dict({**data, "period_rules": rules}).period_rules[0].sharing_months == expected


@pytest.mark.parametrize("rule", [{"sharing_months": -1}, {"sharing_months": True}, {"sharing_months": "五年"},
                                  {"sharing_month": 12}])
def test_a_bad_sharing_period_is_refused_naming_what_is_expected(rule):
    data = catalogue.item_to_dict(catalogue.default_item("JJJ-02-001"))
    data["period_rules"] = [{**data["period_rules"][0], **rule}]
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.item_from_dict(data)
    assert exc.value.field == "period_rules"
    assert ("at least 0" in exc.value.message) or ("sharing_months" in exc.value.message)


def test_an_edition_stored_before_sharing_periods_loads_and_its_diff_shows_the_new_period():
    new = catalogue.default_item("JJJ-02-001")
    stored = catalogue.item_to_dict(new)
    stored["period_rules"] = [{k: v for k, v in r.items() if k not in ("sharing_months", "sharing_source")}
                              for r in stored["period_rules"]]
    old = catalogue.item_from_dict(stored)
    assert all(r.sharing_months is None and r.sharing_source == "" for r in old.period_rules)
    changes = catalogue_diff.diff([old], [new]).changed
    assert [c.attribute for c in changes] == ["period_rules"]
    assert changes[0].old[0]["sharing_months"] is None and changes[0].new[0]["sharing_months"] == 60
    changed = catalogue.change_item(new, {"period_rules": [{**r, "sharing_months": 120}
                                                           for r in catalogue.item_to_dict(new)["period_rules"]]})
    assert {r.sharing_months for r in changed.period_rules} == {120}


@pytest.mark.parametrize("approver", ["省发改委\u200b", "省发改委\u200e", "省\u00ad发改委", " 省发改委 ",
                                      "省发改委\u034f"])
def test_who_compiled_is_not_told_apart_by_what_does_not_show(approver: str):
    items = catalogue.default_items()
    with pytest.raises(catalogue.CatalogueError) as exc:
        catalogue.check_approval(2027, items, items, {}, [], approver, [("省发改委", "drafted it")])
    assert exc.value.code == "catalogue.own_approval"


def test_a_text_that_holds_a_character_that_shows_nothing_is_refused():
    for hidden in ("\u200b", "\u2060", "\ufeff", "\u00ad", "\U000e0041"):
        with pytest.raises(catalogue.CatalogueError) as exc:
            catalogue.check_text(f"省发改委{hidden}", "Who", "by")
        assert f"U+{ord(hidden):04X} at position 5" in exc.value.message


def test_an_item_without_a_document_number_or_a_period_for_a_class_it_allows_is_refused():
    """A layout emptied, or one without the field that identifies a record, could never take a file; a severity
    class without a publication period could never be disclosed: refused when the item is added or changed."""
    penalty = catalogue.default_item("JJJ-03-001")
    for fields in ((), tuple(f for f in penalty.fields if f.element != "CF_WSH")):
        with pytest.raises(catalogue.CatalogueError) as exc:
            catalogue.check_actionable(dataclasses.replace(penalty, fields=fields))
        assert exc.value.code == "catalogue.item" and exc.value.field == "fields", fields
    for rules in ((), tuple(r for r in penalty.period_rules if r.severity != "minor")):
        with pytest.raises(catalogue.CatalogueError) as exc:
            catalogue.check_actionable(dataclasses.replace(penalty, period_rules=rules))
        assert exc.value.field == "period_rules" and "轻微 (minor)" in exc.value.message
    with pytest.raises(catalogue.CatalogueError) as exc:  # several classes, and no field to say which
        catalogue.check_actionable(dataclasses.replace(penalty, fields=tuple(f for f in penalty.fields
                                                                             if f.element != "XY_YZCD")))
    assert exc.value.field == "fields" and "XY_YZCD" in exc.value.message
    catalogue.check_actionable(penalty)
    for item in catalogue.default_items():  # every default item is one the platform acts on
        catalogue.check_actionable(item)
