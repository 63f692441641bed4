"""What is generated from the data element registry: JSON Schema, XSD, the elements page, listings.

Every function here reads :data:`jjjcredit.core.library.elements.ELEMENTS` and returns text or plain data;
none does I/O. ``scripts/generate_docs.py`` writes the results to ``docs/elements.md``,
``schemas/organization.schema.json`` and ``schemas/organization.xsd``, and ``--check`` (run by the
test suite) fails when a committed file no longer matches the registry.

One record is one organization: an object (JSON) or an ``<organization>`` element (XML) with one
member per data element, keyed by the element's short ``name``, in element order. Every value is a
string as written in exchange files — codes keep their leading zeros, amounts are decimal strings,
dates are ``YYYYMMDD``. An element without a value is left out, never sent empty.

How a format becomes constraints (the same in both schemas):

=============  ==============================================================
``an18``       exactly 18 characters (plus the element's pattern, if any)
``an..200``    1 to 200 characters
``an9..18``    9 to 18 characters
``n2``         exactly 2 ASCII digits
``n..4``       1 to 4 ASCII digits
``n..24,8``    a decimal: up to 16 integer digits, optionally up to 8 decimals
``D8``         8 ASCII digits, ``YYYYMMDD``
value list     one of the list's codes (and nothing else)
=============  ==============================================================

>>> schema = json_schema()
>>> schema["properties"]["uscc"]["pattern"]
'^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$'
>>> schema["properties"]["registered_capital"]["pattern"]
'^[0-9]{1,16}(\\\\.[0-9]{1,8})?$'
>>> schema["properties"]["status"]["enum"]
['1', '2', '3', '4', '9']
>>> schema["required"]
['uscc', 'name']
>>> xsd().splitlines()[0]
'<?xml version="1.0" encoding="UTF-8"?>'
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from jjjcredit.core.library import elements
from jjjcredit.core.library.elements import ELEMENTS, Element, Kind

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON_SCHEMA_ID = "urn:jjjcredit:schema:organization"
RECORD_ELEMENT = "organization"

#: The committed generated files, relative to the repository root.
JSON_SCHEMA_FILE = "schemas/organization.schema.json"
XSD_FILE = "schemas/organization.xsd"

#: The fields of one row of :func:`describe_elements`, in order (the CSV header of ``elements list``).
DESCRIPTION_FIELDS: tuple[str, ...] = (
    "identifier", "name", "zh", "en", "format", "kind", "min_length", "max_length", "decimals",
    "required", "security_level", "personal", "reference", "unit", "pattern", "values",
)


# --- the constraints of one element, shared by both schemas --------------------------------------


def value_pattern(element: Element) -> str | None:
    """The regular expression a value matches, unanchored (XSD style), or ``None`` when the length
    facets say everything. Patterns use ``[0-9]``, never ``\\d``, which also matches other scripts'
    digits in Python, .NET and XSD.

    >>> from jjjcredit.core.library.elements import BY_NAME
    >>> value_pattern(BY_NAME["address_division"]), value_pattern(BY_NAME["industry"])
    ('[0-9]{6}', '[0-9]{1,4}')
    >>> value_pattern(BY_NAME["registered_capital"]), value_pattern(BY_NAME["established"])
    ('[0-9]{1,16}(\\\\.[0-9]{1,8})?', '[0-9]{8}')
    >>> value_pattern(BY_NAME["name"]) is None
    True
    """
    if element.pattern:
        return element.pattern
    if element.kind is Kind.DATE:
        return "[0-9]{8}"
    if element.kind is Kind.NUMBER:
        low, high, decimals = element.min_length, element.max_length, element.decimals
        if decimals:
            whole = high - decimals
            return f"[0-9]{{1,{whole}}}(\\.[0-9]{{1,{decimals}}})?"
        return f"[0-9]{{{low}}}" if low == high else f"[0-9]{{{low},{high}}}"
    return None


def length_limits(element: Element) -> tuple[int, int] | None:
    """(minimum, maximum) characters for a text element; ``None`` for numbers and dates, whose
    pattern fixes the length."""
    if element.kind is Kind.TEXT:
        return element.min_length, element.max_length
    return None


def _security(element: Element) -> str:
    zh, en = elements.SECURITY_LEVELS[element.security_level]
    return f"security level {element.security_level} ({en} {zh})"


def _description(element: Element) -> str:
    parts = [f"{element.en}. Element {element.identifier}, format {element.format}, {_security(element)}"]
    if element.personal:
        parts.append("personal data, masked wherever shown")
    if element.reference:
        parts.append(f"reference: {element.reference}")
    if element.unit:
        parts.append(f"unit: {element.unit}")
    text = "; ".join(parts) + "."
    if element.values:
        text += " Values: " + "; ".join(f"{v.code} {v.zh} {v.en}" for v in element.values.values()) + "."
    return text


# --- JSON Schema -------------------------------------------------------------------------------


def json_property(element: Element) -> dict[str, Any]:
    """The JSON Schema of one element's value."""
    prop: dict[str, Any] = {"title": element.zh, "description": _description(element), "type": "string"}
    if element.values:
        prop["enum"] = list(element.values)
        return prop
    limits = length_limits(element)
    if limits:
        prop["minLength"], prop["maxLength"] = limits
    pattern = value_pattern(element)
    if pattern:
        prop["pattern"] = f"^({pattern})$" if "|" in pattern else f"^{pattern}$"
    return prop


