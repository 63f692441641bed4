"""Credit records over HTTP (web/api/credit.py): a provider submits a batch with its key and gets the
summary the command line prints; the public reads a subject's records in public disclosure, application
parties granted ``records`` read them within their level; an identity number never goes into a URL."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from jjjcredit.core.credit import catalogue as rules
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue, timeliness
from jjjcredit.services.sharing import authorizations, clients, personal_keys
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
                                      ("verifier", "verify", 3), ("sharing", "records", 2), ("其他部门", "provide", 1)):
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


def test_a_refused_batch_is_logged_with_the_code_its_answer_carries(server: Server, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture):
    """The operator asked why a provider's batches do not arrive finds the reason in the request's log line."""
    body = files.write_csv(tmp_path / "p.csv", [{"某列": "1", "另一列": "2"}]).read_bytes()
    with caplog.at_level(logging.INFO, logger="jjjcredit.web"), server.client(PROVIDER) as provider:
        answer = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body)
        assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "credit.layout"
    deadline = time.monotonic() + 5  # (the line is written once the answer is sent)
    while not (logged := [r for r in caplog.records if getattr(r, "route", None) == "/api/v1/credit/batches"]) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(r.code, r.getMessage()) for r in logged] == [  # type: ignore[attr-defined]
        ("credit.layout", "POST /api/v1/credit/batches 400 credit.layout")]


def test_a_provider_submits_a_batch_and_gets_the_summary(server: Server, tmp_path: Path,
                                                         caplog: pytest.LogCaptureFixture):
    body = _csv(tmp_path)
    with caplog.at_level(logging.INFO, logger="jjjcredit.web"), server.client(PROVIDER) as provider:
        answer = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "p.csv"},
                               content=body, headers={"Content-Type": "text/csv"})
        assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 5  # (the line is written once the answer is sent)
    while not (logged := [r for r in caplog.records if getattr(r, "route", None) == "/api/v1/credit/batches"]) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(r.batch, r.getMessage().endswith(f"batch {r.batch}")) for r in logged] == [  # type: ignore[attr-defined]
        (answer.json()["batch"], True)]  # the operator finds the batch a call made by its id
    with server.client(PROVIDER) as provider:
        summary = answer.json()
        assert (summary["provider"], summary["file"], summary["rows"], summary["created"], summary["rejected"]) == \
            (PROVIDER, "p.csv", 3, 2, 1)
        listed = [(p["row"], p["code"]) for p in summary["problems"]]  # by row, as a clerk walks down the sheet
        assert listed == sorted(listed) and (4, "record.date") in listed and listed[0][0] == 2
        assert files.person() not in answer.text
        again = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).json()
        assert (again["created"], again["unchanged"], again["rejected"]) == (0, 2, 1)
        assert again["message"].startswith("Nothing changed")
        book = files.write_xlsx(tmp_path / "p.xlsx", [files.penalty(CODES[0], "罚1")]).read_bytes()
        for sent_as in ({}, {"Content-Type": "application/octet-stream"},
                        {"Content-Type": "application/x-www-form-urlencoded"}):  # (curl --data-binary's)
            workbook = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "p.xlsx"},
                                     content=book, headers=sent_as)
            assert workbook.status_code == 200 and workbook.json()["format"] == "xlsx", (sent_as, workbook.text)
        broken = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "坏.xlsx"},
                               content=b"not a workbook", headers={"Content-Type": SUFFIXES_XLSX})
        assert broken.status_code == 400 and "坏.xlsx" in broken.text and "credit-batch-" not in broken.text
        unknown = provider.post("/api/v1/credit/batches", params={"item": "JJJ-99-001"}, content=body)
        assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "credit.unknown_item")
        typed = provider.post("/api/v1/credit/batches", params={"item": files.person()}, content=body)
        assert typed.status_code == 404 and files.person() not in typed.text  # an error repeats it masked
        layout = provider.post("/api/v1/credit/batches", params={"item": files.LICENCE}, content=body)
        assert (layout.status_code, layout.json()["errors"][0]["code"]) == (400, "credit.layout")
        unnamed = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=b"not a workbook",
                                headers={"Content-Type": SUFFIXES_XLSX})  # no ?name=: the body is called so
        assert unnamed.status_code == 400 and "the request body" in unnamed.json()["errors"][0]["message"], unnamed.text
        assert "batch" not in unnamed.json()["errors"][0]["message"].replace("?name=", "")
    for key in (None, "court"):
        with server.client(key) as other:
            refused = other.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body)
            assert refused.status_code in (401, 403)


def test_a_providers_own_headers_are_mapped_over_the_api_as_on_the_command_line(server: Server, tmp_path: Path):
    """A header of the provider's own (处罚文号) is refused with a message that says how to map it, and
    mapped by ``columns=its header=field`` (as ``--columns`` maps it on the command line)."""
    row = files.penalty(CODES[0], "罚1")
    own = {("处罚文号" if k == "行政处罚决定书文号" else k): v for k, v in row.items()}
    body = files.write_csv(tmp_path / "own.csv", [own]).read_bytes()
    with server.client(PROVIDER) as provider:
        refused = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body)
        assert refused.status_code == 400
        message = refused.json()["errors"][0]["message"]
        assert "“处罚文号”" in message and "--columns" in message and "columns=" in message
        mapped = provider.post("/api/v1/credit/batches", content=body, params={
            "item": files.PENALTY, "columns": ["处罚文号=行政处罚决定书文号"]})
        assert mapped.status_code == 200, mapped.text
        assert (mapped.json()["created"], mapped.json()["columns"]["处罚文号"]) == (1, "CF_WSH")
        for wrong, said in (("处罚文号", "your header=field"), ("处罚文号=无此字段", "无此字段")):
            bad = provider.post("/api/v1/credit/batches", content=body,
                                params={"item": files.PENALTY, "columns": [wrong]})
            assert (bad.status_code, bad.json()["errors"][0]["code"]) == (400, "credit.layout"), bad.text
            assert said in bad.json()["errors"][0]["message"] and "--columns" not in bad.json()["errors"][0]["message"]
        typed = provider.post("/api/v1/credit/batches", content=body,  # a number typed where a header goes
                              params={"item": files.PENALTY, "columns": [f"{files.person()}=无此字段"]})
        assert typed.status_code == 400 and files.person() not in typed.text
        extra = files.write_csv(tmp_path / "extra.csv", [dict(row, 公示截至期="2027-05-19")]).read_bytes()
        unread = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=extra)
        assert unread.status_code == 200 and unread.json()["ignored"] == ["公示截至期"]  # said as on the command line
        assert "“公示截至期” (公示截止期?) of this file names no field" in unread.json()["message"]
        assert "--columns" in unread.json()["message"] and "columns=" in unread.json()["message"]


def test_a_provider_reads_every_rejected_row_of_its_own_batches_in_pages(server: Server, tmp_path: Path):
    rows = [files.penalty(CODES[0], f"罚{n}", 处罚决定日期="2026-02-30") for n in range(5)]  # every row rejected
    rows.append(files.penalty(None, "罚9", 处罚决定日期="2026-02-31"))  # a natural person's: masked
    body = files.write_csv(tmp_path / "bad.csv", rows).read_bytes()
    with server.client(PROVIDER) as provider:
        summary = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).json()
        assert summary["rejected"] == 6
        pages, after = [], 0
        while after is not None:
            page = provider.get(f"/api/v1/credit/batches/{summary['batch']}/rejects",
                                params={"after": after, "limit": 4})
            assert page.status_code == 200, page.text
            pages.append(page.json()["rows"])
            after = page.json()["next_after"]
        assert [len(p) for p in pages] == [4, 2] and [r["row"] for p in pages for r in p] == [2, 3, 4, 5, 6, 7]
        first = pages[0][0]
        assert first["problems"][0]["code"] == "record.date" and first["values"]["行政处罚决定书文号"] == "罚0"
        assert files.person() not in str(pages)
        unknown = provider.get("/api/v1/credit/batches/NOPE/rejects")
        assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "credit.no_batch")
    with server.client("court") as other:  # a key without the provide service
        assert other.get(f"/api/v1/credit/batches/{summary['batch']}/rejects").status_code == 403
    with server.client("其他部门") as other:  # another provider: answered as no batch
        assert other.get(f"/api/v1/credit/batches/{summary['batch']}/rejects").status_code == 404


def test_a_batchs_rejects_stay_with_the_client_that_sent_it_and_its_item_grant(server: Server, tmp_path: Path):
    """A batch is its client's, not its name's: once the provider's client is revoked, a new client holding the
    name — as an earlier version gave a revoked name again; it no longer does (clients.name_revoked) — reads none
    of the first one's batches (404, as another provider's). And the rejects are read only
    while the key may provide under the batch's item: a grant narrowed to another item refuses them (403)."""
    rows = [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-02-30")]
    body = files.write_csv(tmp_path / "bad.csv", rows).read_bytes()
    with server.client(PROVIDER) as provider:
        old = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).json()["batch"]
        assert provider.get(f"/api/v1/credit/batches/{old}/rejects").status_code == 200
    engine = make_engine(_url(server))
    with engine.begin() as conn:
        clients.revoke_client(conn, PROVIDER)
        _, server.keys[PROVIDER] = clients.add_client(conn, "successor", "provide", 1, "JJJ-04-001")
        conn.execute(text("UPDATE clients SET name = :name WHERE name = 'successor'"), {"name": PROVIDER})
    with server.client(PROVIDER) as successor:
        inherited = successor.get(f"/api/v1/credit/batches/{old}/rejects")
        assert (inherited.status_code, inherited.json()["errors"][0]["code"]) == (404, "credit.no_batch")
        assert "罚1" not in inherited.text
    with engine.begin() as conn:  # a grant narrowed after the batch: its rejects are no longer read with that key
        _, server.keys["其他部门"] = clients.add_client(conn, "其他部门2", "provide", 1)
    with server.client("其他部门") as other:
        batch = other.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).json()["batch"]
        assert other.get(f"/api/v1/credit/batches/{batch}/rejects").status_code == 200
        with engine.begin() as conn:
            clients.grant_items(conn, "其他部门2", "JJJ-04-001")
        narrowed = other.get(f"/api/v1/credit/batches/{batch}/rejects")
        assert (narrowed.status_code, narrowed.json()["errors"][0]["code"]) == (403, "access.item"), narrowed.text
        assert "罚1" not in narrowed.text
    engine.dispose()


