"""``jjjcredit elements``: list the standard data elements, print the schema of one record."""

from __future__ import annotations

import csv
import json
import sys
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jjjcredit.cli import output
from jjjcredit.core import cells
from jjjcredit.core.library import element_schemas, elements

app = typer.Typer(no_args_is_help=True)

LIST_FORMATS = ("table", "json", "csv")
SCHEMA_FORMATS = ("json-schema", "xsd")


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        expected = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        output.fail("usage.format", f'--format "{fmt}" is not known: expected {expected}.')


@app.command("list")
def list_elements(
    fmt: str = typer.Option("table", "--format", help="table, json or csv"),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
) -> None:
    """List the 32 data elements in element order (the column order of every export)."""
    _check_format(fmt, LIST_FORMATS)
    encoding = output.csv_encoding(csv_encoding)
    rows = element_schemas.describe_elements()
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        with output.csv_stdout(encoding) as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(element_schemas.DESCRIPTION_FIELDS)
            for row in rows:
                writer.writerow(cells.guarded(_csv_cell(row[f]) for f in element_schemas.DESCRIPTION_FIELDS))
    else:
        _print_table()


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):  # the value list: "code zh en" entries joined by "; "
        return "; ".join(f"{v['code']} {v['zh']} {v['en']}" for v in value)
    return str(value)


def _print_table() -> None:
    # A terminal wraps to its width; piped output keeps one line per element.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    levels = ", ".join(f"{n} {en} {zh}" for n, (zh, en) in elements.SECURITY_LEVELS.items())
    table = Table(show_header=True, header_style="bold", caption=f"security levels: {levels}")
    for header in ("ID", "name", "中文名", "English", "format", "required", "level", "reference / values"):
        table.add_column(header, no_wrap=header in ("ID", "name", "format", "level"))
    for e in elements.ELEMENTS:
        level = f"{e.security_level}" + (" personal" if e.personal else "")
        values = "; ".join(p for p in (e.reference, e.unit, f"{len(e.values)} codes" if e.values else "") if p)
        cells = (e.identifier, e.name, e.zh, e.en, e.format, "yes" if e.required else "", level, values)
        table.add_row(*(escape(c) for c in cells))
    console.print(table)


@app.command("schema")
def print_schema(
    fmt: str = typer.Option("json-schema", "--format", help="json-schema or xsd"),
) -> None:
    """Print the schema of one organization record: JSON Schema (draft 2020-12) or XSD.

    The same text as the committed schemas/organization.schema.json and schemas/organization.xsd.
    """
    _check_format(fmt, SCHEMA_FORMATS)
    text = element_schemas.json_schema_text() if fmt == "json-schema" else element_schemas.xsd()
    sys.stdout.write(text)
