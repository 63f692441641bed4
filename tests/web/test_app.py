"""The API through real HTTP: auth on every route, the one error shape, lookup, verify, changes."""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import text

from jjjcredit.core.errors import Error
from jjjcredit.core.sharing import access
from jjjcredit.services import db
from jjjcredit.services.sharing import audit, clients
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web import access as web_access
from jjjcredit.web.api import organizations, verify
from jjjcredit.web.api import subjects as own_view
from jjjcredit.web.app import ROUTERS, create_app
from tests.web.conftest import SECRET, Server, serving


def _services(route: APIRoute) -> set[str]:
    return {getattr(d.call, "service", None) for d in route.dependant.dependencies} - {None}  # type: ignore[misc]


def _example(path: str, code: str) -> str:
    return path.replace("{code}", code)


def test_every_api_route_declares_its_service_and_enforces_it(server: Server):
    routes = [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]
    with server.client() as http:
        published = {p for p in http.get("/openapi.json").json()["paths"] if p.startswith("/api/")}
    assert published == {r.path for r in routes if r.path.startswith("/api/")}, \
        "every API route comes from a router in web/app.ROUTERS"
    code = server.codes[1]
    for route in routes:
        services = _services(route)
        assert len(services) == 1, f"{route.path} declares no service: add Depends(caller_for(...))"
        service = services.pop()
        method = sorted(route.methods)[0]
        body = {"items": []} if route.path.endswith("/batch") else {"code": code, "name": "x"}
        kwargs = {"json": body} if method == "POST" else {}
        if any(d.call is own_view.subject_session for d in route.dependant.dependencies):
            # the subject's own view opens with its session token, never an API key
            for key in (None, "verifier", "full"):
                with server.client(key) as keyed:
                    answer = keyed.request(method, _example(route.path, code), **kwargs)
                assert (answer.status_code, answer.json()["errors"][0]["code"]) == \
                    (401, "subjects.session_required"), (route.path, key)
            continue
        with server.client() as anonymous:
            status = anonymous.request(method, _example(route.path, code), **kwargs).status_code
        assert (status == 401) is (service not in access.PUBLIC_SERVICES), (route.path, status)
        with server.client("verifier") as limited:
            status = limited.request(method, _example(route.path, code), **kwargs).status_code
        # the public's services and its grant
        assert (status == 403) is (service not in {*access.PUBLIC_SERVICES, "verify"}), (route.path, status)
        with server.client("revoked") as revoked:
            assert revoked.request(method, _example(route.path, code), **kwargs).status_code == 401


def test_one_error_shape_for_every_failure(server: Server):
    with server.client() as http:
        for response in (http.get("/api/v1/organizations/91350100M000100Y44"),
                         http.get("/no/such/route"),
                         http.post("/api/v1/verify", json={"code": 1}),
                         http.get("/api/v1/changes")):
            data = response.json()
            assert set(data) == {"errors"} and data["errors"], response.text
            assert {"code", "message", "field", "row"} <= set(data["errors"][0])


def test_lookup_filters_elements_by_level_and_explains_bad_codes(server: Server):
    code = server.codes[2]
    with server.client() as anonymous, server.client("full") as full:
        public = anonymous.get(f"/api/v1/organizations/{code}").json()["organization"]
        assert public["uscc"] == code and "name" in public
        assert full.get(f"/api/v1/organizations/{code}").json()["level"] == 3
        bad = anonymous.get("/api/v1/organizations/9135O100M000100Y43")
        assert bad.status_code == 400
        assert bad.json()["errors"][0]["code"] == "uscc.format"
        assert bad.json()["errors"][0]["suggestions"][0] == "91350100M000100Y43"
        missing = anonymous.get("/api/v1/organizations/91350100M000100Y43")
        assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "library.not_found"
        history = anonymous.get(f"/api/v1/organizations/{server.codes[0]}/history").json()["history"]
        assert [h["kind"] for h in history] == ["created", "changed"]


def test_verify_answers(server: Server):
    renamed, other = server.codes[0], server.codes[3]
    with server.client() as http:
        def ask(**body: str) -> dict[str, object]:
            return http.post("/api/v1/verify", json=body).json()

        assert ask(code=f" {other.lower()} ", name="石家庄某某3机械制造有限责任公司")["verdict"] == "match"
        former = ask(code=renamed, name="石家庄某某0机械制造有限公司")
        assert former["verdict"] == "former_name" and former["changed"] == "20240630"
        assert ask(code=renamed, name="石家庄某某0机械制造有限公司", on="20230101")["verdict"] == "match"
        assert ask(code=other, name="别的公司")["verdict"] == "name_mismatch"
        assert ask(code="91350100M000100Y43", name="x")["verdict"] == "not_found"
        invalid = ask(code="9135O100M000100Y43", name="x")
        assert invalid["verdict"] == "invalid_code" and invalid["suggestions"][0] == "91350100M000100Y43"
        rep = ask(code=other, name="石家庄某某3机械制造有限公司", legal_rep="张三")
        assert rep["legal_rep_match"] is True and rep["active"] is True
        batch = http.post("/api/v1/verify/batch", json={"items": [
            {"code": other, "name": "石家庄某某3机械制造有限公司"}, {"code": "x", "name": "y"}]}).json()
        assert [a["verdict"] for a in batch["answers"]] == ["match", "invalid_code"]
        too_many = http.post("/api/v1/verify/batch", json={"items": [{"code": "x", "name": "y"}] * 10_001})
        assert too_many.status_code == 422 and too_many.json()["errors"][0]["code"] == "request.invalid"


