"""Credit reports on a real database (services/sharing/report.py): issued as JSON and PDF, read
through the redaction point, kept as an issue record (never the contents), checked by number and
offline. The PDF's Chinese text reads back as the JSON report's, every font is embedded, the QR code
decodes to the verification address, and a file with one byte changed is refused with the reason."""

from __future__ import annotations

import datetime
import io
import json
import re
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import Engine, func, select

from jjjcredit.core.errors import Error
from jjjcredit.core.sharing import access, evidence
from jjjcredit.core.sharing import report as core
from jjjcredit.core.sharing import report_signature as signature
from jjjcredit.services import db
from jjjcredit.services.credit import records
from jjjcredit.services.library import library
from jjjcredit.services.sharing import disclosure, report
from jjjcredit.storage.schema import credit_reports
from tests.services.credit import credit_files as files
from tests.services.library import library_files

BOX = evidence.KeyBox("test-operator-secret")
BASE = "https://credit.example.cn"
READER = access.Caller("某法院", frozenset({"records", "lookup"}), 3)
CODES = library_files.codes(2, seed=7)


@pytest.fixture
def ready(engine: Engine, tmp_path: Path) -> Engine:
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "orgs.csv", CODES)),
                        "hebei/market-regulation")
    with engine.begin() as conn:
        files.publish(conn, 2026)
    rows = [files.penalty(CODES[0], f"石市监罚〔2026〕{i}号", 处罚决定日期=f"2026-0{1 + i % 5}-1{i % 10}")
            for i in range(6)]
    rows.append(files.penalty(CODES[1], "石市监罚〔2025〕9号", 处罚决定日期="2025-03-01"))
    records.ingest_file(engine, str(files.write_csv(tmp_path / "p.csv", rows)), files.PENALTY, files.PROVIDER,
                        protector=None)
    return engine


def _issue(engine: Engine, caller: access.Caller, fmt: str, code: str = CODES[0],
           asked: report.Asked = report.Asked()) -> report.Issued:
    with engine.begin() as conn:
        return report.issue_report(conn, caller, code, fmt=fmt, box=BOX, base_url=BASE, asked=asked)


def _keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return report.published_keys(conn)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_a_json_report_shows_what_the_caller_sees_and_is_kept_as_an_issue_record(ready: Engine):
    issued = _issue(ready, READER, "json")
    doc = json.loads(issued.content)
    assert doc["report"]["number"] == issued.number and core.validate_number(issued.number) == issued.number
    assert doc["report"]["verification"] == f"{BASE}/api/v1/reports/{issued.number}"
    assert doc["subject"]["code"] == CODES[0] and doc["summary"][1] == {"section": "penalties",
                                                                        "title": "行政处罚信息", "count": 6}
    decided = [r["decided_on"] for r in doc["sections"][1]["items"][0]["records"]]
    assert decided == sorted(decided, reverse=True)
    public = json.loads(_issue(ready, access.PUBLIC, "json").content)
    # the public sees the records the redaction point gives it (none until the public view of records exists)
    with ready.connect() as conn:
        expected = disclosure.subject_records(conn, access.PUBLIC, CODES[0], None)["records"]
    assert public["report"]["audience"] == "public" and sum(s["count"] for s in public["summary"]) == expected
    assert "张三" in json.dumps(public, ensure_ascii=False)  # the legal representative: a level-1 element
    telephone = library_files.restricted(CODES[0])["telephone"]  # a level-2 element: absent for the public
    assert telephone in issued.content.decode() and telephone not in json.dumps(public)
    with ready.connect() as conn:
        seen = report.verify_number(conn, issued.number.lower())
        assert conn.execute(select(func.count()).select_from(credit_reports)).scalar_one() == 2
    assert seen["issued"] is True and seen["subject"] == doc["subject"] and seen["kind"] == "standard"
    assert seen["files"]["json"]["file_sha256"] == signature.sha256(issued.content)
    assert seen["covering"]["records"] == 6 and seen["covering"]["audience"] == "client"
    assert "石市监罚" not in json.dumps(seen, ensure_ascii=False)  # never the contents
    assert report.verify_file(issued.content, _keys(ready))["number"] == issued.number


