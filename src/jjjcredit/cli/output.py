"""How the CLI talks: messages to stderr in one shape, ``error [code]: message``, and the exit code
the error table (core/errors.py) keeps beside the code. ``cli/app.main`` turns any core
:class:`~jjjcredit.core.errors.Error` a command lets through into that line with :func:`fail`."""

from __future__ import annotations

import datetime
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn, Optional

import typer
from rich.console import Console
from rich.text import Text

from jjjcredit.core import errors
from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import persons, working_days
from jjjcredit.services.tabular import excel_csv
from jjjcredit.settings import Settings

DEBUG = [False]
EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

#: The argument of every command about one credit subject (authorizations, subjects): a natural person's
#: identity number never on the command line (shell histories, process lists keep it), but on stdin.
SUBJECT_ARGUMENT: str = typer.Argument(..., help='A unified social credit code, a subject key (P:…), or "-" to '
                                       "read a natural person's identity number from standard input (never from "
                                       "the command line).")


def subject_text(code: str) -> str:
    """What :data:`SUBJECT_ARGUMENT` names: the argument, or for ``-`` the first line of standard input. An
    identity number given as the argument is refused (``usage``): a command line is kept in the shell's
    history and shown by ``ps``. Anything that is neither a code, a subject key nor (from standard input) an
    identity number is ``credit.subject_code``, masked, before anything is read or recorded — as the API
    refuses it (core/credit/persons.check_subject)."""
    if code == "-":
        return persons.check_subject(sys.stdin.readline().strip())
    compact = uscc.compact(code)
    if ric.is_valid(compact) and not uscc.is_valid(compact):
        fail("usage", "An identity number is never given on the command line (the shell keeps it, ps shows it): "
                      "give - and the number on standard input, e.g. `read -s N; echo \"$N\" | jjjcredit … -`.")
    return persons.check_subject(code)


def json_out(data: object) -> None:
    """Data to stdout as indented JSON, Chinese as itself (dates and other values as their text)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


#: The option every command that writes CSV shares (docs/cli.md, "CSV output").
CSV_ENCODING_OPTION: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
    None, "--csv-encoding", help="CSV output for Excel: utf-8-sig (UTF-8 with a byte order mark) or gb18030 "
    "(default: $JJJCREDIT_CSV_ENCODING, else utf-8-sig).")


def day(text: str | None, option: str) -> datetime.date:
    """The day an option names (YYYY-MM-DD), or today in Beijing — the day the platform judges dates and
    deadlines on — when it is not given; ``usage.date`` for anything else."""
    if text is None:
        return working_days.today()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        fail("usage.date", f'{option} "{text[:40]}" is not a date: expected YYYY-MM-DD.')


def fail(code: str, message: str, exit_code: int | None = None) -> NoReturn:
    """Print ``error [code]: message`` on one line to stderr and exit with the code's exit status
    from the error table (``exit_code`` only where the table has no say, as for an interruption). A personal
    number the message quotes from what was typed is masked (core/codes/personal)."""
    stderr.print(Text.assemble(("error", "bold red"), f" [{code}]: {shown_personal(message)}"))
    raise SystemExit(errors.exit_code(code) if exit_code is None else exit_code)


def csv_encoding(option: str | None) -> str:
    """The encoding CSV output is written in: the option, else the setting; refused (exit 2) unless
    it is one of ``excel_csv.CSV_ENCODINGS``. Commands call it before any work, so a typo costs nothing."""
    if option:
        return excel_csv.csv_encoding(option)
    setting = Settings.from_env().csv_encoding
    try:
        return excel_csv.csv_encoding(setting)
    except excel_csv.CsvEncodingError as exc:  # the same words, naming where the value came from
        raise errors.Error("settings.invalid", exc.message.replace("--csv-encoding", "JJJCREDIT_CSV_ENCODING", 1)
                           ) from None


@contextmanager
def csv_stdout(encoding: str) -> Iterator[io.TextIOWrapper]:
    """Standard output as CSV text in ``encoding`` (``excel_csv.csv_text``), flushed at the end."""
    sys.stdout.flush()
    text = excel_csv.csv_text(sys.stdout.buffer, encoding)
    try:
        yield text
    finally:
        excel_csv.release(text)


def note(message: str) -> None:
    stderr.print(message, markup=False)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