def json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one organization record."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": JSON_SCHEMA_ID,
        "title": "机构 organization",
        "description": "One organization record of the Beijing–Tianjin–Hebei unified social credit code "
        "data elements (DB11/DB12/DB13 T 3040-2024). Every value is a string; an element without a "
        "value is left out. Generated from jjjcredit.core.library.elements; do not edit.",
        "type": "object",
        "properties": {e.name: json_property(e) for e in ELEMENTS},
        "required": [e.name for e in ELEMENTS if e.required],
        "additionalProperties": False,
    }


def json_schema_text() -> str:
    """:func:`json_schema` as the committed file holds it: UTF-8, indented, element order."""
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


# --- XML Schema --------------------------------------------------------------------------------


def _xsd_element(element: Element) -> list[str]:
    occurs = "1" if element.required else "0"
    facets: list[str] = []
    if element.values:
        facets += [f"<xs:enumeration value={quoteattr(code)}/>" for code in element.values]
    else:
        limits = length_limits(element)
        if limits:
            facets += [f'<xs:minLength value="{limits[0]}"/>', f'<xs:maxLength value="{limits[1]}"/>']
        pattern = value_pattern(element)
        if pattern:
            facets.append(f"<xs:pattern value={quoteattr(pattern)}/>")
    return [
        f'        <xs:element name="{element.name}" minOccurs="{occurs}" maxOccurs="1">',
        "          <xs:annotation>",
        f"            <xs:documentation>{escape(element.zh)}</xs:documentation>",
        f"            <xs:documentation>{escape(_description(element))}</xs:documentation>",
        "          </xs:annotation>",
        "          <xs:simpleType>",
        '            <xs:restriction base="xs:string">',
        *(f"              {facet}" for facet in facets),
        "            </xs:restriction>",
        "          </xs:simpleType>",
        "        </xs:element>",
    ]