def test_an_item_code_with_a_control_character_or_a_personal_number_is_refused_shown_safely(server: Server,
                                                                                           tmp_path: Path):
    """An item code is echoed as catalogue.shown_code shows it — quoted, a control or direction character escaped,
    a personal number masked, with what a directory code is — and a NUL is refused before any route runs: a
    clear 4xx on PostgreSQL as on SQLite, never a 500."""
    body = _csv(tmp_path)
    with server.client(PROVIDER) as provider:
        for item, shown in (("JJJ-03\x01-001", '"JJJ-03\\u0001-001"'), ("JJJ-03-001\u202e", '"JJJ-03-001\\u202e"'),
                            ("13812345678", '"138****5678"')):
            answer = provider.post("/api/v1/credit/batches", params={"item": item}, content=body)
            error = answer.json()["errors"][0]
            assert (answer.status_code, error["code"], error["field"]) == (404, "credit.unknown_item", "item"), item
            assert shown in error["message"]
            assert ("a directory code is letters and digits" in error["message"]) == item.startswith("JJJ"), item
            assert item not in error["message"] and "JJJ-03-001, JJJ-03-002" in error["message"]
        nul = provider.post("/api/v1/credit/batches", params={"item": "JJJ-03\x00-001"}, content=body)
        assert (nul.status_code, nul.json()["errors"][0]["code"]) == (400, "request.bad_characters"), nul.text