def test_a_pdf_report_reads_back_as_the_json_embeds_its_fonts_and_its_qr_code_points_to_its_verification(
        ready: Engine):
    issued = _issue(ready, READER, "pdf")
    assert issued.content.startswith(b"%PDF-") and issued.media_type == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(issued.content))
    text = _flat("".join(page.extract_text() for page in reader.pages))
    assert "第1页/共" in text
    # the page furniture (page numbers, the number in the footer, the QR code's caption) set apart
    text = re.sub(rf"扫码核验|第\d+页/共\d+页{issued.number}", "", text)
    at = 0
    for field in core.text_fields(issued.document):  # every text of the JSON, in its order
        found = text.find(_flat(field), at)
        assert found >= 0, f"{field!r} is not in the PDF's text after character {at}"
        at = found + len(_flat(field))
    fonts = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), descriptor["/FontName"]
                fonts += 1
    assert fonts
    images = reader.pages[0].images
    assert images
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)).convert("L"))
    assert [d.text for d in decoded] == [f"{BASE}/api/v1/reports/{issued.number}"]
    assert report.verify_file(issued.content, _keys(ready))["format"] == "pdf"
    with ready.connect() as conn:
        files_ = report.verify_number(conn, issued.number)["files"]
    assert files_["pdf"]["file_sha256"] == signature.sha256(issued.content)


@pytest.mark.parametrize("where", [0.0, 0.3, 0.999, -60, -3])
def test_a_report_with_one_byte_changed_is_refused_with_the_reason(ready: Engine, where: float):
    keys = _keys(ready) or {}
    for fmt in ("pdf", "json"):
        data = _issue(ready, READER, fmt).content
        keys = _keys(ready)
        at = int(len(data) * where) if where >= 0 else len(data) + int(where)
        changed = data[:at] + bytes([data[at] ^ 0x04]) + data[at + 1:]
        with pytest.raises(Error) as caught:
            report.verify_file(changed, keys)
        assert caught.value.code in ("report.altered", "report.file"), caught.value.message
        assert caught.value.message


def test_the_special_report_says_none_found_and_checks_its_period(ready: Engine):
    asked = report.Asked("special", datetime.date(2025, 1, 1), None, ("ecology_environment",))
    doc = json.loads(_issue(ready, READER, "json", asked=asked).content)
    assert [(q["question"], q["answer"]) for q in doc["questions"]] == [
        ("penalties", "none_found"), ("coercive_measures", "not_covered"), ("serious_dishonesty", "none_found")]
    market = json.loads(_issue(ready, READER, "json", asked=report.Asked("special", domains=("market_regulation",)))
                        .content)
    assert (market["questions"][0]["answer"], market["questions"][0]["found"]) == ("found", 6)
    pdf = _issue(ready, READER, "pdf", asked=asked)
    text = _flat("".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages))
    assert _flat(doc["questions"][0]["statement"].split("，", 1)[1]) in text
    with pytest.raises(Error) as caught:
        _issue(ready, READER, "json", asked=report.Asked("special", datetime.date(2019, 1, 1)))
    assert caught.value.code == "report.period"


def test_refusals_natural_persons_unknown_organizations_and_numbers(ready: Engine):
    for code, expected in ((files.person(), "report.not_organization"), ("P:0abc", "report.not_organization"),
                           (library_files.codes(1, seed=99)[0], "library.not_found")):
        with pytest.raises(Error) as caught:
            _issue(ready, READER, "json", code=code)
        assert caught.value.code == expected
    with ready.connect() as conn:
        for number, expected in ((core.new_number(2026, b"12345678"), "report.not_found"),
                                 ("JJJ-2026-12345678-0", "report.number"), ("nothing", "report.number")):
            with pytest.raises(Error) as caught:
                report.verify_number(conn, number)
            assert caught.value.code == expected
    with ready.begin() as conn, pytest.raises(Error) as caught:
        report.issue_report(conn, READER, CODES[0], fmt="json", box=None, base_url=BASE)
    assert caught.value.code == "evidence.no_secret"


def test_no_pdf_is_issued_without_a_chinese_font(ready: Engine, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(report, "chinese_fonts", lambda: ())
    with pytest.raises(Error) as caught:
        _issue(ready, READER, "pdf")
    assert caught.value.code == "report.render" and "fonts-wqy-microhei" in caught.value.message
    with ready.connect() as conn:
        assert conn.execute(select(func.count()).select_from(credit_reports)).scalar_one() == 0
