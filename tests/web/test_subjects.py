"""A credit subject's own view over HTTP (web/api/subjects.py): a one-time code opens a session; the
subject sees all its own records (what is public, until when; its identity number in clear) and every
query made about it — by the public (by address class), application parties (by name and purpose),
the subject itself — each call of a random sequence found in its query log, and the audit trail
verifying afterwards."""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.services.sharing import audit, clients, personal_keys, subjects
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.services.credit import credit_files as files
from tests.services.library import library_files
from tests.web.conftest import SECRET, Server, serving

ORG, OTHER = files.codes(2, seed=41)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    library.ingest_file(engine, str(library_files.organizations(tmp_path / "o.csv", [ORG, OTHER], date="2020-01-01")),
                        "hebei/market-regulation")
    keys = {}
    with engine.begin() as conn:
        files.publish(conn, 2026)
        for name, services, level in ((files.PROVIDER, "provide", 1), ("court", "records", 3),
                                      ("bank", "records,verify,lookup", 2)):
            _, keys[name] = clients.add_client(conn, name, services, level)
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=10_000,
                             signing_key_secret=SECRET))
    with serving(app) as url:
        server = Server(url, app, [ORG, OTHER], keys)
        rows = [files.penalty(ORG, "罚1", 处罚决定日期="2026-04-10", 失信严重程度="严重"),
                files.penalty(None, "罚2"), files.penalty(OTHER, "罚3")]
        with server.client(files.PROVIDER) as provider:
            answer = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY},
                                   content=files.write_csv(tmp_path / "p.csv", rows).read_bytes())
            assert answer.status_code == 200 and answer.json()["created"] == 3, answer.text
        yield server


def _engine(server: Server):  # type: ignore[no-untyped-def]
    return make_engine(server.app.state.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]


def _code_for(server: Server, subject: str) -> subjects.IssuedCode:
    engine = _engine(server)
    with engine.begin() as conn:
        issued = subjects.issue_code(conn, subject, personal_keys.protector(conn, server.app.state.key_box))  # type: ignore[attr-defined]
    engine.dispose()
    return issued


def _session(server: Server, subject: str) -> tuple[str, str]:
    issued = _code_for(server, subject)
    with server.client() as public:
        opened = public.post("/api/v1/me/session", json={"subject": subject, "code": issued.digits})
    assert opened.status_code == 200, opened.text
    return opened.json()["subject"], opened.json()["token"]