def test_a_code_that_is_none_is_refused_not_answered_with_no_records(server: Server):
    """A clerk who mistypes a code is told so, not given a clean answer."""
    wrong = CODES[0][:-1] + ("0" if CODES[0][-1] != "0" else "1")
    with server.client() as public, server.client("court") as court:
        for http in (public, court):
            for code in (wrong, "hello"):
                answer = http.get(f"/api/v1/subjects/{code}/records")
                assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == "credit.subject_code", \
                    answer.text
            assert http.get(f"/api/v1/subjects/{CODES[1]}/records").status_code == 200  # valid, with no records


def test_a_batch_over_the_api_rows_limit_is_refused_whole(server: Server, tmp_path: Path):
    limits = server.app.state.limits
    server.app.state.limits = replace(limits, api_rows=2)  # (the setting JJJCREDIT_LIMIT_API_ROWS)
    try:
        with server.client(PROVIDER) as provider:
            over = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "p.csv"},
                                 content=_csv(tmp_path), headers={"Content-Type": "text/csv"})
    finally:
        server.app.state.limits = limits
    assert over.status_code == 413 and over.json()["errors"][0]["code"] == "file.too_many_rows"
    assert "more than 2 rows" in over.text and "JJJCREDIT_LIMIT_API_ROWS" in over.text
    with server.client("court") as court:
        assert court.get(f"/api/v1/subjects/{CODES[0]}/records").json()["records"] == 0  # nothing kept


