"""How the CLI talks: messages to stderr in one shape, exit codes in one place."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from rich.text import Text

DEBUG = [False]
EXIT_OK, EXIT_NO, EXIT_USAGE = 0, 1, 2

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(code: str, message: str, exit_code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error [code]: message`` on one line to stderr and exit."""
    stderr.print(Text.assemble(("error", "bold red"), f" [{code}]: {message}"))
    raise SystemExit(exit_code)


def note(message: str) -> None:
    stderr.print(message, markup=False)


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
