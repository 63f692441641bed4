"""How the CLI talks: messages to stderr in one shape, ``error [code]: message``, and the exit code
the error table (core/errors.py) keeps beside the code. ``cli/app.main`` turns any core
:class:`~jjjcredit.core.errors.Error` a command lets through into that line with :func:`fail`."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn, Optional

import typer
from rich.console import Console
from rich.text import Text

from jjjcredit.core import errors
from jjjcredit.services import tabular
from jjjcredit.settings import Settings

DEBUG = [False]
EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2

stderr = Console(stderr=True, highlight=False, soft_wrap=True)

#: The option every command that writes CSV shares (docs/cli.md, "CSV output").
CSV_ENCODING_OPTION: Optional[str] = typer.Option(  # noqa: UP045 - Typer needs Optional here
    None, "--csv-encoding", help="CSV output for Excel: utf-8-sig (UTF-8 with a byte order mark) or gb18030 "
    "(default: $JJJCREDIT_CSV_ENCODING, else utf-8-sig).")


def fail(code: str, message: str, exit_code: int | None = None) -> NoReturn:
    """Print ``error [code]: message`` on one line to stderr and exit with the code's exit status
    from the error table (``exit_code`` only where the table has no say, as for an interruption)."""
    stderr.print(Text.assemble(("error", "bold red"), f" [{code}]: {message}"))
    raise SystemExit(errors.exit_code(code) if exit_code is None else exit_code)


def csv_encoding(option: str | None) -> str:
    """The encoding CSV output is written in: the option, else the setting; refused (exit 2) unless
    it is one of ``tabular.CSV_ENCODINGS``. Commands call it before any work, so a typo costs nothing."""
    return tabular.csv_encoding(option or Settings.from_env().csv_encoding)


@contextmanager
def csv_stdout(encoding: str) -> Iterator[io.TextIOWrapper]:
    """Standard output as CSV text in ``encoding`` (``tabular.csv_text``), flushed at the end."""
    sys.stdout.flush()
    text = tabular.csv_text(sys.stdout.buffer, encoding)
    try:
        yield text
    finally:
        tabular.release(text)


def note(message: str) -> None:
    stderr.print(message, markup=False)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
