"""The same bad input gives the same error code — and the exit code or HTTP status the table keeps
beside it — from every command and route that meets it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jjjcredit.core.errors import ERROR_CODES
from tests.cli import command
from tests.services.library import library_files as files
from tests.web.conftest import Server


def run(*args: str | bytes, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return command.run_text(list(args), errors="replace", timeout=300, cwd=cwd)


def _error_line(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    lines = [line for line in result.stderr.splitlines() if line.startswith("error [")]
    assert len(lines) == 1, result.stderr
    code, _, message = lines[0].removeprefix("error [").partition("]: ")
    return code, message


@pytest.mark.parametrize("source", ["hebei/tax", "shanghai/market-regulation", "hebei"])
def test_an_unknown_source_is_one_code_in_every_command(database_url: str, tmp_path: Path, source: str):
    path = files.organizations(tmp_path / "a.csv", files.codes(3))
    assert run("db", "upgrade", "--db", database_url).returncode == 0
    checked = run("records", "check", str(path), "--source", source)
    ingested = run("library", "ingest", str(path), "--source", source, "--db", database_url)
    quality = run("library", "quality", "--source", source, "--db", database_url)
    found = {name: (r.returncode, *_error_line(r)) for name, r in
             (("records check", checked), ("library ingest", ingested), ("library quality", quality))}
    assert {name: f[:2] for name, f in found.items()} == dict.fromkeys(found, (2, "crosswalk.source"))
    assert found["records check"][2] == found["library ingest"][2]
    assert f'"{source}" is not known' in found["library ingest"][2]
    assert all("--source" not in f[2] for f in found.values()), "service messages speak of the data"


@pytest.mark.parametrize("bad", ["9135O100M000100Y43", "91350100M000100Y44", "9135010", "I1350100M000100Y43"])
def test_an_invalid_code_is_one_code_in_every_command_and_route(server: Server, database_url: str, bad: str):
    explained = run("codes", "explain", bad, "--format", "json")
    explain_code = next(f["code"] for f in json.loads(explained.stdout)["findings"] if f["severity"] == "error")
    shown = run("library", "show", bad, "--db", database_url)
    show_code, _ = _error_line(shown)
    with server.client() as http:
        lookup = http.get(f"/api/v1/organizations/{bad}")
        history = http.get(f"/api/v1/organizations/{bad}/history")
        verified = http.post("/api/v1/verify", json={"code": bad, "name": "x"}).json()
        batch = http.post("/api/v1/verify/batch", json={"items": [{"code": bad, "name": "x"}]}).json()
    codes = {"codes explain": explain_code, "library show": show_code,
             "lookup": lookup.json()["errors"][0]["code"], "history": history.json()["errors"][0]["code"],
             "verify": verified["error"]["code"], "verify batch": batch["answers"][0]["error"]["code"]}
    assert len(set(codes.values())) == 1, codes
    code = explain_code
    assert explained.returncode == shown.returncode == ERROR_CODES[code].exit_code == 1
    assert lookup.status_code == history.status_code == ERROR_CODES[code].http_status


def test_a_valid_code_nobody_sent_is_library_not_found_in_the_command_and_the_route(server: Server,
                                                                                   database_url: str):
    absent = "91350100M000100Y43"
    shown = run("library", "show", absent, "--db", database_url)
    with server.client() as http:
        lookup = http.get(f"/api/v1/organizations/{absent}")
    code, message = _error_line(shown)
    assert (code, shown.returncode) == ("library.not_found", ERROR_CODES["library.not_found"].exit_code)
    error = lookup.json()["errors"][0]
    assert (error["code"], error["message"]) == (code, message)
    assert lookup.status_code == ERROR_CODES["library.not_found"].http_status


def test_an_argument_that_is_not_utf8_is_a_usage_error(tmp_path: Path):
    bad = b"\xff\xfe91350100M000100Y43"
    for args in ([b"codes", b"explain", bad], [b"records", b"check", bad], [b"search", b"find", bad]):
        result = subprocess.run([os.fsencode(sys.executable), b"-m", b"jjjcredit", *args], capture_output=True,
                                timeout=120, check=False, cwd=tmp_path)
        stderr = result.stderr.decode("utf-8")  # the message itself is UTF-8
        assert result.returncode == 2, stderr
        assert stderr.startswith("error [usage]: Argument 3 "), stderr
        assert "internal" not in stderr and "Traceback" not in stderr