def test_a_subjects_records_come_in_pages(server: Server, tmp_path: Path):
    rows = [files.penalty(CODES[0], f"罚{i}", 处罚决定日期=f"2026-05-0{i}") for i in range(1, 4)]
    body = files.write_csv(tmp_path / "p.csv", rows).read_bytes()
    with server.client(PROVIDER) as provider:
        assert provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body).status_code == 200
    with server.client("court") as court:
        first = court.get(f"/api/v1/subjects/{CODES[0]}/records", params={"limit": 2}).json()
        rest = court.get(f"/api/v1/subjects/{CODES[0]}/records", params={"limit": 2, "offset": 2}).json()
        whole = court.get(f"/api/v1/subjects/{CODES[0]}/records").json()
        too_many = court.get(f"/api/v1/subjects/{CODES[0]}/records", params={"limit": 5001})
    numbers = [[r["document_number"] for g in page["items"] for r in g["records"]] for page in (first, rest, whole)]
    assert numbers == [["罚3", "罚2"], ["罚1"], ["罚3", "罚2", "罚1"]]
    assert [(p["records"], p["returned"], p["next_offset"]) for p in (first, rest, whole)] == [
        (3, 2, 2), (3, 1, None), (3, 3, None)]
    assert too_many.status_code == 422


def test_records_are_read_by_each_caller_as_its_view_says(server: Server, tmp_path: Path):
    with server.client(PROVIDER) as provider:
        provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=_csv(tmp_path))
    with server.client("court") as court:
        org = court.get(f"/api/v1/subjects/{CODES[0]}/records").json()
        assert org["records"] == 1 and org["items"][0]["records"][0]["document_number"] == "罚1"
        assert org["items"][0]["records"][0]["history"][0]["action"] == "created"
        assert org["items"][0]["records"][0]["values"]["失信严重程度"] == "一般"  # as the row sent it
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


def _serious(tmp_path: Path) -> bytes:
    """A serious penalty decided 2026-04-10 against an organization and one against a natural person."""
    rows = [files.penalty(CODES[0], "罚1", 处罚决定日期="2026-04-10", 失信严重程度="严重"),
            files.penalty(None, "罚2", 处罚决定日期="2026-04-10", 失信严重程度="严重")]
    return files.write_csv(tmp_path / "serious.csv", rows).read_bytes()


def _on(server: Server, day: datetime.date) -> None:
    server.app.state.today = lambda: day  # type: ignore[attr-defined]  # the clock credit records are read by


