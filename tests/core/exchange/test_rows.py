"""core/exchange/rows.py: every format reads back what it wrote and writes it again byte for byte; XML
is valid against its XSD; the row checks find what a receiving node must refuse."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from jjjcredit.core.exchange import rows
from jjjcredit.core.exchange.packages import FORMATS, ExchangeError
from tests.services.library.library_files import codes

COLUMNS = ("uscc", "name", "status", "shareholder")
# text as packages carry it: no control characters (XML 1.0 has none), no surrogates, no bare CR
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"), max_size=12)
ROWS = st.lists(st.fixed_dictionaries({c: st.one_of(st.none(), TEXT) for c in COLUMNS}), max_size=6)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=30, deadline=None)
@given(found=ROWS)
def test_every_format_reads_back_what_it_wrote_and_writes_the_same_bytes(fmt: str, found: list[dict[str, str | None]]):
    for encoding in ("utf-8-sig", "gb18030") if fmt == "csv" else ("utf-8",):
        data = rows.write(fmt, "organizations", COLUMNS, found, encoding)
        back = rows.read(fmt, "organizations", COLUMNS, data, encoding)
        assert back == [{c: (r[c] or None) for c in COLUMNS} for r in found]
        assert rows.write(fmt, "organizations", COLUMNS, back, encoding) == data


def test_xml_is_valid_against_the_generated_xsd():
    org = {"uscc": "91130102MA0000000X", "name": "某公司 <&>", "status": "1"}
    data = rows.write("xml", "organizations", ("uscc", "name", "status"), [org])
    assert etree.XMLSchema(etree.fromstring(rows.xsd("organizations").encode())).validate(etree.fromstring(data))
    record = dict.fromkeys(rows.CREDIT_REQUIRED, "x") | {"version": "2", "values": "{}"}
    data = rows.write("xml", "credit_records", rows.CREDIT_COLUMNS, [record])
    schema = etree.XMLSchema(etree.fromstring(rows.xsd("credit_records").encode()))
    assert schema.validate(etree.fromstring(data)), schema.error_log
    assert not schema.validate(etree.fromstring(data.replace(b"<version>2<", b"<version>0<")))


@pytest.mark.parametrize(("fmt", "data"), [
    ("jsonl", b'{"uscc": 1}\n'), ("jsonl", b"[1]\n"), ("jsonl", b'{"other": "x"}\n'), ("csv", b"uscc,name\nx\n"),
    ("csv", b"name,uscc\n"), ("xml", b"<organizations><x/></organizations>"), ("xml", b"<other/>"),
    ("xml", b"<organizations>"), ("parquet", b"PAR1 not parquet")])
def test_a_file_that_is_not_its_format_is_refused(fmt: str, data: bytes):
    with pytest.raises(ExchangeError) as refused:
        rows.read(fmt, "organizations", ("uscc", "name"), data)
    assert refused.value.code == "exchange.malformed"


def test_organizations_are_checked_against_the_elements():
    code = codes(1)[0]
    found = [{"uscc": code, "status": "1", "established": "20200101"},
             {"uscc": code, "status": "7", "established": "2020-01-01"},
             {"uscc": "not a code", "status": None, "established": None}]
    problems = rows.check_organizations(found, ("uscc", "status", "established"))
    assert [(p["row"], p["field"]) for p in problems] == [(2, "uscc"), (2, "status"), (2, "established"),
                                                          (3, "uscc")]
    assert rows.check_organizations([], ("uscc", "nickname"))[0]["field"] == "nickname"
    # a valid code not as the library keeps it (lower case, spaces around) would be a second organization
    loose = [{"uscc": code.lower(), "status": "1"}, {"uscc": f" {code} ", "status": "1"}]
    problems = rows.check_organizations(loose, ("uscc", "status"))
    assert [(p["row"], p["field"]) for p in problems] == [(1, "uscc"), (2, "uscc")]
    assert all(f'expected "{code}"' in p["message"] for p in problems), problems


def test_a_problem_does_not_repeat_a_personal_number_the_row_held():
    found = [{"uscc": "13812345678", "status": "1"}, {"uscc": codes(1)[0], "established": "130102198505059977"}]
    problems = rows.check_organizations(found, ("uscc", "status", "established"))
    assert len(problems) == 2 and not any("13812345678" in p["message"] or "130102198505059977" in p["message"]
                                          for p in problems), problems


def test_credit_versions_are_checked():
    good = dict.fromkeys(rows.CREDIT_REQUIRED, "x") | {"version": "1", "at": "2026-06-01T00:00:00.000000Z",
                                                      "received": "2026-06-01T00:00:00Z",
                                                      "values": json.dumps({"a": "b"}), "subject_type": "organization",
                                                      "subject_code": "x", "status": "in_force", "action": "created"}
    assert rows.check_credit([good]) == []
    bad = [good, good, good | {"version": "0", "values": "[]", "at": "yesterday"}, good | {"item": None}]
    assert [(p["row"], p["field"]) for p in rows.check_credit(bad)] == [
        (2, "version"), (3, "version"), (3, "at"), (3, "values"), (4, "item")]


def test_a_record_s_subject_is_kept_as_every_node_keeps_it():
    """A natural person by the keyed hash alone, never a code; anyone else under its code: a package that
    would keep a person's number in clear is refused, and the number is not echoed."""
    good = dict.fromkeys(rows.CREDIT_REQUIRED, "x") | {"version": "1", "at": "2026-06-01T00:00:00Z",
                                                      "received": "2026-06-01T00:00:00Z", "values": "{}",
                                                      "status": "in_force", "action": "created"}
    number = "130102198505059977"
    person = good | {"subject_type": "natural_person", "subject_key": "P:" + "3f2a" * 10, "subject_code": None}
    organization = good | {"subject_type": "organization", "subject_key": "91130100MA0CX1Y3XL",
                           "subject_code": "91130100MA0CX1Y3XL"}
    assert rows.check_credit([person, organization | {"id": "y"}]) == []
    bad = [person | {"subject_code": number, "id": "1"}, person | {"subject_key": number, "id": "2"},
           organization | {"subject_key": number, "id": "3"}, organization | {"subject_type": number, "id": "4"},
           person | {"subject_key": "P:" + number, "id": "5"},  # a key that is no hash
           organization | {"subject_name": "张三" + number, "id": "6"},  # masked on import: see test_exchange
           organization | {"decided_on": number, "severity": number, "status": number, "action": number,
                           "provider": "举报人" + number, "item": number + "/x", "id": "7"},
           organization | {"id": number}]
    problems = rows.check_credit(bad)
    assert [(p["row"], p["field"]) for p in problems] == [
        (1, "subject_key"), (2, "subject_key"), (3, "subject_key"), (4, "subject_type"), (5, "subject_key"),
        (7, "status"), (7, "action"), (7, "provider"), (7, "severity"), (7, "decided_on"), (7, "item"), (8, "id")]
    assert not any(number in p["message"] for p in problems), problems


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "xml", "parquet"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_data_file_written_a_batch_at_a_time_reads_back_the_same_rows(fmt: str, encoding: str):
    found = [{"uscc": f"9113010{i:010d}X", "name": ["某公司", 'a"b<c>&', "x,y\nz", None][i % 4],
              "status": None if i % 3 else "1"} for i in range(10)]
    columns = ("uscc", "name", "status")
    out = io.BytesIO()
    writer = rows.DataWriter(out, fmt, "organizations", columns, encoding)
    for start in range(0, 10, 3):
        writer.write(found[start:start + 3])
    writer.close()
    data = out.getvalue()
    assert (writer.rows, writer.size, writer.sha256) == (10, len(data), hashlib.sha256(data).hexdigest())
    if fmt != "parquet":  # the text formats: the same bytes as the rows written at once
        assert data == rows.write(fmt, "organizations", columns, found, encoding)
    assert rows.read(fmt, "organizations", columns, data, encoding) == [
        {c: r[c] for c in columns} for r in found]
