"""The ``jjjcredit`` command's nouns: a call imports only the one it names, and says the same as the whole
command would."""

from __future__ import annotations

import pytest

from jjjcredit.cli import app
from tests.cli import command


@pytest.mark.parametrize(("argv", "named"), [
    (["credit", "show", "X"], "credit"), (["--debug", "credit", "show"], "credit"), (["demo-data", "--count", "1"],
                                                                                     "demo-data"),
    (["--help"], None), (["--help", "credit"], None), (["--debug", "--help", "codes"], None), ([], None),
    (["credt"], None), (["credit", "--help"], "credit"),
])
def test_the_noun_a_command_line_names(argv: list[str], named: str | None):
    assert app._named(argv) == named


def test_the_whole_help_lists_every_noun_with_or_without_a_noun_after_it():
    for argv in (["--help"], ["--help", "credit"]):
        result = command.run_text(argv)
        assert result.returncode == 0, result.stderr
        assert all(f" {name} " in result.stdout for name in app.SUBAPPS), (argv, result.stdout)


def test_a_noun_s_help_and_an_unknown_noun_say_what_the_whole_command_says():
    credit = command.run_text(["credit", "--help"])
    assert credit.returncode == 0 and "ingest" in credit.stdout and " codes " not in credit.stdout
    unknown = command.run_text(["credt", "show"])
    assert unknown.returncode == 2 and "No such command 'credt'" in unknown.stderr and "credit" in unknown.stderr


def test_sigterm_stops_a_command_as_ctrl_c_does_and_says_so():
    """A service manager's stop (SIGTERM) rolls back what was in hand, as an interrupt does, and says so."""
    import contextlib
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    waiting = subprocess.Popen([sys.executable, "-m", "jjjcredit", "codes", "check", "-"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    read = {"x86_64": "0", "aarch64": "63"}[os.uname().machine]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until it waits for its input (a read of descriptor 0): it runs
            with contextlib.suppress(OSError):
                if Path(f"/proc/{waiting.pid}/syscall").read_text().split()[:2] == [read, "0x0"]:
                    break
            time.sleep(0.05)
        waiting.send_signal(signal.SIGTERM)
        _out, err = waiting.communicate(timeout=30)
    finally:
        waiting.kill()
    assert waiting.returncode == 130 and "error [interrupted]: Interrupted by SIGTERM" in err, err
