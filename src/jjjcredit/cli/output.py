"""How the CLI talks: messages to stderr in one shape, ``error [code]: message``, and the exit code
the error table (core/errors.py) keeps beside the code. ``cli/app.main`` turns any core
:class:`~jjjcredit.core.errors.Error` a command lets through into that line with :func:`fail`."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.text import Text

from jjjcredit.core import errors

DEBUG = [False]
EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(code: str, message: str, exit_code: int | None = None) -> NoReturn:
    """Print ``error [code]: message`` on one line to stderr and exit with the code's exit status
    from the error table (``exit_code`` only where the table has no say, as for an interruption)."""
    stderr.print(Text.assemble(("error", "bold red"), f" [{code}]: {message}"))
    raise SystemExit(errors.exit_code(code) if exit_code is None else exit_code)


def note(message: str) -> None:
    stderr.print(message, markup=False)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