def test_a_key_granted_only_verify_may_still_look_up_as_the_public_does(database_url: str, server: Server):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        _, key = clients.add_client(conn, "verify-only", "verify", 3)
    engine.dispose()
    code = server.codes[1]
    with server.client() as anonymous:
        public = anonymous.get(f"/api/v1/organizations/{code}").json()
    with httpx.Client(base_url=server.url, headers={"X-API-Key": key, "X-Purpose": "check"}) as http:
        lookup = http.get(f"/api/v1/organizations/{code}")
        assert lookup.status_code == 200, lookup.text
        assert lookup.json() == public and lookup.json()["level"] == 1  # the public's level, not its own 3
        assert http.get("/api/v1/search", params={"q": "石家庄"}).json()["level"] == 1
        assert http.get("/api/v1/changes").json()["errors"][0]["code"] == "access.forbidden"
    with server.client("level3") as granted:  # a grant keeps the client's own level
        assert granted.get(f"/api/v1/organizations/{code}").json()["level"] == 3


def test_changes_need_the_right_and_a_purpose(server: Server):
    with server.client("full", purpose=None) as no_purpose:
        response = no_purpose.get("/api/v1/changes")
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == "access.purpose_required"
    with server.client("full") as full:
        first = full.get("/api/v1/changes", params={"limit": 10}).json()
        assert [c["seq"] for c in first["changes"]] == list(range(1, 11))
        rest = full.get("/api/v1/changes", params={"after": first["next_after"], "limit": 1000}).json()
        assert rest["changes"][0]["seq"] == 11 and rest["changes"][-1]["kind"] == "changed"


def test_operations_endpoints(server: Server):
    with server.client() as http:
        assert http.get("/healthz").json()["status"] == "ok"
        assert "jjjcredit_requests_total" in http.get("/metrics").text
        assert "/api/v1/verify" in http.get("/openapi.json").json()["paths"]
        assert http.get("/healthz").headers["X-Request-ID"]


def test_the_docs_pages_need_no_internet(server: Server):
    """/docs and /redoc load their scripts and styles from this server, never from a CDN."""
    with server.client() as http:
        for page in ("/docs", "/redoc"):
            html = http.get(page).text
            assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
            assert assets, html
            for asset in assets:
                assert asset.startswith("/docs-assets/"), (page, asset)
                got = http.get(asset)
                assert got.status_code == 200 and len(got.content) > 1000, asset
            assert "https://" not in html and "http://" not in html


def test_a_request_id_is_kept_when_well_formed_and_made_otherwise(server: Server):
    with server.client() as http:
        assert http.get("/healthz", headers={"X-Request-ID": "case-7"}).headers["X-Request-ID"] == "case-7"
        made = http.get("/api/v1/organizations/x", headers={"X-Request-ID": "x" * 65}).headers["X-Request-ID"]
        assert len(made) == 32 and made != "x" * 32
        stamped = "req-20261206143000-1"  # a time in it: kept; an identity number run into digits: not
        assert http.get("/healthz", headers={"X-Request-ID": stamped}).headers["X-Request-ID"] == stamped
        hiding = http.get("/healthz", headers={"X-Request-ID": "13010219850505997720260425"}).headers["X-Request-ID"]
        assert "19850505" not in hiding and len(hiding) == 32


def test_the_busiest_calls_are_coroutines():
    """Lookup, verify and the access check hand only their blocking work to the app's threads
    (web/threads.py): no trip through FastAPI's thread pool, and a public call's check none at all."""
    assert inspect.iscoroutinefunction(web_access.caller_for("lookup"))
    assert inspect.iscoroutinefunction(organizations.lookup_organization)
    assert inspect.iscoroutinefunction(verify.verify_identity)


def test_public_calls_are_rate_limited_with_retry_after(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url,
                             public_rate_per_minute=2))
    with serving(app) as url, httpx.Client(base_url=url) as http:
        for _ in range(2):
            assert http.post("/api/v1/verify", json={"code": "x", "name": "y"}).status_code == 200
        limited = http.post("/api/v1/verify", json={"code": "x", "name": "y"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["errors"][0]["code"] == "access.rate_limited"


def test_the_server_refuses_a_database_that_is_behind(database_url: str):
    with pytest.raises(db.SchemaBehind):
        create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url))


