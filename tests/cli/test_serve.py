"""``jjjcredit serve`` refuses to start, in one line, when what it needs is missing (the serving itself
is tested through real HTTP in tests/web/test_serve.py)."""

from __future__ import annotations

import socket
from pathlib import Path

from jjjcredit.services import db
from jjjcredit.storage.engine import make_engine
from tests.cli.test_codes import run
from tests.cli.test_evidence import run_with


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_redis_that_does_not_answer_stops_the_start(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    result = run("serve", "--port", str(_closed_port()), "--db", database_url,
                 "--redis", f"redis://127.0.0.1:{_closed_port()}/0")
    assert result.returncode == 2
    assert result.stderr.startswith("error [redis.unavailable]: Redis at redis://127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_unknown_log_level_is_a_usage_error():
    result = run("serve", "--log-level", "loud")
    assert result.returncode == 2 and result.stderr.startswith("error [usage]: --log-level \"loud\"")


def test_a_busy_port_is_one_line_naming_the_port_and_the_way_out(database_url: str):
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), "--db", database_url)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error [serve.port_busy]: Port {port} on 127.0.0.1 is already in use")
    assert "--port" in result.stderr and "PORT=" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "serving on" not in result.stderr, result.stderr


def test_an_address_that_cannot_be_listened_on_is_refused():
    result = run("serve", "--host", "host.invalid", "--port", "8000")
    assert result.returncode == 2 and result.stderr.startswith("error [serve.address]: --host \"host.invalid\"")


def test_an_unreadable_secret_file_stops_the_start(database_url: str, tmp_path: Path):
    result = run_with({"JJJCREDIT_SIGNING_KEY_FILE": str(tmp_path / "absent")}, "serve", "--port",
                      str(_closed_port()), "--db", database_url)
    assert result.returncode == 2
    assert result.stderr.startswith("error [evidence.no_secret]: Cannot read the operator secret file")