def test_the_public_reads_a_record_to_the_last_day_of_its_window_and_government_sharing_after_it(
        server: Server, tmp_path: Path):
    with server.client(PROVIDER) as provider:
        assert provider.post("/api/v1/credit/batches", params={"item": files.PENALTY},
                             content=_serious(tmp_path)).json()["created"] == 2
    path = f"/api/v1/subjects/{CODES[0]}/records"
    _on(server, datetime.date(2029, 4, 10))
    with server.client() as public, server.client("bureau") as bureau, server.client("sharing") as sharing:
        for caller in (public, bureau):
            answer = caller.get(path)
            assert answer.status_code == 200, answer.text
            record = answer.json()["items"][0]["records"][0]
            assert (record["channel"], record["public"], record["public_until"]) == \
                ("public_disclosure", True, "2029-04-10")
        _on(server, datetime.date(2029, 4, 11))
        for caller in (public, bureau):
            assert caller.get(path).json() == {"subject": CODES[0], "as_of": "2029-04-11", "items": [], "records": 0,
                                               "offset": 0, "returned": 0, "next_offset": None}
        shared = sharing.get(path).json()["items"][0]["records"][0]
        assert (shared["channel"], shared["public"], shared["public_until"]) == \
            ("government_sharing", False, "2029-04-10")
        # as of a day: the last day of the window (for the public, withdrawn since: its window is over),
        # and before the decision
        assert public.get(path, params={"as_of": "2029-04-10"}).json()["records"] == 0
        assert sharing.get(path, params={"as_of": "2029-04-10"}).json()["records"] == 1
        assert sharing.get(path, params={"as_of": "2026-04-09"}).json()["records"] == 0
        for bad in ("2026-02-30", "20260410", "明天"):
            refused = public.get(path, params={"as_of": bad})
            error = refused.json()["errors"][0]
            assert (refused.status_code, error["code"], error["field"]) == (400, "usage.date", "as_of")
            assert f'"{bad}"' in error["message"] and "YYYY-MM-DD" in error["message"]
        # a natural person: nothing for the public, the same answer as a subject that has no records
        engine = make_engine(_url(server))
        with engine.connect() as conn:
            key = conn.execute(text("SELECT subject_key FROM credit_records WHERE subject_type = 'natural_person'")
                               ).scalar_one()
        engine.dispose()
        nobody = public.get("/api/v1/subjects/P:" + "0" * 64 + "/records").json()
        person = public.get(f"/api/v1/subjects/{key}/records", params={"as_of": "2026-05-01"})
        assert person.json() == nobody | {"as_of": "2026-05-01"} and nobody["records"] == 0
        assert files.person() not in person.text
        assert sharing.get(f"/api/v1/subjects/{key}/records").json()["records"] == 1
        # shared 60 months after the window (the default catalogue's sharing period), then archived
        _on(server, datetime.date(2034, 4, 10))
        last = sharing.get(path).json()["items"][0]["records"][0]
        assert (last["channel"], last["shared_until"]) == ("government_sharing", "2034-04-10")
        _on(server, datetime.date(2034, 4, 11))
        for subject in (CODES[0], key):
            assert sharing.get(f"/api/v1/subjects/{subject}/records").json()["records"] == 0
        assert sharing.get(path, params={"as_of": "2034-04-10"}).json()["records"] == 1


def test_public_calls_for_records_are_rate_limited(server: Server, database_url: str):
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=2,
                             signing_key_secret=SECRET))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as public:
        answers = [public.get(f"/api/v1/subjects/{CODES[0]}/records") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["errors"][0]["code"] == "access.rate_limited" and "Retry-After" in answers[2].headers


def test_an_authorized_query_over_http(server: Server, tmp_path: Path):
    with server.client(PROVIDER) as provider:
        provider.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=_csv(tmp_path))
    engine = make_engine(_url(server))
    with engine.begin() as conn:
        key = conn.execute(text("SELECT subject_key FROM credit_records WHERE subject_type = 'natural_person'")
                           ).scalar_one()
        protector = personal_keys.protector(conn, server.app.state.key_box)  # type: ignore[attr-defined]
        conn.execute(text("UPDATE credit_records SET created_at = :m, updated_at = :m"),  # received 2026-05-21
                     {"m": datetime.datetime(2026, 5, 21, 2, tzinfo=datetime.UTC)})
        given = authorizations.add_authorization(conn, key, "bureau", "贷款审批", [files.PENALTY],
                                                 datetime.date(2026, 6, 1), datetime.date(2026, 12, 31),
                                                 "授权书 1", "某中心", protector).id
    engine.dispose()
    path = f"/api/v1/subjects/{key}/records"
    _on(server, datetime.date(2026, 7, 1))
    with server.client("bureau") as bureau, server.client("court") as court, server.client() as public:
        assert bureau.get(path).json()["records"] == 0  # level 1 without it: natural persons are never public
        answer = bureau.get(path, params={"authorization": given})
        assert answer.status_code == 200 and answer.json()["items"][0]["records"][0]["channel"] == "authorized_query"
        assert files.person() not in answer.text
        for caller, params, status, code in (
                (court, {"authorization": given}, 403, "authorization.wrong_party"),
                (public, {"authorization": given}, 403, "authorization.wrong_party"),
                (bureau, {"authorization": "nope"}, 404, "authorization.missing"),
                (bureau, {"authorization": given, "item": files.LICENCE}, 403, "authorization.wrong_item")):
            refused = caller.get(path, params=params)
            assert (refused.status_code, refused.json()["errors"][0]["code"]) == (status, code)
        _on(server, datetime.date(2027, 1, 1))
        expired = bureau.get(path, params={"authorization": given})
        assert expired.status_code == 403 and "2026-12-31" in expired.json()["errors"][0]["message"]


