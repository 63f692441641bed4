"""``jjjcredit exchange``: exchange packages between nodes — export a signed full snapshot or delta of the
library or of the credit records, import one all or nothing with a receipt, and the peer nodes whose
packages are accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from jjjcredit.cli import database, output
from jjjcredit.cli.evidence import key_box, read_json
from jjjcredit.core.exchange import packages
from jjjcredit.core.exchange.packages import Scope
from jjjcredit.services.exchange import exchange
from jjjcredit.services.sharing import evidence
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)
peers = typer.Typer(no_args_is_help=True)
app.add_typer(peers, name="peers", help="The nodes whose packages this node accepts, with their published keys.")


def _node() -> str:
    return Settings.from_env().node


@app.command("export")
def export_package(
    out: Path = typer.Option(..., "--out", help="The folder the package's folder is written into."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv, xml (with its XSD) or parquet."),
    after: int = typer.Option(0, "--after", help="A delta: everything after this sequence number (the `to` of "
                              "the last package sent); 0, the default, is a full snapshot."),
    kind: str = typer.Option("organizations", "--kind", help="organizations (the library) or credit_records."),
    audience: str = typer.Option("public", "--audience", help="public (what anyone may see) or government "
                                 "(government sharing at level 2); the redaction point decides."),
    region: Optional[str] = typer.Option(None, "--region", help="Organizations of one region: beijing, "  # noqa: UP045
                                         "tianjin or hebei (the registering authority's province)."),
    department: Optional[str] = typer.Option(None, "--department",  # noqa: UP045
                                             help="Organizations of one registering department (a code's "
                                             "position 1, e.g. 9 market regulation)."),
    item: Optional[str] = typer.Option(None, "--item", help="Credit records of one catalogue item "  # noqa: UP045
                                       "(e.g. JJJ-03-001)."),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Write one signed package (a folder named by node, kind, scope, audience, sequence range and time)
    and print its folder's path. Needs the operator secret: the manifest is signed with the evidence key."""
    encoding = output.csv_encoding(csv_encoding)
    engine = database.ready_engine(url)
    done = exchange.export_package(engine, out, node=_node(), kind=kind, audience=audience, fmt=fmt, after=after,
                                   scope=Scope(region or None, department or None, item or None), box=key_box(),
                                   encoding=encoding, bounds=Settings.from_env().limits)
    print(done.path)
    seq, rows = done.manifest["sequence"], done.manifest["counts"]["rows"]
    what = "full snapshot" if done.manifest["snapshot"] else "delta"
    parts = len(packages.data_entries(done.manifest))
    output.note(f"{what} of {kind} {seq['after'] + 1}-{seq['to']} for the {audience}: {rows} rows"
                f"{f' in {parts} parts' if parts > 1 else ''}; the next delta "
                f"is `--after {seq['to']}`.")


@app.command("import")
def import_package(
    folder: Path = typer.Argument(..., help="A package's folder, as `exchange export` wrote it."),
    receipt: Optional[Path] = typer.Option(None, "--receipt", help="Where the receipt for the "  # noqa: UP045
                                           "producer is written (default: beside the folder, FOLDER.receipt.json)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Check the package (producer among the peers, signature, every file's size and SHA-256, every row,
    the sequence) and apply all of it or nothing; print the receipt and write it for the producer.

    Exit 0 accepted or skipped (applied already), 1 refused (the reason on stderr and in the receipt). With
    the operator secret the receipt is signed with this node's evidence key."""
    engine = database.ready_engine(url)
    answer = exchange.import_package(engine, folder, node=_node(), box=key_box(),
                                     bounds=Settings.from_env().limits)
    target = receipt or folder.with_name(folder.name + ".receipt.json")
    target.write_text(json.dumps(answer, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    output.json_out(answer)
    reason = answer["reason"]
    if answer["status"] == "rejected":
        output.fail(reason["code"], reason["message"])
    if answer["status"] == "skipped":
        output.note(reason["message"])
    else:
        counts = ", ".join(f"{k} {v}" for k, v in answer["counts"].items())
        output.note(f"Accepted: {answer['rows']} rows applied ({counts}).")


@app.command("receipt")
def check_receipt(
    file: str = typer.Argument(..., help="A receipt a receiving node wrote (`exchange import`)."),
    keys_file: str = typer.Option(..., "--keys", help="A saved copy of the receiving node's /api/v1/keys (or "
                                  "of `jjjcredit exchange keys` run there), or its URL."),
) -> None:
    """Check a receipt's signature with the receiving node's keys and say what it says: exit 0 it verifies
    (its status on stderr), 1 it does not (and why)."""
    receipt = read_json(file, "receipt")
    if not isinstance(receipt, dict):
        output.fail("exchange.malformed", f'"{file}" holds no receipt (a JSON object).')
    key_id = packages.check_signature(receipt, evidence.key_map(read_json(keys_file, "keys")), "receipt")
    reason = receipt.get("reason") or {}
    output.note(f'The receipt verifies (node "{receipt.get("receiver")}", key "{key_id}"): package '
                f'{receipt.get("package")} {receipt.get("status")}'
                + (f' — {reason.get("code")}: {reason.get("message")}' if reason else "") + ".")


@app.command("keys")
def keys(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Print this node's published keys (as /api/v1/keys serves them), for its peers' `exchange peers add`;
    with the operator secret, the signing key is made first if there is none yet."""
    with database.ready_engine(url).begin() as conn:
        output.json_out(exchange.own_keys(conn, _node(), key_box()))


@peers.command("add")
def add_peer(
    name: str = typer.Argument(..., help="The peer node's name (its JJJCREDIT_NODE, e.g. beijing)."),
    keys_file: str = typer.Option(..., "--keys", help="A saved copy of the node's /api/v1/keys (or of "
                                  "`jjjcredit exchange keys` run there), or its URL."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Accept packages from node NAME, checked with these keys (adding a node again replaces its keys)."""
    with database.ready_engine(url).begin() as conn:
        added = exchange.add_peer(conn, name, read_json(keys_file, "keys"), own=_node())
    output.note(f'Node "{added["name"]}" added with keys {", ".join(added["keys"])}.')


@peers.command("list")
def list_peers(url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """The peer nodes: their key ids, who added them and when, the last package applied from each."""
    with database.ready_engine(url).connect() as conn:
        output.json_out(exchange.list_peers(conn))
