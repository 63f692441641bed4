"""``jjjcredit clients``: application parties and their API keys."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.services.sharing import clients

app = typer.Typer(no_args_is_help=True)



@app.command("add")
def add_client(
    name: str = typer.Argument(..., help="The application party (department)."),
    services: str = typer.Option(..., "--services", help="e.g. verify,lookup,search,changes"),
    level: int = typer.Option(1, "--level", help="Security-level ceiling: 1 public, 2 sharing, 3 restricted."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Create a client; its API key is printed once, now (only its hash is kept)."""
    with database.ready_engine(url).begin() as conn:
        client, key = clients.add_client(conn, name, services, level)
    sys.stdout.write(json.dumps({"name": client.name, "services": sorted(client.services), "level": client.level,
                                 "api_key": key}, ensure_ascii=False) + "\n")
    output.note("Keep the API key now: it is not shown again.")


@app.command("list")
def list_clients(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Every client, its services, level and whether it is revoked (never the keys)."""
    with database.ready_engine(url).connect() as conn:
        rows = clients.list_clients(conn)
    for c in rows:
        state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "active"
        print(f"{c.name}\t{','.join(sorted(c.services))}\tlevel {c.level}\tkey jjj_{c.key_prefix}_…\t{state}")


@app.command("rotate")
def rotate_client(
    name: str = typer.Argument(..., help="The client (application party) whose key is replaced."),
    grace_hours: float = typer.Option(24.0, "--grace-hours", help="How long the old key still works (0: not at all)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Give a client a new API key, printed once, now; the old key works for the grace period, then is refused."""
    with database.ready_engine(url).begin() as conn:
        client, key, until = clients.rotate_client(conn, name, grace_hours)
    sys.stdout.write(json.dumps({"name": client.name, "api_key": key,
                                 "old_key_valid_until": f"{until:%Y-%m-%dT%H:%M:%SZ}"}, ensure_ascii=False) + "\n")
    output.note(f"Keep the new API key now: it is not shown again. The old key works until {until:%Y-%m-%d %H:%M} "
                "UTC.")


@app.command("revoke")
def revoke_client(name: str = typer.Argument(...), url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Revoke a client's key at once."""
    with database.ready_engine(url).begin() as conn:
        clients.revoke_client(conn, name)
    output.note(f'client "{name}" revoked.')
