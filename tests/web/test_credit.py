"""Credit records over HTTP (web/api/credit.py): a provider submits a batch with its key and gets the
summary the command line prints; the public reads a subject's records in public disclosure, application
parties granted ``records`` read them within their level; an identity number never goes into a URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from jjjcredit.services import db
from jjjcredit.services.sharing import clients
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.services.credit import credit_files as files
from tests.web.conftest import SECRET, Server, serving

CODES = files.codes(2)
SUFFIXES_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROVIDER = files.PROVIDER


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    keys = {}
    with engine.begin() as conn:
        files.publish(conn, 2026)
        for name, services, level in ((PROVIDER, "provide", 1), ("court", "records", 3), ("bureau", "records", 1),
                                      ("verifier", "verify", 3)):
            _, keys[name] = clients.add_client(conn, name, services, level)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000,
                             signing_key_secret=SECRET))
    with serving(app) as url:
        yield Server(url, app, [], keys)


def _csv(tmp_path: Path) -> bytes:
    rows = [files.penalty(CODES[0], "罚1"), files.penalty(None, "罚2"),
            files.penalty(CODES[1], "罚3", 处罚决定日期="2026-02-30")]
    return files.write_csv(tmp_path / "p.csv", rows).read_bytes()


def test_a_provider_submits_a_batch_and_gets_the_summary(server: Server, tmp_path: Path):
    body = _csv(tmp_path)
    with server.client(PROVIDER) as provider:
        answer = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "p.csv"},
                               content=body, headers={"Content-Type": "text/csv"})
        assert answer.status_code == 200, answer.text
        summary = answer.json()
        assert (summary["provider"], summary["file"], summary["rows"], summary["created"], summary["rejected"]) == \
            (PROVIDER, "p.csv", 3, 2, 1)
        assert summary["problems"][0]["row"] == 4 and summary["problems"][0]["code"] == "record.date"
        assert files.person() not in answer.text
        again = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).json()
        assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 1)
        assert again["message"].startswith("Nothing changed")
        broken = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "坏.xlsx"},
                               content=b"not a workbook", headers={"Content-Type": SUFFIXES_XLSX})
        assert broken.status_code == 400 and "坏.xlsx" in broken.text and "credit-batch-" not in broken.text
        unknown = provider.post("/api/v1/credit/batches", params={"item": "JJJ-99-001"}, content=body)
        assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "credit.unknown_item")
        layout = provider.post("/api/v1/credit/batches", params={"item": files.LICENCE}, content=body)
        assert (layout.status_code, layout.json()["errors"][0]["code"]) == (400, "credit.layout")
    for key in (None, "court"):
        with server.client(key) as other:
            refused = other.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body)
            assert refused.status_code in (401, 403)


def test_records_are_read_by_each_caller_as_its_view_says(server: Server, tmp_path: Path):
    with server.client(PROVIDER) as provider:
        provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=_csv(tmp_path))
    with server.client("court") as court:
        org = court.get(f"/api/v1/subjects/{CODES[0]}/records").json()
        assert org["records"] == 1 and org["items"][0]["records"][0]["document_number"] == "罚1"
        assert org["items"][0]["records"][0]["history"][0]["action"] == "created"
        # the person is asked for by the subject key a record shows; the number is opened for level 3
        engine = make_engine(_url(server))
        with engine.connect() as conn:
            key = conn.execute(text("SELECT subject_key FROM credit_records WHERE subject_type = 'natural_person'")
                               ).scalar_one()
        engine.dispose()
        person = court.get(f"/api/v1/subjects/{key}/records").json()
        assert person["items"][0]["records"][0]["values"]["证件号码"] == files.person()
        number = files.person()
        for written in (number, f"{number[:6]}-{number[6:]}", f"{number[:6]}.{number[6:]}"):
            refused = court.get(f"/api/v1/subjects/{written}/records")
            assert (refused.status_code, refused.json()["errors"][0]["code"]) == (400, "credit.identity_in_url")
            assert number not in refused.text
    with server.client("bureau") as bureau:
        seen = bureau.get(f"/api/v1/subjects/{key}/records")
        assert seen.status_code == 200 and files.person() not in seen.text
    for key_name in (None, "verifier"):  # without the records service: the public view
        with server.client(key_name) as other:
            org = other.get(f"/api/v1/subjects/{CODES[0]}/records").json()
            record = org["items"][0]["records"][0]
            assert (record["channel"], record["public"], record["history"]) == ("public_disclosure", True, [])
            person = other.get(f"/api/v1/subjects/{key}/records")
            assert person.status_code == 200 and person.json()["records"] == 0
    # the audit trail keeps the refused URL with the number masked
    deadline = time.monotonic() + 10
    engine = make_engine(_url(server))
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            paths = [p for (p,) in conn.execute(text("SELECT path FROM audit")) if "/subjects/" in p]
            if len(paths) >= 5:
                break
            time.sleep(0.1)
    engine.dispose()
    assert paths and all(files.person() not in p and files.person()[6:] not in p for p in paths)
    assert any("130102********" in p for p in paths)


def _url(server: Server) -> str:
    return server.app.state.engine.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
