"""The audit trail through real HTTP: every /api call recorded — client, service, purpose, codes,
status, outcome — and concurrent calls lose no entry; the chain verifies."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import Connection, update

from jjjcredit.core.credit import catalogue as catalogue_rules
from jjjcredit.core.sharing import access
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue
from jjjcredit.services.credit import records as credit_records
from jjjcredit.services.sharing import audit, clients, evidence, report
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import counters
from jjjcredit.web import audit as audit_entry
from jjjcredit.web.app import ROUTERS, create_app
from tests.services.credit import credit_files
from tests.web.conftest import SECRET, Server, serving


def _entries(database_url: str) -> list[dict[str, object]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert audit.verify_trail(conn) == []
            return list(audit.iter_entries(conn))
    finally:
        engine.dispose()


def test_calls_are_recorded_with_client_service_purpose_and_codes(database_url: str, server: Server):
    code = server.codes[3]
    with server.client("verifier", purpose="loan check 42") as http:
        assert http.post("/api/v1/verify", json={"code": code, "name": "x"}).status_code == 200
        assert http.get("/api/v1/changes").status_code == 403
    with server.client() as anonymous:
        items = [{"code": code, "name": "x"}, {"code": "x", "name": "y"}]
        anonymous.post("/api/v1/verify/batch", json={"items": items})
        anonymous.get("/healthz")
    entries = _wait_for(database_url, 3)
    first, second, third = entries[-3:]
    assert (first["client"], first["service"], first["purpose"], first["codes"], first["status"], first["outcome"]) \
        == ("verifier", "verify", "loan check 42", [code], 200, "ok")
    assert (second["service"], second["status"], second["outcome"], second["codes"]) == \
        ("changes", 403, "access.forbidden", [])
    assert third["client"] is None and third["path"] == "/api/v1/verify/batch" and code in third["codes"]
    assert all(e["path"] != "/healthz" for e in entries)


def test_personal_numbers_in_a_purpose_or_a_request_id_are_never_kept_in_clear(database_url: str, server: Server):
    purpose = "核查 张三 身份证110105 1949 1231 002X 电话138-1234-5678"
    with server.client("verifier", purpose=urllib.parse.quote(purpose)) as http:  # (as UTF-8, percent-encoded)
        answer = http.post("/api/v1/verify", json={"code": server.codes[3], "name": "x"},
                           headers={"X-Request-ID": "11010519491231002X"})
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] != "11010519491231002X"
    kept = _wait_for(database_url, 1)[-1]
    assert kept["purpose"] == "核查 张三 身份证110105********002X 电话138****5678"
    assert kept["request_id"] == answer.headers["X-Request-ID"]
    with server.client() as http:  # a mobile number typed into a URL, as a code
        assert http.get("/api/v1/organizations/138-1234-5678").status_code in (400, 404)
    kept = _wait_for(database_url, 2)[-1]
    assert kept["codes"] and not any("1234" in str(c) for c in kept["codes"]), kept["codes"]


def test_a_subject_key_is_kept_as_it_is_and_a_number_typed_as_a_code_masked():
    """A natural person's query log is found by the subject key: a key whose hex holds a run of digits
    shaped like a mobile number is kept whole; a mobile or identity number given as a code is masked."""
    key = "P:" + "ab13812345678cd" * 2 + "0123456789"
    scope = {"state": {"codes": [key, "13812345678"]}, "path_params": {"code": "130102198505059977"},
             "method": "GET", "path": "/api/v1/subjects/x/records"}
    kept = audit_entry.entry(scope, "records", None, 200, 0.01, "r1", datetime.datetime.now(datetime.UTC))
    assert kept["codes"] == [key, "138****5678", "130102********9977"]


def _wait_for(database_url: str, n: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 10
    while True:
        entries = _entries(database_url)
        if len(entries) >= n or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def test_concurrent_calls_lose_no_entry(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url,
                             public_rate_per_minute=100_000))
    def call(i: int) -> int:
        with httpx.Client(base_url=url, timeout=30) as http:
            return sum(http.post("/api/v1/verify", json={"code": f"x{i}-{j}", "name": "y"}).status_code == 200
                       for j in range(10))

    with serving(app) as url, ThreadPoolExecutor(8) as pool:
        answered = sum(pool.map(call, range(20)))
    # the server has shut down: every entry is written (close() drains the queue)
    entries = _entries(database_url)
    assert answered == 200 and len(entries) == 200
    assert [e["seq"] for e in entries] == list(range(1, 201))


def test_shutdown_is_bounded_while_the_database_refuses_audit_writes(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    app = create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url,
                             audit_close_seconds=0.5))
    locker = engine.connect()  # holds the audit counter's lock: every append waits, then fails
    try:
        with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            http.get("/api/v1/keys")  # the signing key is made before the lock is taken
            locker.begin()
            locker.execute(update(counters).where(counters.c.name == "audit").values(value=counters.c.value))
            assert http.get("/api/v1/keys").status_code == 200
            assert http.get("/api/v1/keys").status_code == 200
            metrics = http.get("/metrics").text
            start = time.monotonic()
        took = time.monotonic() - start
    finally:
        locker.rollback()
        locker.close()
        engine.dispose()
    assert app.state.trail.stopped(30)  # type: ignore[attr-defined]
    assert took < 5, took
    backlog = next(line for line in metrics.splitlines() if line.startswith("jjjcredit_audit_backlog "))
    assert float(backlog.split()[1]) >= 1
    assert "jjjcredit_audit_entries_dropped_total 0.0" in metrics
    assert app.state.trail.dropped >= 2  # type: ignore[attr-defined]


def _data_routes() -> dict[tuple[str, str], str]:
    """(method, path) → service of every route that declares a service (every route that reads data)."""
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    found = {}
    for route in routes:
        service = audit_entry.service_of(route)
        if service != "none":
            for method in route.methods:
                found[method, route.path] = service
    return found


def _penalties(code: str) -> bytes:
    header = credit_files.HEADER
    row = credit_files.penalty(code, "审计罚1")
    return ("\ufeff" + ",".join(header) + "\n" + ",".join(row[h] for h in header) + "\n").encode("utf-8")


def _catalogue_editions(conn: Connection) -> None:
    """2026 published; 2027 a draft; 2028 and 2029 in their comment periods."""
    catalogue.draft_edition(conn, 2026, "staff")
    catalogue.open_comments(conn, 2026, "staff")
    catalogue.assess_item(conn, 2026, "JJJ-04-001", "同意", "同意", "保留", "staff")
    catalogue.approve_edition(conn, 2026, "省人民政府")
    catalogue.publish_edition(conn, 2026, "staff")
    for year in (2027, 2028, 2029):
        catalogue.draft_edition(conn, year, "staff")
    for year in (2028, 2029):
        catalogue.open_comments(conn, year, "staff")


#: The subject's own view, called with a subject's session rather than a key: tests/web/test_subjects.py
#: checks its entries (and that each call about a subject is in the subject's query log).
OWN_VIEW = {("POST", "/api/v1/me/session"), ("GET", "/api/v1/me/records"), ("GET", "/api/v1/me/queries")}


def test_every_route_that_reads_data_leaves_an_audit_entry(database_url: str, server: Server, tmp_path: Path):
    """Each data-reading route, called with a key: one entry with the client, the service, the purpose and
    the codes the call touched. A new route must be added to the calls below, so it is checked too."""
    code = server.codes[3]
    name = "石家庄某某4机械制造有限公司"
    queries = json.dumps({"q0": {"query": name}})
    calls: dict[tuple[str, str], tuple[dict[str, object], list[str] | None]] = {
        ("GET", "/api/v1/organizations/{code}"): ({}, [code]),
        ("GET", "/api/v1/organizations/{code}/history"): ({}, [code]),
        ("GET", "/api/v1/search"): ({"params": {"q": name}}, [code]),
        ("GET", "/api/v1/search/autocomplete"): ({"params": {"q": name}}, None),
        ("POST", "/api/v1/verify"): ({"json": {"code": code, "name": name}}, [code]),
        ("POST", "/api/v1/verify/batch"): ({"json": {"items": [{"code": code, "name": name}]}}, [code]),
        ("GET", "/api/v1/keys"): ({}, []),
        ("GET", "/api/v1/changes"): ({"params": {"limit": 3}}, None),
        ("GET", "/reconcile"): ({"params": {"queries": queries}}, None),
        ("POST", "/reconcile"): ({"data": {"queries": queries}}, None),
        ("GET", "/reconcile/preview/{code}"): ({}, [code]),
        ("GET", "/reconcile/suggest/entity"): ({"params": {"prefix": name}}, None),
        ("GET", "/reconcile/suggest/type"): ({}, []),
        ("GET", "/reconcile/suggest/property"): ({}, []),
        ("GET", "/api/v1/audit/checkpoints"): ({}, []),
        # the catalogue, called in this (sorted) order on the editions _catalogue_editions prepares
        ("GET", "/api/v1/catalogue"): ({}, []),
        ("GET", "/api/v1/catalogue/{year}"): ({"url": "/api/v1/catalogue/2026"}, []),
        ("GET", "/api/v1/catalogue/{year}/comments"): ({"url": "/api/v1/catalogue/2026/comments"}, []),
        ("GET", "/api/v1/catalogue/{year}/changes"): ({"url": "/api/v1/catalogue/2028/changes"}, []),
        ("GET", "/api/v1/catalogue/{year}/items/{item}"): ({"url": "/api/v1/catalogue/2026/items/JJJ-03-001"}, []),
        ("GET", "/api/v1/catalogue/diff/{year_a}/{year_b}"): ({"url": "/api/v1/catalogue/diff/2026/2028"}, []),
        ("PATCH", "/api/v1/catalogue/{year}/items/{item}"): (
            {"url": "/api/v1/catalogue/2027/items/JJJ-03-001", "json": {"values": {"update_period": "实时"},
                                                                        "reason": "更及时"}}, []),
        ("POST", "/api/v1/catalogue/{year}"): ({"url": "/api/v1/catalogue/2030"}, []),
        ("POST", "/api/v1/catalogue/{year}/approve"): ({"url": "/api/v1/catalogue/2028/approve"}, []),
        ("POST", "/api/v1/catalogue/{year}/assessments"): ({"url": "/api/v1/catalogue/2027/assessments", "json": {
            "item": "JJJ-04-001", "experts": "同意", "representatives": "同意", "conclusion": "保留"}}, []),
        ("POST", "/api/v1/catalogue/{year}/comments"): (
            {"url": "/api/v1/catalogue/2029/comments", "json": {"author": "张三", "text": "意见"}}, []),
        ("POST", "/api/v1/catalogue/{year}/items"): ({"url": "/api/v1/catalogue/2027/items", "json": {
            "item": {**catalogue_rules.item_to_dict(catalogue_rules.default_items()[0]), "code": "JJJ-09-001"},
            "reason": "新增"}}, []),
        ("POST", "/api/v1/catalogue/{year}/items/{item}/withdraw"): (
            {"url": "/api/v1/catalogue/2027/items/JJJ-07-001/withdraw", "json": {"reason": "并入"}}, []),
        ("POST", "/api/v1/catalogue/{year}/open-comments"): ({"url": "/api/v1/catalogue/2027/open-comments",
                                                              "json": {}}, []),
        ("POST", "/api/v1/catalogue/{year}/publish"): ({"url": "/api/v1/catalogue/2028/publish"}, []),
        # credit records, under the published 2026 edition: a batch submitted, a subject's records read
        ("POST", "/api/v1/credit/batches"): ({"params": {"item": credit_files.PENALTY}, "content": _penalties(code)},
                                             []),
        ("GET", "/api/v1/subjects/{code}/records"): ({}, [code]),
        ("GET", "/api/v1/credit/batches/{batch}/rejects"): ({}, []),  # the batch sent below
        # a credit report issued, and a report's number checked (the report issued below)
        ("GET", "/api/v1/subjects/{code}/report"): ({}, [code]),
        ("GET", "/api/v1/reports/{number}"): ({}, [code]),  # its number set below
        # a peer node pulling this node's own changes
        ("GET", "/api/v1/federation/changes"): ({"params": {"kind": "organizations"}}, []),
    }
    routes = {route: service for route, service in _data_routes().items() if route not in OWN_VIEW}
    assert set(routes) <= set(calls), f"add a call for {sorted(set(routes) - set(calls))}"
    engine = make_engine(database_url)
    with engine.begin() as conn:
        auditor, key = clients.add_client(conn, "auditor", ",".join(access.SERVICES), 2)
        _catalogue_editions(conn)
        number = report.issue_report(conn, access.PUBLIC, code, fmt="json", box=evidence.KeyBox(SECRET),
                                     base_url=server.url).number
    calls["GET", "/api/v1/reports/{number}"] = ({"url": f"/api/v1/reports/{number}"}, [code])
    (tmp_path / "sent.csv").write_bytes(_penalties(code))
    batch = credit_records.ingest_file(engine, str(tmp_path / "sent.csv"), credit_files.PENALTY, "auditor",
                                      protector=None, client=auditor.id).batch  # as the API keeps it
    calls["GET", "/api/v1/credit/batches/{batch}/rejects"] = ({"url": f"/api/v1/credit/batches/{batch}/rejects"}, [])
    engine.dispose()
    made = []
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30) as http:
        for (method, path), service in sorted(routes.items()):
            kwargs, codes = calls[method, path]
            kwargs = dict(kwargs)
            url = str(kwargs.pop("url", path.replace("{code}", code)))
            purpose = f"case-{len(made)} reconcile check"
            response = http.request(method, url, headers={"X-Purpose": purpose}, **kwargs)  # type: ignore[arg-type]
            assert response.status_code == 200, (method, path, response.text)
            made.append((method, path, service, purpose, codes, response.headers["X-Request-ID"]))
    entries = {e["request_id"]: e for e in _wait_for(database_url, len(made))}
    for method, path, service, purpose, codes, request_id in made:
        entry = entries.get(request_id)
        assert entry is not None, f"{method} {path} left no audit entry"
        assert (entry["client"], entry["service"], entry["method"], entry["status"]) == \
            ("auditor", service, method, 200), (path, entry)
        assert entry["purpose"] == purpose, (path, entry)
        if codes is None:  # the codes it gave, whichever they are
            assert entry["codes"], (path, entry)
        elif codes:  # a search may touch more organizations than the one asked for
            assert set(codes) <= set(entry["codes"]), (path, entry)
        else:
            assert entry["codes"] == [], (path, entry)


def test_checkpoints_are_published_as_a_json_list_that_verifies(database_url: str, server: Server):
    with server.client() as anonymous:
        assert anonymous.get("/api/v1/audit/checkpoints").json() == []
        anonymous.post("/api/v1/verify", json={"code": server.codes[0], "name": "x"})
        _wait_for(database_url, 2)
        engine = make_engine(database_url)
        with engine.begin() as conn:
            made = audit.make_checkpoint(conn, evidence.KeyBox(SECRET))
        published = anonymous.get("/api/v1/audit/checkpoints")
        assert published.status_code == 200 and published.json() == [made]
        with engine.connect() as conn:
            assert audit.verify_checkpoints(conn, published.json()) == []
        engine.dispose()


def test_checkpoints_come_a_page_at_a_time_with_a_link_to_the_next(database_url: str, server: Server):
    engine = make_engine(database_url)
    made = []
    with server.client() as anonymous:
        for n in range(3):  # an entry, then a checkpoint of the head: three checkpoints of three heads
            anonymous.post("/api/v1/verify", json={"code": server.codes[0], "name": "x"})
            _wait_for(database_url, n + 1)
            with engine.begin() as conn:
                made.append(audit.make_checkpoint(conn, evidence.KeyBox(SECRET)))
        first = anonymous.get("/api/v1/audit/checkpoints", params={"limit": 2})
        assert first.status_code == 200 and first.json() == made[:2]
        link = first.headers["link"]
        assert link == f'</api/v1/audit/checkpoints?after={made[1]["seq"]}&limit=2>; rel="next"'
        second = anonymous.get(link[1:link.index(">")])
        assert second.json() == made[2:] and "link" not in second.headers
        assert anonymous.get("/api/v1/audit/checkpoints").json() == made  # one page holds them all
        assert anonymous.get("/api/v1/audit/checkpoints", params={"limit": 0}).status_code == 422
        assert anonymous.get("/api/v1/audit/checkpoints", params={"after": 10**30}).status_code == 422  # (no 500)
    engine.dispose()
