"""Credit reports over HTTP (web/api/report.py): JSON by default, PDF by Accept or ?format=pdf, what
the caller may see (an application party with ``records`` sees the records; the public, until its
view of records exists, none); the verification address tells that a number was issued and the hash
of its file, never the contents; refusals in the one error shape."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.report import check_char
from jjjcredit.services import db
from jjjcredit.services.credit import records
from jjjcredit.services.library import library
from jjjcredit.services.sharing import clients, disclosure, evidence, personal_keys, rate_limits, report
from jjjcredit.settings import DEFAULT_PUBLIC_URL, Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.services.credit import credit_files as files
from tests.services.library import library_files
from tests.web.conftest import SECRET, Server, serving

CODES = library_files.codes(2, seed=11)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "orgs.csv", CODES)),
                        "hebei/market-regulation")
    keys = {}
    with engine.begin() as conn:
        files.publish(conn, 2026)
        _, keys["court"] = clients.add_client(conn, "court", "records", 1)
    rows = [files.penalty(CODES[0], f"石市监罚〔2026〕{i}号") for i in range(3)]
    records.ingest_file(engine, str(files.write_csv(tmp_path / "p.csv", rows)), files.PENALTY, files.PROVIDER,
                        protector=None)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000,
                             signing_key_secret=SECRET, report_base_url="https://credit.example.cn"))
    with serving(app) as url:
        yield Server(url, app, CODES, keys)


def _keys(server: Server) -> dict[str, str]:
    with server.client() as public:
        return evidence.key_map(public.get("/api/v1/keys").json())


def test_a_report_as_json_then_as_pdf_and_its_verification(server: Server):
    with server.client("court") as court:
        answer = court.get(f"/api/v1/subjects/{CODES[0]}/report")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/json")
        doc = answer.json()
        number = answer.headers["x-report-number"]
        assert doc["report"]["number"] == number and doc["report"]["audience"] == "client"
        assert doc["report"]["verification"] == f"https://credit.example.cn/api/v1/reports/{number}"
        assert [(s["section"], s["count"]) for s in doc["summary"]][:2] == [("licences", 0), ("penalties", 3)]
        pdf = court.get(f"/api/v1/subjects/{CODES[0]}/report", headers={"Accept": "application/pdf"})
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF-") and pdf.headers["x-report-number"] != number
        # the verification address is signed into the report: the platform's own, never the Host a caller sends
        spoofed = court.get(f"/api/v1/subjects/{CODES[0]}/report", headers={"Host": "verify-credit.evil.example"})
        assert spoofed.json()["report"]["verification"].startswith("https://credit.example.cn/api/v1/reports/")
        server.app.state.report_base_url = None  # (none configured: where `jjjcredit serve` listens by default)
        try:
            spoofed = court.get(f"/api/v1/subjects/{CODES[0]}/report", headers={"Host": "verify-credit.evil.example"})
        finally:
            server.app.state.report_base_url = "https://credit.example.cn"
        assert spoofed.json()["report"]["verification"].startswith(f"{DEFAULT_PUBLIC_URL}/api/v1/reports/")
    deadline = time.monotonic() + 10  # the query log says which items' records the report showed
    while time.monotonic() < deadline:
        with server.app.state.engine.connect() as conn:
            logged = conn.execute(text("SELECT items FROM audit WHERE request_id = :r"),
                                  {"r": answer.headers["x-request-id"]}).scalar()
        if logged is not None:
            break
        time.sleep(0.1)
    assert json.loads(logged) == [files.PENALTY]
    keys = _keys(server)
    assert report.verify_file(answer.content, keys)["number"] == number  # the response body, saved, verifies
    assert report.verify_file(pdf.content, keys)["format"] == "pdf"
    with server.client() as anyone:
        seen = anyone.get(f"/api/v1/reports/{number}")
        assert seen.status_code == 200, seen.text
        body = seen.json()
        assert body["issued"] is True and body["subject"]["code"] == CODES[0]
        assert body["files"]["json"]["file_sha256"] == hashlib.sha256(answer.content).hexdigest()
        assert "石市监罚" not in seen.text  # never the contents
        other = anyone.get(f"/api/v1/reports/{pdf.headers['x-report-number'].lower()}").json()
        assert other["files"]["pdf"]["file_sha256"] == hashlib.sha256(pdf.content).hexdigest()
        # what a phone shows after scanning the QR code: the same facts as a page, never the contents
        page = anyone.get(f"/api/v1/reports/{number}", headers={"Accept": "text/html,application/xhtml+xml,*/*"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert number in page.text and "本平台已出具此编号的报告" in page.text and doc["subject"]["name"] in page.text
        assert hashlib.sha256(answer.content).hexdigest() in page.text and "石市监罚" not in page.text
        assert "北京时间" in page.text and "T" not in page.text.split("出具时间")[1][:40]  # as a reader reads it
        # a number naming no report, or mistyped, opened in a browser: a page saying so, with the status
        html_accept = {"Accept": "text/html,application/xhtml+xml,*/*"}
        unknown = anyone.get("/api/v1/reports/JJJ-2026-AAAAAAAA-W", headers=html_accept)
        mistyped = anyone.get(f"/api/v1/reports/{number[:-1]}{'1' if number[-1] != '1' else '2'}", headers=html_accept)
        assert (unknown.status_code, mistyped.status_code) == (404, 400)
        assert unknown.headers["content-type"].startswith("text/html") and "未查询到该编号的报告" in unknown.text
        assert "报告编号有误" in mistyped.text and "<script" not in mistyped.text
        assert anyone.get("/api/v1/reports/JJJ-2026-AAAAAAAA-W").json()["errors"][0]["code"] == "report.not_found"


def test_the_public_report_has_the_shape_and_no_records_it_may_not_see(server: Server):
    with server.client() as public:
        answer = public.get(f"/api/v1/subjects/{CODES[0]}/report", params={"format": "pdf"})
        assert answer.status_code == 200 and answer.content.startswith(b"%PDF-")
        doc = public.get(f"/api/v1/subjects/{CODES[0]}/report").json()
    assert list(doc) == ["report", "subject", "basic", "summary", "sections", "notes", "signature"]
    # the records the redaction point gives the public (none until the public view of records exists)
    engine = make_engine(server.app.state.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    with engine.connect() as conn:
        expected = disclosure.subject_records(conn, access.PUBLIC, CODES[0], None)["records"]
    engine.dispose()
    assert doc["report"]["audience"] == "public" and sum(s["count"] for s in doc["summary"]) == expected
    assert [s["section"] for s in doc["sections"]] == ["licences", "penalties", "lists", "commendations",
                                                       "commitments", "other"]
    assert library_files.restricted(CODES[0])["telephone"] not in json.dumps(doc)


def test_the_special_report_says_none_found(server: Server):
    with server.client("court") as court:
        doc = court.get(f"/api/v1/subjects/{CODES[1]}/report",
                        params={"kind": "special", "from": "2022-01-01", "domains": "market_regulation"}).json()
    assert doc["report"]["kind"] == "special" and doc["report"]["period"]["from"] == "2022-01-01"
    assert [q["answer"] for q in doc["questions"]] == ["none_found", "not_covered", "none_found"]
    assert "未发现该主体的行政处罚记录" in doc["questions"][0]["statement"]


@pytest.mark.parametrize(("path", "params", "status", "code"), [
    ("/api/v1/reports/JJJ-2026-12345678-{check}", {}, 404, "report.not_found"),
    ("/api/v1/reports/JJJ-2026-12345678-0", {}, 400, "report.number"),
    ("/api/v1/subjects/P:0abc/report", {}, 400, "report.not_organization"),
    ("/api/v1/subjects/{code}/report", {"format": "xml"}, 400, "report.format"),
    ("/api/v1/subjects/{code}/report", {"kind": "special", "from": "2019-01-01"}, 400, "report.period"),
    ("/api/v1/subjects/{code}/report", {"kind": "special", "domains": "tax"}, 400, "report.domain"),
    ("/api/v1/subjects/{code}/report", {"kind": "yearly"}, 400, "report.kind"),
    ("/api/v1/subjects/{unknown}/report", {}, 404, "library.not_found"),
])
def test_refusals_in_the_one_error_shape(server: Server, path: str, params: dict[str, str], status: int, code: str):
    url = path.format(check=check_char("202612345678"), code=CODES[0], unknown=library_files.codes(1, seed=99)[0])
    with server.client() as public:
        answer = public.get(url, params=params)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert list(body) == ["errors"] and body["errors"][0]["code"] == code and body["errors"][0]["message"]


def test_reports_are_limited_per_client_and_per_address(server: Server):
    server.app.state.report_limiter = rate_limits.LocalWindow(2)  # (JJJCREDIT_REPORTS_PER_MINUTE=2)
    with server.client("court") as court, server.client() as public:
        for _ in range(2):
            assert court.get(f"/api/v1/subjects/{CODES[0]}/report").status_code == 200
        refused = court.get(f"/api/v1/subjects/{CODES[0]}/report")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        error = refused.json()["errors"][0]
        assert error["code"] == "access.rate_limited"
        assert error["message"].startswith('Too many credit reports for client "court": at most 2 a minute')
        # the public counts by address, in a window apart from the client's, and a look-up is not a report
        for _ in range(2):
            assert public.get(f"/api/v1/subjects/{CODES[0]}/report").status_code == 200
        assert public.get(f"/api/v1/subjects/{CODES[0]}/report").status_code == 429
        assert public.get(f"/api/v1/organizations/{CODES[0]}").status_code == 200
        assert court.get(f"/api/v1/subjects/{CODES[0]}/records").status_code == 200


def test_a_report_shows_records_as_the_key_reads_them_not_at_its_lookup_level(server: Server, tmp_path: Path):
    """A key granted lookup at level 3 and not records reads the records of a report as the public does —
    the operator's identity number masked, as its records call shows them — while a key granted
    lookup and records at level 3 reads it in clear in both."""
    number = files.person(seq=457)
    engine = make_engine(server.app.state.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    with engine.begin() as conn:
        protector = personal_keys.protector(conn, server.app.state.key_box)  # type: ignore[attr-defined]
        for name, services in (("registry", "lookup"), ("bureau", "lookup,records")):
            server.keys[name] = clients.add_client(conn, name, services, 3)[1]
    rows = [files.penalty(CODES[1], "石市监罚〔2026〕77号", 行政相对人类别="个体工商户", 证件类型="身份证",
                          证件号码=number)]
    summary = records.ingest_file(engine, str(files.write_csv(tmp_path / "fr.csv", rows)), files.PENALTY,
                                  files.PROVIDER, protector=protector)
    engine.dispose()
    assert summary.created == 1, summary.to_dict()
    masked = number[:6] + "*" * 8 + number[-4:]
    for key, shown in (("registry", masked), ("bureau", number)):
        with server.client(key) as http:
            listed = http.get(f"/api/v1/subjects/{CODES[1]}/records").json()
            answer = http.get(f"/api/v1/subjects/{CODES[1]}/report")
        assert answer.status_code == 200, answer.text
        values = answer.json()["sections"][1]["items"][0]["records"][0]["values"]
        assert values["证件号码"] == shown, (key, values)
        assert listed["items"][0]["records"][0]["values"]["证件号码"] == shown, (key, listed)
