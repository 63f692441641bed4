"""A credit report file's signature: a signed JSON or PDF report verifies offline; any one byte changed,
an unknown key or a file that is no report is refused with its reason."""

from __future__ import annotations

import json

import pytest

from jjjcredit.core.sharing import evidence, report
from jjjcredit.core.sharing import report_signature as signature
from tests.core.sharing.test_report import AT, CODE, ORG, _penalty, _records

KEY = evidence.new_private_key()
KEYS = {"k1": evidence.public_pem(KEY)}


def _sealed() -> bytes:
    doc = report.build_report("JJJ-2026-00000000-4", AT, AT.date(), "public", "https://x/r", CODE, ORG,
                              _records(("JJJ-03-001", "行政处罚信息", [_penalty("罚1", "2026-03-01")])))
    return signature.seal_json(doc, KEY, "k1")


def test_a_json_report_verifies_and_any_changed_byte_is_refused_with_its_reason():
    data = _sealed()
    verified = signature.check_file(data, KEYS)
    assert verified.number == "JJJ-2026-00000000-4" and verified.envelope["format"] == "json"
    assert json.loads(data)["signature"]["sha256"] == signature.sha256(signature.canonical(json.loads(data)))
    reasons = set()
    for at in range(len(data)):
        changed = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
        with pytest.raises(report.ReportError) as caught:
            signature.check_file(changed, KEYS)
        reasons.add(caught.value.code)
        assert caught.value.message
    assert reasons <= {"report.altered", "report.file", "evidence.unknown_key", "evidence.algorithm"}


def test_a_json_report_under_an_unknown_key_is_refused():
    with pytest.raises(report.ReportError) as caught:
        signature.check_file(_sealed(), {"k2": evidence.public_pem(evidence.new_private_key())})
    assert caught.value.code == "evidence.unknown_key"
    with pytest.raises(report.ReportError) as caught:
        signature.check_file(_sealed(), {"k1": evidence.public_pem(evidence.new_private_key())})
    assert caught.value.code == "report.altered"


def test_a_pdf_is_signed_after_its_last_eof_and_any_changed_byte_is_refused():
    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 1\ntrailer\n<<>>\nstartxref\n12\n%%EOF\n"
    doc = json.loads(_sealed())
    sealed = signature.seal_pdf(pdf, doc, KEY, "k1")
    assert sealed.startswith(pdf) and sealed.endswith(b"startxref\n12\n%%EOF\n")
    assert signature.check_file(sealed, KEYS).envelope["sha256"] == signature.sha256(pdf)
    for at in range(len(sealed)):
        changed = sealed[:at] + bytes([sealed[at] ^ 0x20]) + sealed[at + 1:]
        with pytest.raises(report.ReportError):
            signature.check_file(changed, KEYS)
    with pytest.raises(report.ReportError) as caught:
        signature.check_file(pdf, KEYS)
    assert caught.value.code == "report.file"
