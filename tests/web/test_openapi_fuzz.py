"""Schemathesis against the live OpenAPI of a real server (web/openapi.py): no 5xx, no status the
description does not list for the operation, no response that breaks its own schema — as the public and as
a client holding every service at the top security level. Bounded: a few examples per operation, a fixed
seed, well under a minute for both."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jjjcredit.core.sharing import access
from jjjcredit.services.sharing import clients
from jjjcredit.storage.engine import make_engine
from tests.web.conftest import Server

ST = Path(sys.executable).parent / "st"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"


def _key_to_everything(database_url: str) -> str:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        _, key = clients.add_client(conn, "every-service", ",".join(access.SERVICES), access.TOP_LEVEL)
    engine.dispose()
    return key


@pytest.mark.parametrize("as_client", [False, True], ids=["public", "client"])
def test_every_answer_is_one_the_description_lists(server: Server, database_url: str, as_client: bool,
                                                    tmp_path: Path):
    assert ST.exists() or shutil.which("st"), "schemathesis is not installed: pip install -e '.[dev]'"
    command = [str(ST if ST.exists() else "st"), "run", f"{server.url}/openapi.json", "--checks", CHECKS,
               "--max-examples", "10", "--seed", "1", "--no-color", "--generation-database", "none"]
    if as_client:
        command += ["-H", f"X-API-Key: {_key_to_everything(database_url)}", "-H", "X-Purpose: schema fuzzing"]
    with server.client() as http:
        operations = sum(len(item) for item in http.get("/openapi.json").json()["paths"].values())
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and f"Tested: {operations}" in result.stdout, result.stdout[-3000:]
