"""The record schemas generated from the registry: JSON Schema (validated with jsonschema), XSD (lxml)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from jjjcredit.core.library import element_schemas, elements
from jjjcredit.core.library.elements import ELEMENTS

ROOT = Path(__file__).resolve().parents[3]
XS = "{http://www.w3.org/2001/XMLSchema}"

#: A full, valid record: every element with a plausible value.
RECORD: dict[str, str] = {
    "uscc": "91350100M000100Y43",
    "orgcode": "M000100Y4",
    "name": "北京示例科技有限公司",
    "registration_number": "110108000000016",
    "registering_department": "北京市海淀区市场监督管理局",
    "registering_department_code": "11110108000000000X",
    "transaction_type": "01",
    "established": "20150101",
    "approved": "20240301",
    "last_updated": "20240315",
    "status": "1",
    "valid_from": "20150101",
    "valid_to": "20450101",
    "address": "北京市海淀区中关村大街1号",
    "address_division": "110108",
    "operating_address": "北京市海淀区中关村大街1号",
    "operating_division": "110108",
    "business_scope": "技术开发、技术咨询。",
    "registered_capital": "1000.5",
    "currency": "CNY",
    "industry": "6513",
    "economic_type": "173",
    "employees": "42",
    "legal_rep": "张三",
    "legal_rep_id_type": "10",
    "legal_rep_id_number": "11010519491231002X",
    "telephone": "010-12345678",
    "contact": "李四",
    "shareholder": "王五",
    "supervisor": "北京市科学技术委员会",
    "supervisor_code": "D2143569X",
    "disclosure": "1",
}


def test_the_sample_record_names_every_element_in_order():
    assert tuple(RECORD) == elements.COLUMN_ORDER


# --- JSON Schema -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = element_schemas.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _errors(validator, record):
    return sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))


def test_the_json_schema_is_draft_2020_12():
    schema = element_schemas.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert list(schema["properties"]) == list(elements.COLUMN_ORDER)
    assert schema["required"] == [e.name for e in ELEMENTS if e.required]


def test_every_property_is_titled_and_described():
    for e in ELEMENTS:
        prop = element_schemas.json_schema()["properties"][e.name]
        assert prop["title"] == e.zh
        assert e.en in prop["description"]
        assert e.identifier in prop["description"]
        assert f"security level {e.security_level}" in prop["description"]


def test_a_valid_record_is_accepted(validator):
    assert _errors(validator, RECORD) == []


def test_a_minimal_record_is_accepted(validator):
    assert _errors(validator, {"uscc": "91350100M000100Y43", "name": "示例"}) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("uscc", "91350100M000100Y4"),  # 17 characters
        ("uscc", "91350100M000100YI3"),  # I is not in the alphabet
        ("uscc", "91A50100M000100Y43"),  # a letter in the region positions
        ("uscc", "91350100m000100y43"),  # lower case: records carry the compact form
        ("orgcode", "M000100Y"),
        ("name", "名" * 201),
        ("name", ""),
        ("status", "5"),
        ("transaction_type", "1"),
        ("currency", "RMB"),
        ("legal_rep_id_type", "居民身份证"),
        ("established", "2015-01-01"),
        ("established", "２０１５０１０１"),  # full-width digits
        ("registered_capital", "1000.123456789"),  # 9 decimals
        ("registered_capital", "1" * 17),  # 17 integer digits
        ("registered_capital", "-5"),
        ("address_division", "11010"),
        ("industry", "65130"),
        ("employees", "1234567"),
        ("supervisor_code", "ABC"),
    ],
)
def test_a_bad_value_is_refused(validator, field, value):
    errors = _errors(validator, {**RECORD, field: value})
    assert errors, value
    assert {tuple(e.absolute_path) for e in errors} == {(field,)}, [e.message for e in errors]


def test_a_value_must_be_a_string(validator):
    assert _errors(validator, {**RECORD, "employees": 42})


def test_missing_required_elements_are_refused(validator):
    record = {k: v for k, v in RECORD.items() if k not in ("uscc", "name")}
    messages = [e.message for e in _errors(validator, record)]
    assert len(messages) == 2
    assert any("'uscc' is a required property" in m for m in messages)
    assert any("'name' is a required property" in m for m in messages)


def test_an_unknown_element_is_refused(validator):
    errors = _errors(validator, {**RECORD, "nickname": "x"})
    assert len(errors) == 1 and errors[0].validator == "additionalProperties"


def test_the_committed_json_schema_is_current():
    committed = (ROOT / element_schemas.JSON_SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == element_schemas.json_schema_text()
    assert json.loads(committed) == element_schemas.json_schema()


# --- XSD ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(element_schemas.xsd().encode("utf-8")))


def _xml(record: dict[str, str]) -> etree._Element:
    root = etree.Element("organization")
    for name in elements.COLUMN_ORDER:  # children in element order, as the sequence demands
        if name in record:
            etree.SubElement(root, name).text = record[name]
    return root


def test_the_xsd_lists_every_element_in_column_order():
    tree = etree.fromstring(element_schemas.xsd().encode("utf-8"))
    (record,) = tree.findall(f"{XS}element")
    assert record.get("name") == "organization"
    children = record.findall(f"{XS}complexType/{XS}sequence/{XS}element")
    assert tuple(c.get("name") for c in children) == elements.COLUMN_ORDER
    assert [c.get("minOccurs") for c in children] == ["1" if e.required else "0" for e in ELEMENTS]


def test_the_xsd_mirrors_the_json_schema_constraints():
    tree = etree.fromstring(element_schemas.xsd().encode("utf-8"))
    properties = element_schemas.json_schema()["properties"]
    for child in tree.iter(f"{XS}element"):
        name = child.get("name")
        if name == "organization":
            continue
        restriction = child.find(f"{XS}simpleType/{XS}restriction")
        prop = properties[name]
        enum = [f.get("value") for f in restriction.findall(f"{XS}enumeration")]
        assert enum == prop.get("enum", []), name
        for facet, key in (("minLength", "minLength"), ("maxLength", "maxLength")):
            found = restriction.find(f"{XS}{facet}")
            assert (int(found.get("value")) if found is not None else None) == prop.get(key), name
        pattern = restriction.find(f"{XS}pattern")
        if pattern is None:
            assert "pattern" not in prop, name
        else:
            assert prop["pattern"] in (f"^{pattern.get('value')}$", f"^({pattern.get('value')})$"), name


def test_the_xsd_accepts_a_valid_record(xml_schema):
    assert xml_schema.validate(_xml(RECORD)), xml_schema.error_log
    assert xml_schema.validate(_xml({"uscc": "91350100M000100Y43", "name": "示例"})), xml_schema.error_log


@pytest.mark.parametrize(
    ("field", "value"),
    [("uscc", "91350100M000100YI3"), ("status", "5"), ("name", "名" * 201), ("established", "2015-01-01"),
     ("registered_capital", "1000.123456789"), ("established", "２０１５０１０１")],
)
def test_the_xsd_refuses_a_bad_value(xml_schema, field, value):
    assert not xml_schema.validate(_xml({**RECORD, field: value}))


def test_the_xsd_refuses_a_missing_required_element_and_a_wrong_order(xml_schema):
    assert not xml_schema.validate(_xml({k: v for k, v in RECORD.items() if k != "uscc"}))
    root = _xml(RECORD)
    root.insert(0, root[1])  # orgcode before uscc
    assert not xml_schema.validate(root)


def test_the_xsd_is_deterministic_and_committed():
    assert element_schemas.xsd() == element_schemas.xsd()
    committed = (ROOT / element_schemas.XSD_FILE).read_text(encoding="utf-8")
    assert committed == element_schemas.xsd()


# --- the elements page and listings ------------------------------------------------------------


def test_the_elements_page_lists_every_element_and_value_list():
    page = element_schemas.elements_markdown()
    assert "CCSS" in page
    rows = [line for line in page.splitlines() if re.match(r"\| `[0-9]{4}` \| `", line)]
    assert [row.split("`")[1] for row in rows] == [e.identifier for e in ELEMENTS]
    for e in ELEMENTS:
        if e.values:
            assert f"### `{e.identifier}` `{e.name}`" in page
            for code in e.values:
                assert f"| `{code}` |" in page


def test_describe_elements_follows_element_order():
    rows = element_schemas.describe_elements()
    assert [r["name"] for r in rows] == list(elements.COLUMN_ORDER)
    assert all(tuple(r) == element_schemas.DESCRIPTION_FIELDS for r in rows)
    json.dumps(rows)  # plain data
