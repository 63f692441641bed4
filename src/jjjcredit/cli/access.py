"""Who the command line is when it shows data: the platform's staff (every element, personal data
masked), or — with ``--level N`` — what an application party with security level N sees. What is
shown is decided by services/sharing/disclosure.py, never here."""

from __future__ import annotations

from typing import Optional

import typer

from jjjcredit.core.library import elements
from jjjcredit.core.sharing import access

#: The public, without a key (``credit show --public``).
PUBLIC = access.PUBLIC
LEVEL_OPTION: Optional[int] = typer.Option(  # noqa: UP045 - Typer needs Optional here
    None, "--level", min=min(elements.SECURITY_LEVELS), max=max(elements.SECURITY_LEVELS),
    help="Show what an application party with this security level sees (1 public, 2 government sharing, "
         "3 restricted: identity numbers in clear). Without it: every element, personal data masked.")


def caller(level: int | None) -> access.Caller:
    """The caller a command reads as: the staff, or an application party at ``level``."""
    return access.STAFF if level is None else access.client_at(level)