# --- a party's item grant (clients.items): the records of the items it is granted, no others -------------

#: A copy of the penalty item under another code, so that one file serves both items.
OTHER = "JJJ-90-001"


@pytest.fixture
def two_items(database_url: str) -> Iterator[Server]:
    """The 2026 edition with the penalty item and a copy of it; parties granted ``records`` at level 2,
    for the penalty item, for the copy, and for every item."""
    engine = make_engine(database_url)
    db.upgrade(engine)
    keys = {}
    office = "河北省发展改革委"
    with engine.begin() as conn:
        catalogue.draft_edition(conn, 2026, office)
        copy = rules.item_to_dict(rules.default_item(files.PENALTY)) | {"code": OTHER, "contested": False}
        catalogue.add_item(conn, copy, "测试", office, year=2026)
        catalogue.open_comments(conn, 2026, office)
        catalogue.assess_item(conn, 2026, files.CONTESTED, "同意", "同意", "保留", office)
        catalogue.approve_edition(conn, 2026, "河北省人民政府")
        catalogue.publish_edition(conn, 2026, office)
        _, keys[PROVIDER] = clients.add_client(conn, PROVIDER, "provide", 1)
        _, keys["某审批局"] = clients.add_client(conn, "某审批局", "provide", 1, files.PENALTY)
        for name, items in (("penalties", files.PENALTY), ("others", OTHER), ("everything", None)):
            _, keys[name] = clients.add_client(conn, name, "records", 2, items)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000,
                             signing_key_secret=SECRET))
    with serving(app) as url:
        yield Server(url, app, [], keys)


def test_a_party_granted_one_item_reads_its_records_and_not_those_of_another(two_items: Server, tmp_path: Path):
    server = two_items
    body = _serious(tmp_path)
    with server.client(PROVIDER) as provider:
        for item in (files.PENALTY, OTHER):
            answer = provider.post("/api/v1/credit/batches", params={"item": item}, content=body)
            assert answer.status_code == 200 and answer.json()["created"] == 2, answer.text
    engine = make_engine(_url(server))
    with engine.connect() as conn:
        person = conn.execute(text("SELECT DISTINCT subject_key FROM credit_records "
                                   "WHERE subject_type = 'natural_person'")).scalar_one()
    _on(server, datetime.date(2029, 4, 11))  # past the public window: government sharing only

    def items(caller: httpx.Client, subject: str, **params: str) -> dict[str, str]:
        answer = caller.get(f"/api/v1/subjects/{subject}/records", params=params)
        assert answer.status_code == 200, answer.text
        return {g["item"]: g["records"][0]["channel"] for g in answer.json()["items"]}

    with server.client("penalties") as penalties, server.client("others") as others, \
            server.client("everything") as everything:
        for subject in (CODES[0], person):
            assert items(penalties, subject) == {files.PENALTY: "government_sharing"}
            assert items(others, subject) == {OTHER: "government_sharing"}
            assert items(everything, subject) == {files.PENALTY: "government_sharing", OTHER: "government_sharing"}
        # inside the window the organization's record of the other item is public: seen as the public sees it
        _on(server, datetime.date(2029, 4, 10))
        assert items(penalties, CODES[0]) == {files.PENALTY: "government_sharing", OTHER: "public_disclosure"}
        assert items(penalties, person) == {files.PENALTY: "government_sharing"}
        _on(server, datetime.date(2029, 4, 11))
        # a grant changed at the command line counts from the next call, with the same key
        with engine.begin() as conn:
            clients.grant_items(conn, "penalties", OTHER)
        assert items(penalties, person) == {OTHER: "government_sharing"}
    engine.dispose()


