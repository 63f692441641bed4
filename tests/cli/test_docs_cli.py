"""docs/cli.md against the Typer app: every command and option the app has is documented, under the
command's own heading, and every command and option a heading names exists."""

from __future__ import annotations

import re
from pathlib import Path

import click
import typer

from jjjcredit.cli.app import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
#: Options documented once for every command that has them: where, and the words that say so.
SHARED = {"--db": "Every database command takes `--db URL`",
          "--csv-encoding": "Every command that writes CSV takes `--csv-encoding", "--help": None}


def _commands() -> dict[str, set[str]]:
    """Every command of the app (``jjjcredit library ingest``) → its long options."""
    found: dict[str, set[str]] = {}

    def walk(command: click.Command, path: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                if not sub.hidden:
                    walk(sub, f"{path} {name}")
        else:  # a command, or a sub-app that is one command (``demo-data``, ``serve``)
            found[path] = {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}

    walk(typer.main.get_command(app), "jjjcredit")
    return found


def _documented() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Every command a ``###`` heading names → its section (heading and text up to the next heading),
    and → the options its heading shows."""
    sections: dict[str, str] = {}
    shown: dict[str, set[str]] = {}
    parts = re.split(r"^(?=#{2,3} )", DOC.read_text("utf-8"), flags=re.MULTILINE)
    for part in parts:
        heading = part.splitlines()[0] if part else ""
        if not heading.startswith("### "):
            continue
        for usage in re.findall(r"`(jjjcredit [^`]*)`", heading):
            words = usage.split()
            path = ["jjjcredit"]
            for word in words[1:]:
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                path.append(word)
            name = " ".join(path)
            assert name not in sections, f"{name} has two headings in {DOC.name}"
            sections[name] = part
            shown[name] = set(re.findall(r"--[a-z][a-z-]*", usage))
    return sections, shown


def test_every_command_is_documented_and_every_documented_command_exists():
    commands = set(_commands())
    documented = set(_documented()[0])
    assert sorted(commands - documented) == [], f"commands missing from {DOC.name}"
    assert sorted(documented - commands) == [], f"{DOC.name} documents commands that do not exist"


def test_every_option_is_documented_under_its_command():
    sections, _ = _documented()
    text = DOC.read_text("utf-8")
    for option, where in SHARED.items():
        assert where is None or where in text, f"{option}: {DOC.name} no longer says {where!r}"
    missing = {name: sorted(o for o in options - SHARED.keys() if not re.search(rf"{o}(?![a-z-])", sections[name]))
               for name, options in _commands().items() if name in sections}
    assert {k: v for k, v in missing.items() if v} == {}, f"options missing from their section in {DOC.name}"


def test_every_option_a_heading_shows_exists():
    commands = _commands()
    _, shown = _documented()
    wrong = {name: sorted(options - commands.get(name, set())) for name, options in shown.items()}
    assert {k: v for k, v in wrong.items() if v} == {}, f"{DOC.name} shows options the commands do not have"


def test_the_global_options_are_documented():
    root = typer.main.get_command(app)
    text = DOC.read_text("utf-8").split("\n## ", 1)[0]  # above the first command's section
    for option in (o for p in root.params for o in p.opts if o.startswith("--")):
        assert f"`{option}`" in text, option
