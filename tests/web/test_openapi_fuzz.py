"""Schemathesis against the live OpenAPI of a real server: no 5xx, no response that breaks its own
schema — as the public and as a client holding every right."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.conftest import Server

ST = Path(sys.executable).parent / "st"


@pytest.mark.parametrize("as_client", [False, True], ids=["public", "client"])
def test_no_server_error_and_every_response_fits_the_schema(server: Server, as_client: bool, tmp_path: Path):
    assert ST.exists() or shutil.which("st"), "schemathesis is not installed: pip install -e '.[dev]'"
    command = [str(ST if ST.exists() else "st"), "run", f"{server.url}/openapi.json",
               "--checks", "not_a_server_error,response_schema_conformance",
               "--max-examples", "10", "--seed", "1", "--no-color"]
    if as_client:
        command += ["-H", f"X-API-Key: {server.keys['full']}", "-H", "X-Purpose: schema fuzzing"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