def _own(server: Server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_the_subject_sees_all_its_own_records_and_until_when_they_are_public(server: Server):
    _, token = _session(server, files.person())
    with _own(server, token) as own:
        answer = own.get("/api/v1/me/records")
    assert answer.status_code == 200, answer.text
    record = answer.json()["items"][0]["records"][0]
    assert (record["channel"], record["public"], record["values"]["证件号码"]) == ("own", False, files.person())
    org_key, org_token = _session(server, ORG)
    with _own(server, org_token) as own:
        records = own.get("/api/v1/me/records").json()["items"][0]["records"]
        then = own.get("/api/v1/me/records", params={"as_of": "2026-04-09"}).json()
    assert org_key == ORG and [r["public_until"] for r in records] == ["2029-04-10"]  # serious: 3 years
    assert records[0]["channel"] == "own" and then["records"] == 0  # not decided yet that day
    with _own(server, org_token) as own:  # a page at a time, as every listing of records is
        page = own.get("/api/v1/me/records", params={"offset": 0, "limit": 1}).json()
        past = own.get("/api/v1/me/records", params={"offset": 1}).json()
        assert own.get("/api/v1/me/records", params={"limit": 5001}).status_code == 422
    assert (page["records"], page["returned"], page["next_offset"]) == (1, 1, None)
    assert page["items"][0]["records"] == records
    assert (past["records"], past["returned"], past["items"]) == (1, 0, [])


def test_a_later_batch_giving_a_person_s_document_number_to_another_person_leaves_each_own_view_its_own(
        server: Server, tmp_path: Path):
    """Another person's row with the document number of the first person's record (a number used twice) is
    refused, the answer naming neither the first person nor the number; the second person's own view holds
    nothing of the first, whose own view still holds the record."""
    other = files.person(456)
    row = files.penalty(None, "罚2", 行政相对人名称="李四", 证件号码=other)
    with server.client(files.PROVIDER) as provider:
        answer = provider.post("/api/v1/credit/batches", params={"item": files.PENALTY},
                               content=files.write_csv(tmp_path / "q.csv", [row]).read_bytes())
        batch = answer.json()["batch"]
        rejects = provider.get(f"/api/v1/credit/batches/{batch}/rejects")
    assert answer.status_code == 200 and (answer.json()["updated"], answer.json()["rejected"]) == (0, 1)
    assert rejects.json()["rows"][0]["problems"][0]["code"] == "credit.other_subject"
    for told in (answer.text, rejects.text):
        assert "李明" not in told and files.person() not in told and files.person()[14:] not in told
    _, token = _session(server, other)
    with _own(server, token) as own:
        assert own.get("/api/v1/me/records").json()["records"] == 0
    _, token = _session(server, files.person())
    with _own(server, token) as own:
        record = own.get("/api/v1/me/records").json()["items"][0]["records"][0]
    assert (record["document_number"], record["values"]["行政相对人名称"], record["version"]) == ("罚2", "李明", 1)


def test_an_organization_s_own_view_never_opens_a_person_s_number_kept_under_its_code(server: Server):
    """A natural person's record the platform filed under ORG's code before such rows were refused (planted as
    it was written): ORG's own records over HTTP neither hold it nor the person's number."""
    engine = _engine(server)
    with engine.begin() as conn:
        files.file_under_code(conn, "罚2", ORG)
    engine.dispose()
    _, token = _session(server, ORG)
    with _own(server, token) as own:
        answer = own.get("/api/v1/me/records")
    assert answer.status_code == 200, answer.text
    assert [r["document_number"] for i in answer.json()["items"] for r in i["records"]] == ["罚1"]
    assert files.person() not in answer.text and files.person()[6:14] not in answer.text


def test_codes_and_sessions_are_refused_with_the_reason(server: Server):
    issued = _code_for(server, ORG)
    wrong = "000000" if issued.digits != "000000" else "111111"
    with server.client() as public:
        refused = public.post("/api/v1/me/session", json={"subject": ORG, "code": wrong})
        assert (refused.status_code, refused.json()["errors"][0]["code"]) == (401, "subjects.code_refused")
        absent = public.get("/api/v1/me/records")
        assert (absent.status_code, absent.json()["errors"][0]["code"]) == (401, "subjects.session_required")
        bad = public.get("/api/v1/me/queries", headers={"Authorization": "Bearer nope"})
        assert (bad.status_code, bad.json()["errors"][0]["code"]) == (401, "subjects.session_expired")
        person = public.post("/api/v1/me/session", json={"subject": files.person(), "code": wrong})
        assert person.status_code == 401 and files.person() not in person.text
    _, token = _session(server, ORG)
    server.app.state.now = lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=31)  # type: ignore[attr-defined]
    try:
        with _own(server, token) as own:
            over = own.get("/api/v1/me/records")
        assert (over.status_code, over.json()["errors"][0]["code"]) == (401, "subjects.session_expired")
    finally:
        server.app.state.now = lambda: datetime.datetime.now(datetime.UTC)  # type: ignore[attr-defined]


def _person_key(server: Server) -> str:
    engine = _engine(server)
    with engine.begin() as conn:
        key = str(conn.execute(text("SELECT subject_key FROM credit_records WHERE subject_type = 'natural_person'"))
                  .scalar_one())
    engine.dispose()
    return key