def test_a_provider_granted_one_item_submits_under_it_and_no_other(two_items: Server, tmp_path: Path):
    """A key's items bound what it submits as well as what it reads: a bureau granted the penalty item puts
    no record under another (a court's list, say), refused before the body is read."""
    body = _serious(tmp_path)
    with two_items.client("某审批局") as bureau:
        refused = bureau.post("/api/v1/credit/batches", params={"item": OTHER}, content=body)
        assert refused.status_code == 403, refused.text
        error = refused.json()["errors"][0]
        assert (error["code"], error["field"]) == ("access.item", "item") and files.PENALTY in error["message"]
        unknown = bureau.post("/api/v1/credit/batches", params={"item": "JJJ-99-001"}, content=body)
        error = unknown.json()["errors"][0]  # an item that does not exist is that, for every caller, as on the CLI
        assert (unknown.status_code, error["code"], error["field"]) == (404, "credit.unknown_item", "item")
        assert files.PENALTY in error["message"] and OTHER in error["message"]
        answer = bureau.post("/api/v1/credit/batches", params={"item": files.PENALTY}, content=body)
        assert answer.status_code == 200 and answer.json()["created"] == 2, answer.text
    engine = make_engine(_url(two_items))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT DISTINCT item FROM credit_records")).scalars().all() == [files.PENALTY]
    engine.dispose()


def test_a_provider_submits_under_the_items_within_its_level_only(server: Server, tmp_path: Path):
    """A provider granted every item submits under those of its level or below: a level-1 key puts no record
    under the level-2 item of credit commitments (JJJ-05-001), refused before the body is read."""
    body = files.write_csv(tmp_path / "c.csv", [{  # a commitment a level-2 key would have recorded
        "承诺主体名称": "某公司", "统一社会信用代码": CODES[0], "承诺书编号": "诺1", "承诺类型": "告知承诺",
        "承诺内容": "按期履约", "承诺日期": "2026-03-01", "受理单位": "某局"}]).read_bytes()
    with server.client(PROVIDER) as provider:
        refused = provider.post("/api/v1/credit/batches", params={"item": "JJJ-05-001"}, content=body)
        assert refused.status_code == 403, refused.text
        error = refused.json()["errors"][0]
        assert (error["code"], error["field"]) == ("access.item", "item") and "level 2" in error["message"]
    engine = make_engine(_url(server))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM credit_batches")).scalar() == 0
    engine.dispose()


def test_metrics_show_each_provider_s_records_late_silence_and_last_batch(server: Server, tmp_path: Path):
    """/metrics carries the timeliness report per provider and item, read at the scrape: an operator's
    alert sees a provider that sends nothing, or whose files are mostly rejected, without a command."""
    from tests.web.test_metrics import _scrape

    before = _scrape(server)
    assert before["jjjcredit_credit_item_unsent", (("item", files.PENALTY),)] == 1  # nobody has sent penalties
    labels = (("item", files.PENALTY), ("provider", PROVIDER))
    assert ("jjjcredit_credit_records", labels) not in before
    with server.client(PROVIDER) as provider:
        summary = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY, "name": "p.csv"},
                                content=_csv(tmp_path), headers={"Content-Type": "text/csv"}).json()
    after = _scrape(server)
    assert ("jjjcredit_credit_item_unsent", (("item", files.PENALTY),)) not in after
    assert after["jjjcredit_credit_records", labels] == summary["created"] == 2
    assert after["jjjcredit_credit_late_records", labels] == summary["late"]
    assert after["jjjcredit_credit_silent", labels] == 0
    assert after["jjjcredit_credit_last_batch_rows", labels] == 3
    assert after["jjjcredit_credit_last_batch_reject_ratio", labels] == pytest.approx(1 / 3)
    assert abs(after["jjjcredit_credit_last_batch_timestamp_seconds", labels] - time.time()) < 120
    assert after["jjjcredit_credit_retired", labels] == 0
    engine = make_engine(_url(server))
    with engine.begin() as conn:  # its only provider retired: the item is one nobody is expected to send
        timeliness.retire_provider(conn, PROVIDER, files.PENALTY, "机构改革", "运维")
    engine.dispose()
    retired = _scrape(server)
    assert retired["jjjcredit_credit_retired", labels] == 1 and retired["jjjcredit_credit_silent", labels] == 0
    assert retired["jjjcredit_credit_item_unsent", (("item", files.PENALTY),)] == 1
