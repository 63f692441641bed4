"""``jjjcredit serve`` as a user runs it — a subprocess on a free port, through real HTTP: public rate
limits shared through Redis by two servers, one JSON log line per request, several workers on the
suite's database (SQLite, or PostgreSQL when ``JJJCREDIT_TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.services.sharing import audit, clients
from jjjcredit.storage.engine import make_engine
from tests import shared_redis
from tests.services.library import library_files as files
from tests.web.conftest import SECRET, _free_port

pytestmark = pytest.mark.slow
#: Worker processes import the whole package first: generous on a busy machine.
START_SECONDS = 90


@dataclass
class Served:
    url: str
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines written to stderr so far (the CLI's plain-text notes left out)."""
        text = self.log.read_text("utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "jjjcredit.web" and "request_id" in line]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@contextmanager
def served(database_url: str, log: Path, *options: str, env: dict[str, str] | None = None,
           workers: int = 1) -> Iterator[Served]:
    """Run ``jjjcredit serve`` until every worker has started; stop it with Ctrl-C (SIGINT) after."""
    port = _free_port()
    environ = {**os.environ, "JJJCREDIT_REDIS_URL": "", "JJJCREDIT_SIGNING_KEY_SECRET": SECRET, **(env or {})}
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "jjjcredit", "serve", "--port", str(port),
                                    "--db", database_url, "--workers", str(workers), *options],
                                   stdout=subprocess.DEVNULL, stderr=stderr, env=environ)
    server = Served(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + START_SECONDS
        while sum(line["message"] == "Application startup complete." for line in server.lines()) < workers:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jjjcredit serve did not start:\n{log.read_text('utf-8', errors='replace')}")
            time.sleep(0.1)
        while not _listening(port):  # one worker logs its start before uvicorn binds the socket
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"jjjcredit serve did not listen:\n{log.read_text('utf-8', errors='replace')}")
            time.sleep(0.05)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _library(database_url: str, tmp_path: Path, count: int = 10) -> list[str]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    codes = files.codes(count)
    library.ingest_file(engine, str(files.organizations(tmp_path / "a.csv", codes)), "hebei/market-regulation")
    engine.dispose()
    return codes


def test_two_servers_sharing_redis_share_the_public_limit(database_url: str, tmp_path: Path):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    with shared_redis.prefix() as (redis_url, prefix):
        env = {"JJJCREDIT_PUBLIC_RATE_PER_MINUTE": "4", "JJJCREDIT_REDIS_PREFIX": prefix}
        with served(database_url, tmp_path / "a.log", "--redis", redis_url, env=env) as a, \
                served(database_url, tmp_path / "b.log", "--redis", redis_url, env=env) as b, \
                httpx.Client(base_url=a.url, timeout=30) as first, httpx.Client(base_url=b.url, timeout=30) as second:
            def verify(http: httpx.Client) -> httpx.Response:
                return http.post("/api/v1/verify", json={"code": "x", "name": "y"})

            assert verify(first).status_code == 200
            time.sleep(2.5)
            assert [verify(http).status_code for http in (second, first, second)] == [200, 200, 200]
            # Each server has seen two calls: only a shared count refuses the fifth, on either server.
            over = [verify(second), verify(first)]
    for response in over:
        assert response.status_code == 429, response.text
        assert response.json()["errors"][0]["code"] == "access.rate_limited"
        retry = int(response.headers["Retry-After"])
        assert 1 <= retry <= 58, f"Retry-After {retry}: it counts from the first call, made 2.5 s earlier on a"


def test_each_request_is_one_json_line_with_its_request_id(database_url: str, tmp_path: Path):
    codes = _library(database_url, tmp_path)
    engine = make_engine(database_url)
    with engine.begin() as conn:
        _, key = clients.add_client(conn, "市公安局", "lookup", 2)
    engine.dispose()
    with served(database_url, tmp_path / "serve.log") as server, \
            httpx.Client(base_url=server.url, timeout=30) as http:
        public = http.get(f"/api/v1/organizations/{codes[0]}")
        keyed = http.get(f"/api/v1/organizations/{codes[1]}", headers={"X-API-Key": key, "X-Purpose": "test",
                                                                       "X-Request-ID": "case-42"})
        missing = http.get("/no/such/page")
        deadline = time.monotonic() + 10
        while len(server.requests()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = server.requests()
    assert public.status_code == 200 and keyed.status_code == 200 and missing.status_code == 404
    assert len(lines) == 3, lines
    for response, line in zip((public, keyed, missing), lines, strict=True):
        assert line["request_id"] == response.headers["X-Request-ID"]
        assert {"time", "level", "method", "path", "status", "latency_ms", "client", "service"} <= set(line)
        assert line["level"] == "info" and line["method"] == "GET" and line["latency_ms"] >= 0
        assert line["status"] == response.status_code
    assert lines[0]["path"] == f"/api/v1/organizations/{codes[0]}"
    assert (lines[0]["client"], lines[0]["service"]) == ("public", "lookup")
    assert (lines[1]["client"], lines[1]["request_id"]) == ("市公安局", "case-42")
    assert (lines[2]["service"], lines[2]["route"]) == ("none", "unmatched")
    assert not any(line["logger"] == "uvicorn.access" for line in server.lines()), "no second access line"


def test_several_workers_serve_lookups_and_lose_no_audit_entry(database_url: str, tmp_path: Path):
    codes = _library(database_url, tmp_path)
    env = {"JJJCREDIT_PUBLIC_RATE_PER_MINUTE": "100000"}
    with served(database_url, tmp_path / "serve.log", env=env, workers=2) as server:
        def look_up(code: str) -> httpx.Response:
            with httpx.Client(base_url=server.url, timeout=30) as http:  # a new connection: any worker answers
                return http.get(f"/api/v1/organizations/{code}")

        answers = [look_up(code) for code in codes * 3]
    assert [a.status_code for a in answers] == [200] * len(answers)
    assert [a.json()["organization"]["uscc"] for a in answers] == codes * 3
    workers = {line["message"] for line in server.lines() if line["message"].startswith("Started server process")}
    assert len(workers) == 2, workers
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert audit.count_entries(conn) == len(answers), "every call of every worker is in the trail"
        assert audit.verify_trail(conn) == []
    engine.dispose()


def test_a_request_the_parser_refuses_is_answered_in_the_one_shape(database_url: str, tmp_path: Path):
    from tests.web.test_protocol import CASES, send

    _library(database_url, tmp_path, count=1)
    with served(database_url, tmp_path / "serve.log") as server:
        for case in ("control byte in a header value", "raw UTF-8 in the path"):
            data, code, field, position = CASES[case]
            status, headers, payload = send(server.url, data)
            assert status == 400 and headers["content-type"] == "application/json", payload
            (error,) = json.loads(payload)["errors"]
            assert (error["code"], error["field"], error["position"]) == (code, field, position)
        refused = [line for line in server.lines() if line.get("code") in ("request.bad_header", "request.bad_url")]
    assert len(refused) == 2 and all(line["level"] == "warning" for line in refused)