@pytest.mark.parametrize("seed", [1, 2])
def test_every_query_about_a_subject_is_in_its_query_log(server: Server, database_url: str, seed: int):
    """Random calls by random callers about the organization, the person and someone else: every call
    about a subject is in that subject's log (and no other's), with who, purpose and items."""
    person = _person_key(server)
    rng = random.Random(seed)
    about: dict[str, list[tuple[str, str | None, str | None]]] = {ORG: [], person: [], OTHER: []}
    shown: dict[str, list[str]] = {}  # request id → the items a records answer held
    for n in range(18):
        subject = rng.choice([ORG, person, OTHER])
        caller = rng.choice([None, "court", "bank"])
        purpose = f"review-{n}" if caller else None
        with server.client(caller, purpose=purpose) as http:
            if subject != person and rng.random() < 0.3:
                response = http.get(f"/api/v1/organizations/{subject}")
            elif subject != person and rng.random() < 0.3:
                response = http.post("/api/v1/verify", json={"code": subject, "name": "某某"})
            else:
                response = http.get(f"/api/v1/subjects/{subject}/records")
                shown[response.headers["X-Request-ID"]] = [g["item"] for g in response.json()["items"]]
        assert response.status_code == 200, response.text
        about[subject].append((response.headers["X-Request-ID"], caller, purpose))
    logs, tokens = {}, {}
    for subject, given in ((ORG, ORG), (person, files.person())):
        key, token = _session(server, given)
        assert key == subject
        tokens[subject] = token
        deadline = time.monotonic() + 10
        with _own(server, token) as own:
            while True:
                log = own.get("/api/v1/me/queries").json()["queries"]
                seen = {q["request_id"] for q in log}
                if {r for r, _, _ in about[subject]} <= seen or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        logs[subject] = {q["request_id"]: q for q in log}
    items_checked = 0
    for subject in (ORG, person):
        for request_id, caller, purpose in about[subject]:
            entry = logs[subject].get(request_id)
            assert entry is not None, f"a call about {subject} is missing from its log"
            if caller is None:
                assert (entry["kind"], entry["who"], entry["purpose"]) == ("public", "loopback", None)
            else:
                assert (entry["kind"], entry["who"], entry["purpose"]) == ("application_party", caller, purpose)
            if "/records" in entry["path"]:
                assert entry["items"] == shown[request_id], (caller, entry)  # what the answer held, whoever asked
                items_checked += caller == "court"
        others = {r for r, _, _ in about[OTHER]}
        assert not others & set(logs[subject]), "another subject's queries are in this log"
        assert files.person() not in str(logs[subject])
    assert items_checked, "no call of the sequence read records with a key"
    # the subject reading its own view is in its own log too, as itself — and so is its opening a session
    deadline = time.monotonic() + 10
    with _own(server, tokens[ORG]) as own:
        while True:
            log = own.get("/api/v1/me/queries").json()["queries"]
            if any(q["kind"] == "self" and q["path"] == "/api/v1/me/queries" for q in log):
                break
            assert time.monotonic() < deadline, "the subject's own reads are not in its log"
            time.sleep(0.1)
    opened = [q for q in log if q["path"] == "/api/v1/me/session"]
    assert opened and all((q["kind"], q["who"]) == ("self", None) for q in opened), opened
    # a session a client opens with its key (relaying the code) stays filed under that client
    issued = _code_for(server, ORG)
    with server.client("court", purpose="relayed code") as court:
        relayed = court.post("/api/v1/me/session", json={"subject": ORG, "code": issued.digits})
    assert relayed.status_code == 200, relayed.text
    deadline = time.monotonic() + 10
    with _own(server, tokens[ORG]) as own:
        while not [q for q in own.get("/api/v1/me/queries").json()["queries"]
                   if q["request_id"] == relayed.headers["X-Request-ID"] and q["who"] == "court"]:
            assert time.monotonic() < deadline, "the client that opened a session is not in the subject's log"
            time.sleep(0.1)
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert audit.verify_trail(conn) == []
    engine.dispose()


def test_a_query_naming_the_organization_another_way_is_in_its_query_log(server: Server):
    """A code in a URL written in lower case, with spaces or dashes, or in full-width characters is answered
    as the code itself: the call is in the organization's query log all the same (no spelling asks unseen)."""
    spelled = [ORG.lower(), f"{ORG[:4]} {ORG[4:10]}-{ORG[10:]}",
               "".join(chr(ord(c) + 0xFEE0) for c in ORG)]  # full-width
    asked = []
    with server.client("bank", purpose="spelled") as bank:
        for code in spelled:
            for path in (f"/api/v1/subjects/{code}/report", f"/api/v1/organizations/{code}",
                         f"/api/v1/organizations/{code}/history", f"/reconcile/preview/{code}"):
                response = bank.get(path)
                if path.startswith("/reconcile") and response.status_code == 404:
                    continue  # (the preview takes spaces and dashes as part of the code: no such organization)
                assert response.status_code == 200, (path, response.text)
                asked.append((path, response.headers["X-Request-ID"]))
    _key, token = _session(server, ORG)
    deadline = time.monotonic() + 10
    with _own(server, token) as own:
        while True:
            seen = {q["request_id"] for q in own.get("/api/v1/me/queries").json()["queries"]}
            missing = [path for path, request_id in asked if request_id not in seen]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    assert not missing, f"calls about {ORG} missing from its query log: {missing}"


def test_a_subject_s_session_is_counted_as_the_public_s_calls_are(server: Server, database_url: str):
    """The own view's calls carry no API key: each counts against the caller's address at the public's rate
    (429 with Retry-After past it), so a session opened once cannot be called without end."""
    limited = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=5,
                                 signing_key_secret=SECRET))
    with serving(limited) as url:
        issued = _code_for(server, ORG)
        with httpx.Client(base_url=url, timeout=30) as public:
            opened = public.post("/api/v1/me/session", json={"subject": ORG, "code": issued.digits})
        assert opened.status_code == 200, opened.text
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {opened.json()['token']}"},
                          timeout=30) as own:
            statuses = [own.get(path).status_code for path in ("/api/v1/me/records", "/api/v1/me/queries") * 4]
            refused = own.get("/api/v1/me/records")
    assert statuses[:4] == [200] * 4 and refused.status_code == 429, statuses
    assert refused.json()["errors"][0]["code"] == "access.rate_limited" and refused.headers["Retry-After"]