def test_an_unexpected_error_is_answered_in_the_one_shape_logged_and_audited(database_url: str,
                                                                              caplog: pytest.LogCaptureFixture):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    app = create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url))

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/boom", boom)
    with caplog.at_level(logging.INFO, logger="jjjcredit.web"), serving(app) as url, httpx.Client(base_url=url) as http:
        response = http.get("/api/v1/boom", headers={"X-Request-ID": "bug-1"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "bug-1"
    assert response.json()["errors"][0]["code"] == "internal" and "a bug" not in response.text
    logged = {(r.levelname, getattr(r, "status", None), getattr(r, "code", None)) for r in caplog.records
              if getattr(r, "request_id", None) == "bug-1"}
    assert logged == {("ERROR", None, "internal"), ("INFO", 500, "internal")}, "the traceback, then the request line"
    engine = make_engine(database_url)
    with engine.connect() as conn:
        entries = list(audit.iter_entries(conn))
    engine.dispose()
    assert [(e["path"], e["status"], e["outcome"]) for e in entries] == [("/api/v1/boom", 500, "internal")]


def test_a_database_that_does_not_answer_is_503_to_retry_and_a_schema_moved_on_fails_the_health_check(
        database_url: str, caplog: pytest.LogCaptureFixture):
    engine = make_engine(database_url)
    db.upgrade(engine)
    app = create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url))

    def gone() -> None:  # a real connection refused: nothing listens on port 1
        make_engine("postgresql://postgres@127.0.0.1:1/gone").connect()

    app.add_api_route("/api/v1/gone", gone)
    with caplog.at_level(logging.WARNING, logger="jjjcredit.web"), serving(app) as url, \
            httpx.Client(base_url=url) as http:
        response = http.get("/api/v1/gone", headers={"X-Request-ID": "down-1"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert response.json()["errors"][0]["code"] == "db.unavailable" and "127.0.0.1" not in response.text
        healthy = http.get("/healthz")
        assert healthy.status_code == 200 and healthy.json()["signing"] == "ok"
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        ahead = http.get("/healthz")
        assert ahead.status_code == 503 and ahead.json()["errors"][0]["code"] == "db.schema_ahead"
    engine.dispose()
    reasons = [r.getMessage() for r in caplog.records if getattr(r, "request_id", None) == "down-1"]
    assert any("database unavailable on GET /api/v1/gone" in m and "refused" in m.lower() for m in reasons), reasons


def test_a_rotated_key_is_refused_after_its_grace_period_saying_so(database_url: str, server: Server):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        _, new, _until = clients.rotate_client(conn, "level1", grace_hours=0)
    engine.dispose()
    code = server.codes[1]
    with server.client("level1") as old:
        refused = old.get(f"/api/v1/organizations/{code}")
    assert refused.status_code == 401 and refused.json()["errors"][0]["code"] == "access.key_expired"
    assert server.keys["level1"] not in refused.text
    with httpx.Client(base_url=server.url, headers={"X-API-Key": new, "X-Purpose": "p"}) as http:
        assert http.get(f"/api/v1/organizations/{code}").json()["level"] == 1


def _limited_app(database_url: str, proxies: tuple[str, ...]) -> object:
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    return create_app(replace(Settings(), signing_key_secret=SECRET, database_url=database_url,
                              public_rate_per_minute=2, trusted_proxies=proxies))


def _statuses(url: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=url) as http:
        return [http.post("/api/v1/verify", json={"code": "x", "name": "y"},
                          headers={"X-Forwarded-For": f}).status_code for f in forwarded]


def test_a_spoofed_x_forwarded_for_does_not_escape_the_rate_limit(database_url: str):
    with serving(_limited_app(database_url, ())) as url:  # no trusted proxy: the header is never believed
        assert _statuses(url, [f"198.51.100.{i}" for i in range(4)]) == [200, 200, 429, 429]


def test_x_forwarded_for_is_believed_from_a_trusted_proxy_rightmost_untrusted_first(database_url: str):
    with serving(_limited_app(database_url, ("127.0.0.0/8",))) as url:
        # the proxy (127.0.0.1) appends the address it saw; what a client wrote before it is not believed
        spoofed = [f"198.51.100.{i}, 203.0.113.5" for i in range(3)]
        assert _statuses(url, spoofed) == [200, 200, 429]
        assert _statuses(url, ["203.0.113.6", "203.0.113.6, 127.0.0.2", "203.0.113.7"]) == [200, 200, 200]


def test_a_trusted_proxy_that_is_no_address_stops_the_start(database_url: str):
    with pytest.raises(Error) as refused:
        create_app(replace(Settings(), database_url=database_url, trusted_proxies=("10.0.0.0/8", "proxy.local")))
    assert refused.value.code == "settings.trusted_proxies" and "proxy.local" in refused.value.message


def test_a_stopped_server_process_ends_though_a_call_is_stuck_in_the_database():
    """A thread that does not end (a call waiting on a database that does not answer) would hold the
    process's exit: once the app has shut down, the watchman ends the process."""
    import subprocess
    import sys
    import time

    script = ("import threading, time\nfrom jjjcredit.web.app import _end_stuck_calls\n"
              "threading.Thread(target=time.sleep, args=(120,), name='stuck').start()\n_end_stuck_calls(0.5)\n")
    started = time.monotonic()
    ended = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ended.returncode == 0 and time.monotonic() - started < 60
    assert "1 call(s) still wait on the database (stuck)" in ended.stderr


def _wait_until(done: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_healthz_is_503_while_the_audit_trail_cannot_be_written_and_ok_again_after(
        server: Server, database_url: str, monkeypatch: pytest.MonkeyPatch):
    """A full disk (here: the trail's table gone, so every append fails) still answers reads, but their
    audit entries only wait in memory: the operator's health check says so, and why, until they are written."""
    from jjjcredit.web import app as web_app

    monkeypatch.setattr(web_app, "AUDIT_FAILING_SECONDS", 0.3)
    trail: audit.Writer = server.app.state.trail
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE audit RENAME TO audit_away"))
    try:
        with server.client() as http:
            http.get("/api/v1/organizations/search", params={"q": "北京"})  # answered; its entry waits
            _wait_until(lambda: (stalled := trail.stalled()) is not None and stalled[0] >= 0.5)
            health = http.get("/healthz")
            assert health.status_code == 503 and health.headers["Retry-After"] == "30", health.text
            error = health.json()["errors"][0]
            assert error["code"] == "audit.failing" and "entries wait" in error["message"], error
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_away RENAME TO audit"))
    _wait_until(lambda: trail.stalled() is None)
    with server.client() as http:
        assert http.get("/healthz").status_code == 200
    engine.dispose()


def test_healthz_says_how_long_audit_writes_wait_on_another_writer_s_lock_and_stays_ready(
        server: Server, database_url: str, monkeypatch: pytest.MonkeyPatch):
    """A write that waits (a long ingest holding SQLite's write lock, a lock on PostgreSQL) fails nothing:
    every worker would wait alike, so /healthz stays 200 (out of rotation, all of them would be) and says
    how long the entries have waited."""
    from jjjcredit.web import app as web_app

    monkeypatch.setattr(web_app, "AUDIT_FAILING_SECONDS", 0.3)
    trail: audit.Writer = server.app.state.trail
    engine = make_engine(database_url)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("LOCK TABLE audit IN EXCLUSIVE MODE" if engine.dialect.name == "postgresql"
                        else "DELETE FROM audit WHERE 1 = 0"))  # another writer's lock, held
    try:
        with server.client() as http:
            http.get("/api/v1/organizations/search", params={"q": "北京"})
            _wait_until(lambda: (stalled := trail.stalled()) is not None and stalled[0] >= 0.5)
            health = http.get("/healthz")  # written once the lock is free: ready, and saying so
            assert health.status_code == 200 and health.json()["audit_waiting_seconds"] >= 0, health.text
    finally:
        holder.rollback()
        holder.close()
    _wait_until(lambda: trail.stalled() is None)
    with server.client() as http:
        assert http.get("/healthz").status_code == 200
    engine.dispose()


def test_a_connection_the_server_dropped_is_503_on_the_driver_s_own_paths_then_replaced(
        server: Server, database_url: str):
    """The busiest reads (a key's rights, a lookup) query the driver directly; a pooled connection the
    server dropped (a restart) is 503 db.unavailable there, as on every other path — never a 500 — and the
    next call gets a live one."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    with server.client("full") as http:
        assert http.get(f"/api/v1/organizations/{server.codes[0]}").status_code == 200
        engine = make_engine(database_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        engine.dispose()
        statuses = [http.get(f"/api/v1/organizations/{server.codes[0]}").status_code for _ in range(8)]
    assert 500 not in statuses and statuses[-1] == 200, statuses


def test_an_ipv6_caller_is_counted_by_its_slash_64(database_url: str):
    with serving(_limited_app(database_url, ("127.0.0.0/8",))) as url:  # (the caller's address told by the proxy)
        one_line = [f"2001:db8:1:2::{i:x}" for i in range(1, 4)]  # every address of one /64: one window
        assert _statuses(url, one_line) == [200, 200, 429]
        assert _statuses(url, ["2001:db8:1:3::1"]) == [200]  # the next /64 is another caller
