"""JSON log lines: the formatter, and the configuration ``jjjcredit serve`` hands to uvicorn."""

from __future__ import annotations

import datetime
import doctest
import json
import logging
import subprocess
import sys

import pytest

from jjjcredit import logs


def test_examples():
    assert doctest.testmod(logs).failed == 0


def test_a_line_carries_the_extra_fields_and_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("jjjcredit.web", logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info())
    record.request_id, record.code = "abc", "internal"
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["level"] == "error" and line["message"] == "failed x"
    assert line["request_id"] == "abc" and line["code"] == "internal"
    assert "ValueError: boom" in line["exception"]
    try:  # an exception quoting a value that was a personal number
        datetime.date.fromisoformat("130102198505059977")
    except ValueError:
        record = logging.LogRecord("jjjcredit.web", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(logs.JsonFormatter().format(record))
    assert "Invalid isoformat" in line["exception"] and "130102198505059977" not in line["exception"]
    assert line["time"].endswith("Z")


def test_the_configuration_writes_ours_and_uvicorns_not_the_access_log_nor_sql():
    script = (
        "import logging, logging.config\n"
        "from jjjcredit import logs\n"
        "logging.config.dictConfig(logs.config('info'))\n"
        "logging.getLogger('jjjcredit.web').info('ours', extra={'status': 200})\n"
        "logging.getLogger('uvicorn.error').info('started')\n"
        "logging.getLogger('uvicorn.access').info('access')\n"
        "logging.getLogger('sqlalchemy.engine').info('SELECT 1')\n"
        "logging.getLogger('jjjcredit.web').debug('too fine')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [("jjjcredit.web", "ours"),
                                                                     ("uvicorn.error", "started")]
    assert lines[0]["status"] == 200 and result.stdout == ""


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError, match="loud"):
        logs.config("loud")