def xsd() -> str:
    """An XML Schema for one ``<organization>`` record: one child per element, in element order,
    required ones with ``minOccurs="1"``. No target namespace. Deterministic text."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Generated from jjjcredit.core.library.elements by scripts/generate_docs.py; do not edit. -->",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="unqualified">',
        f'  <xs:element name="{RECORD_ELEMENT}">',
        "    <xs:annotation>",
        "      <xs:documentation>机构 One organization record of the Beijing–Tianjin–Hebei unified "
        "social credit code data elements (DB11/DB12/DB13 T 3040-2024). Children in element order; "
        "an element without a value is left out.</xs:documentation>",
        "    </xs:annotation>",
        "    <xs:complexType>",
        "      <xs:sequence>",
    ]
    for element in ELEMENTS:
        lines += _xsd_element(element)
    lines += [
        "      </xs:sequence>",
        "    </xs:complexType>",
        "  </xs:element>",
        "</xs:schema>",
    ]
    return "\n".join(lines) + "\n"


# --- listings and the elements page ------------------------------------------------------------


def describe_element(element: Element) -> dict[str, Any]:
    """One element as plain data (JSON-ready), fields in :data:`DESCRIPTION_FIELDS` order."""
    return {
        "identifier": element.identifier,
        "name": element.name,
        "zh": element.zh,
        "en": element.en,
        "format": element.format,
        "kind": element.kind.value,
        "min_length": element.min_length,
        "max_length": element.max_length,
        "decimals": element.decimals,
        "required": element.required,
        "security_level": element.security_level,
        "personal": element.personal,
        "reference": element.reference,
        "unit": element.unit,
        "pattern": value_pattern(element) or "",
        "values": [{"code": v.code, "zh": v.zh, "en": v.en} for v in element.values.values()],
    }


def describe_elements() -> list[dict[str, Any]]:
    """Every element as plain data, in element order (what ``jjjcredit elements list`` prints).

    >>> rows = describe_elements()
    >>> len(rows), rows[0]["name"], rows[0]["security_level"], list(rows[0]) == list(DESCRIPTION_FIELDS)
    (32, 'uscc', 1, True)
    """
    return [describe_element(e) for e in ELEMENTS]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _reference_summary(element: Element) -> str:
    parts = [p for p in (element.reference, f"unit {element.unit}" if element.unit else "") if p]
    if element.values:
        parts.append(f"{len(element.values)} values, listed below")
    return "; ".join(parts)


def elements_markdown() -> str:
    """``docs/elements.md``: the identifier scheme, formats, security levels, the 32 elements, and
    their value lists."""
    lines = [
        "# Data elements",
        "",
        "The basic data elements of one organization (DB11/DB12/DB13 T 3040-2024, built on",
        "GB/T 36104-2018). Generated from `jjjcredit.core.library.elements.ELEMENTS` by",
        "`scripts/generate_docs.py`; a test keeps this page, the schemas and the registry in step.",
        "Do not edit by hand.",
        "",
        "Generated from the same definition:",
        "",
        f"- [`{JSON_SCHEMA_FILE}`](../{JSON_SCHEMA_FILE}) — JSON Schema (draft 2020-12) of one record;",
        f"- [`{XSD_FILE}`](../{XSD_FILE}) — XML Schema of one `<{RECORD_ELEMENT}>` record;",
        "- the column order of every export (`jjjcredit.core.library.elements.COLUMN_ORDER`): the order of the",
        "  table below;",
        "- `jjjcredit elements list [--format table|json|csv]` and",
        "  `jjjcredit elements schema --format json-schema|xsd`.",
        "",
        "## Identifiers",
        "",
        "The official 4-digit identifiers of the 3040 standard were not available, so jjjcredit uses",
        "its own two-segment scheme **`CCSS`**: a 2-digit class, then a 2-digit sequence within the",
        "class, numbered from `01` without gaps. New elements take the next sequence in their class;",
        "an identifier is never reused. A deployment that receives the official identifiers maps them",
        "in its crosswalk configuration; the short `name` is what files and APIs use.",
        "",
        "| class | 中文 | English |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{code}` | {zh} | {en} |" for code, (zh, en) in elements.CLASSES.items()]
    lines += [
        "",
        "## Formats",
        "",
        "Every value is a string. Lengths count characters (a Chinese character is one).",
        "",
        "| notation | meaning | schema constraint |",
        "| --- | --- | --- |",
        "| `anN` | exactly N characters | length N, plus the element's pattern where the standard "
        "behind it fixes an alphabet |",
        "| `an..N` | 1 to N characters | length 1–N |",
        "| `anM..N` | M to N characters | length M–N |",
        "| `nN` | exactly N digits | `[0-9]{N}` |",
        "| `n..N` | 1 to N digits | `[0-9]{1,N}` |",
        "| `n..N,D` | a decimal of up to N digits, up to D of them after the point | "
        "`[0-9]{1,N−D}(\\.[0-9]{1,D})?` |",
        "| `D8` | a date `YYYYMMDD` | `[0-9]{8}` |",
        "| value list | one of the listed codes | enumeration |",
        "",
        "## Security levels",
        "",
        "Access control enforces the level of every element; personal data is never public and is",
        "masked wherever shown.",
        "",
        "| level | 中文 | English |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {level} | {zh} | {en} |" for level, (zh, en) in elements.SECURITY_LEVELS.items()]
    lines += [
        "",
        f"## The {len(ELEMENTS)} elements",
        "",
        "| identifier | name | 中文名 | English | format | required | security level | reference / values |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in ELEMENTS:
        level = f"{e.security_level} {elements.SECURITY_LEVELS[e.security_level][1]}"
        if e.personal:
            level += ", personal"
        lines.append(
            f"| `{e.identifier}` | `{e.name}` | {_cell(e.zh)} | {_cell(e.en)} | `{e.format}` | "
            f"{'yes' if e.required else 'no'} | {level} | {_cell(_reference_summary(e))} |"
        )
    patterned = [e for e in ELEMENTS if e.pattern]
    if patterned:
        lines += ["", "Patterns beyond the format:", ""]
        lines += [f"- `{e.name}`: `{e.pattern}`" for e in patterned]
    lines += ["", "## Value lists"]
    for e in ELEMENTS:
        if not e.values:
            continue
        source = f" ({e.reference})" if e.reference else ""
        lines += [
            "",
            f"### `{e.identifier}` `{e.name}` {e.zh}{source}",
            "",
            "| code | 中文 | English |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{v.code}` | {_cell(v.zh)} | {_cell(v.en)} |" for v in e.values.values()]
    return "\n".join(lines) + "\n"
