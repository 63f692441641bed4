"""``jjjcredit evidence``: check a saved verification answer offline; rotate the signing key."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services.sharing import evidence

app = typer.Typer(no_args_is_help=True)



def _read_json(source: str, what: str) -> Any:
    try:
        if source.startswith(("http://", "https://")):
            with urllib.request.urlopen(source, timeout=30) as response:
                text = response.read().decode("utf-8")
        else:
            text = Path(source).read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        output.fail("evidence.malformed", f'Cannot read the {what} "{source}": {exc}.')
    except json.JSONDecodeError as exc:
        output.fail("evidence.malformed", f'The {what} "{source}" is not JSON (line {exc.lineno}, column '
                    f"{exc.colno}): save the response body as it came.")


@app.command("verify")
def verify_answer(
    file: str = typer.Argument(..., help="A saved response body of /api/v1/verify or /verify/batch."),
    keys: Optional[str] = typer.Option(None, "--keys",  # noqa: UP045
                                       help="A saved copy of /api/v1/keys, or its URL; default: the database."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Check a saved answer's signature: exit 0 it verifies, 1 it does not (and why), 2 unreadable."""
    saved = _read_json(file, "answer")
    if keys is not None:
        public = evidence.key_map(_read_json(keys, "keys"))
    else:
        with database.ready_engine(url).connect() as conn:
            public = {k["key_id"]: k["public_key"] for k in evidence.public_keys(conn)}
    key_id = signatures.check(saved, public)
    ev = saved["evidence"]
    output.note(f'The answer verifies: signed with key "{key_id}" ({ev["algorithm"]}) at {ev["time"]}, library '
                f'sequence {ev["library_seq"]}.')


@app.command("rotate-key")
def rotate_key(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Retire the current signing key and create a new one (old answers still verify: keys stay published)."""
    with database.ready_engine(url).begin() as conn:
        key_id = evidence.rotate_key(conn)
    print(key_id)
    output.note(f'New signing key "{key_id}"; earlier keys are retired and stay published at /api/v1/keys.')
