"""A real server on a free loopback port, over a real database (SQLite or PostgreSQL), with a small
library (level-2 and level-3 elements included: library_files.restricted) and its clients: one per
security level with every read service, and three more for rights."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
import uvicorn

from jjjcredit.services import db
from jjjcredit.services.library import library
from jjjcredit.services.sharing import clients
from jjjcredit.settings import Settings
from jjjcredit.storage.engine import make_engine
from jjjcredit.web.app import create_app
from tests.services.library import library_files as files

#: The operator's secret the test servers seal their signing keys with (synthetic).
SECRET = "test-operator-secret"


@dataclass
class Server:
    url: str
    app: object
    codes: list[str]
    keys: dict[str, str]

    def client(self, key: str | None = None, purpose: str | None = "test") -> httpx.Client:
        headers = {}
        if key:
            headers["X-API-Key"] = self.keys[key]
            if purpose:
                headers["X-Purpose"] = purpose
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                       http="jjjcredit.web.protocol:Protocol",
                                       proxy_headers=False))  # as `jjjcredit serve` runs it
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    engine = make_engine(database_url)
    db.upgrade(engine)
    codes = files.codes(30)
    library.ingest_file(engine, str(files.organizations(tmp_path / "a.csv", codes, date="2020-01-01")),
                        "hebei/market-regulation")
    renamed = files.organizations(tmp_path / "b.csv", codes[:1], name="保定新名{i}科技有限公司", date="2024-06-30")
    library.ingest_file(engine, str(renamed), "hebei/market-regulation")
    # level-2 and level-3 values changed: old and new in the history and the feed
    contacts = files.organizations(tmp_path / "c.csv", codes[1:2], name="石家庄某某1机械制造有限公司",
                                   date="2024-07-01", revision=1)
    library.ingest_file(engine, str(contacts), "hebei/market-regulation")
    keys = {}
    with engine.begin() as conn:
        for name, services, level in (("verifier", "verify", 1), ("full", "lookup,search,verify,changes", 3),
                                      ("revoked", "lookup", 1),
                                      *((f"level{n}", "lookup,search,changes,reconcile", n) for n in (1, 2, 3))):
            _, keys[name] = clients.add_client(conn, name, services, level)
        clients.revoke_client(conn, "revoked")
    engine.dispose()
    app = create_app(replace(Settings(), database_url=database_url, public_rate_per_minute=1000,
                             signing_key_secret=SECRET))
    with serving(app) as url:
        yield Server(url, app, codes, keys)
