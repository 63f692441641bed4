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
