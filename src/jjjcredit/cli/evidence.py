"""``jjjcredit evidence``: check a saved verification answer offline; rotate the signing key; seal the
signing keys under a new operator secret."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any, Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.core.sharing import evidence as signatures
from jjjcredit.services.sharing import evidence
from jjjcredit.settings import Settings, signing_secret

app = typer.Typer(no_args_is_help=True)



def read_json(source: str, what: str) -> Any:
    """A JSON file or URL, read whole (a saved answer or key list); unreadable → ``evidence.malformed``."""
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
    saved = read_json(file, "answer")
    if keys is not None:
        public = evidence.key_map(read_json(keys, "keys"))
    else:
        with database.ready_engine(url).connect() as conn:
            public = {k["key_id"]: k["public_key"] for k in evidence.public_keys(conn)}
    key_id = signatures.check(saved, public)
    ev = saved["evidence"]
    output.note(f'The answer verifies: signed with key "{key_id}" ({ev["algorithm"]}) at {ev["time"]}, library '
                f'sequence {ev["library_seq"]}.')


def key_box() -> evidence.KeyBox | None:
    secret = Settings.from_env().signing_key_secret  # an unreadable secret file: evidence.no_secret
    return evidence.KeyBox(secret) if secret else None


@app.command("rotate-key")
def rotate_key(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Retire the current signing key and create a new one (old answers still verify: keys stay published).
    The new key is sealed under the operator secret (JJJCREDIT_SIGNING_KEY_SECRET or _FILE)."""
    try:
        with database.ready_engine(url).begin() as conn:
            box = key_box()
            key_id = evidence.rotate_key(conn, box)
            sealed = evidence.seal_clear_keys(conn, box) if box else 0
    except signatures.SecretError as exc:
        output.fail(exc.code, exc.message)
    print(key_id)
    output.note(f'New signing key "{key_id}"; earlier keys are retired and stay published at /api/v1/keys.'
                + (f" {sealed} keys stored in clear were sealed." if sealed else ""))


@app.command("rekey")
def rekey(
    new_secret_file: Path = typer.Option(..., "--new-secret-file", help="A file whose first line is the new "
                                         "operator secret (never on the command line: others can read it)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Seal every signing key under a new operator secret, in one transaction. The current secret
    (JJJCREDIT_SIGNING_KEY_SECRET or _FILE) opens them; keys stored in clear need none. Then give the
    servers the new secret and restart them."""
    try:
        new = signing_secret({"JJJCREDIT_SIGNING_KEY_FILE": str(new_secret_file)})
    except (OSError, UnicodeDecodeError) as exc:
        output.fail("evidence.no_secret", f'Cannot read the new secret file "{new_secret_file}": {exc}.')
    if not new:
        output.fail("evidence.no_secret", f'The new secret file "{new_secret_file}" holds no secret on its first line.')
    try:
        with database.ready_engine(url).begin() as conn:
            count = evidence.rekey(conn, key_box(), evidence.KeyBox(new))
    except signatures.SecretError as exc:
        output.fail(exc.code, exc.message)
    output.note(f"{count} signing keys sealed under the new secret: give it to every server "
                "(JJJCREDIT_SIGNING_KEY_SECRET or _FILE) and restart them.")
