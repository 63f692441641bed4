"""``jjjcredit catalogue``: the public credit information catalogue, its editions by year and their exports."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from jjjcredit.cli import access, database, output
from jjjcredit.core.credit import catalogue as rules
from jjjcredit.core.credit import catalogue_diff, catalogue_export
from jjjcredit.core.errors import Error
from jjjcredit.services.credit import catalogue
from jjjcredit.services.sharing import disclosure
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)
item_app = typer.Typer(no_args_is_help=True)
app.add_typer(item_app, name="item", help="Add, change or withdraw an item of a draft, each with its reason.")

BY = typer.Option(..., "--by", help="Who takes the step (a department or a person), kept with it.")
REASON = typer.Option(..., "--reason", help="Why the item is added, changed or withdrawn (kept; required).")
YEAR = typer.Option(None, "--year", help="The edition (default: next year's draft, started on demand).")
SHOW_FORMATS = ("table", "json")
DIFF_FORMATS = ("text", "json")


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        expected = ", ".join(allowed[:-1]) + " or " + allowed[-1]
        output.fail("usage.format", f'--format "{fmt}" is not known: expected {expected}.')


def _info(edition: catalogue.Edition, periods: dict[int, rules.InForce]) -> catalogue_export.EditionInfo:
    return catalogue.edition_info(edition, periods, Settings.from_env().catalogue_base)


@app.command("show")
def show_catalogue(
    year: Optional[int] = typer.Argument(None, help="The edition (default: the newest published)."),  # noqa: UP045
    fmt: str = typer.Option("table", "--format", help="table or json"),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """An edition's state and items: one line per item (code, name, kind, provider, security level,
    update period, disclosure mode), or the whole edition as JSON."""
    _check_format(fmt, SHOW_FORMATS)
    with database.ready_engine(url).connect() as conn:
        edition = catalogue.get_edition(conn, catalogue.shown_year(conn, year))
        items = catalogue.edition_items(conn, edition.year)
        periods = catalogue.in_force_periods(conn)
    if fmt == "json":  # the document GET /api/v1/catalogue/{year} answers
        sys.stdout.buffer.write(catalogue_export.to_json(items, _info(edition, periods)))
        return
    output.note(_state(edition) + _in_force(edition, periods) + f"; {len(items)} items")
    for i in items:
        print(f"{i.code}\t{i.name}\t{i.kind}\t{i.provider}\tlevel {i.security_level}\t{i.update_period}\t"
              f"{i.disclosure_mode}{chr(9) + 'contested' if i.contested else ''}")


def _state(edition: catalogue.Edition) -> str:
    text = f"catalogue {edition.year}: {edition.status}"
    if edition.based_on is not None:
        text += f" (drafted from {edition.based_on})"
    elif edition.status != "published":
        text += " (drafted from the default catalogue)"
    if edition.approved_at is not None:
        text += f", approved by {edition.approved_by} on {edition.approved_at:%Y-%m-%d}"
    if edition.published_at is not None:
        text += f", published on {edition.published_at:%Y-%m-%d}"
    return text


def _in_force(edition: catalogue.Edition, periods: dict[int, rules.InForce]) -> str:
    """Whether a published edition is in force today (in Beijing), and from and until when."""
    period = periods.get(edition.year)
    if period is None:
        return ""
    if period.state == "never":
        return f"; never in force (the {period.successor} edition was in force before it was published)"
    if period.state == "now":
        return f"; in force since {period.since}" + \
            (f" until {period.until}, when the {period.successor} edition takes over" if period.until else "")
    if period.state == "past":
        return (f"; no longer in force: in force from {period.since} until {period.until}, when the "
                f"{period.successor} edition took over")
    current = next((year for year, p in periods.items() if p.now), None)
    return f"; not in force yet: in force from {period.since}" + \
        (f" (the {current} edition is in force until then)" if current is not None else "")


@app.command("draft")
def draft_edition(
    year: int = typer.Argument(..., help="The year of the new edition."),
    by: str = BY,
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Start the YEAR edition as a draft: a copy of the newest edition published before it, or the
    default catalogue of the three regions when none is."""
    with database.ready_engine(url).begin() as conn:
        edition = catalogue.draft_edition(conn, year, by)
        count = len(catalogue.edition_items(conn, year))
        pending = catalogue.pending_before(conn, year)
    output.note(_state(edition) + f"; {count} items")
    if pending is not None:
        output.note(f"note: the {pending} edition is not published yet, so this draft does not hold what {pending} "
                    f"changes; a change meant for both goes to each (--year).")


def _read_items(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise Error("file.not_found", f'"{path}" is not a file: give a JSON file of one item or a list of items.',
                    field="file")
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise rules.CatalogueError("catalogue.data", f'"{path}" is not UTF-8 JSON: {exc}.', field="file") from None
    if isinstance(data, dict) and "items" in data:
        data = data["items"]
    listed = data if isinstance(data, list) else [data]
    if not all(isinstance(d, dict) for d in listed):
        raise rules.CatalogueError("catalogue.data", f'"{path}" holds something other than items (objects).')
    if not listed:
        raise rules.CatalogueError("catalogue.data", f'"{path}" holds no item: expected one item or a list of them.',
                                   field="file")
    codes = [str(d.get("code") or "").strip() for d in listed]
    twice = sorted({c for c in codes if c and codes.count(c) > 1})
    if twice:
        raise rules.CatalogueError("catalogue.data", f'"{path}" names the directory code {", ".join(twice[:5])} '
                                   "twice: an edition has one item a code.", field="file")
    return listed


@item_app.command("add")
def add_item(
    file: Path = typer.Option(..., "--file", help="A JSON file: one item, or a list of items, in their plain form "
                              "(as `catalogue export --format json` writes them)."),
    reason: str = REASON,
    by: str = BY,
    year: Optional[int] = YEAR,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Add items to a draft (or an edition in its comment period), each with the reason."""
    listed = _read_items(file)
    added: list[str] = []
    with database.ready_engine(url).begin() as conn:  # all or none: said once they are kept
        for data in listed:
            year, item = catalogue.add_item(conn, data, reason, by, year=year)
            added.append(item.code)
    output.note(f"{len(added)} item(s) added to the {year} edition: {', '.join(added)}.")


def _values(settings: list[str]) -> dict[str, Any]:
    """``attribute=value`` pairs; a value that reads as JSON (a number, a list, true) is taken as such."""
    values: dict[str, Any] = {}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        if not sep or not name.strip():
            output.fail("usage", f'--set "{setting}": expected ATTRIBUTE=VALUE, e.g. --set update_period=每日.')
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        if isinstance(value, float | dict):
            value = raw
        values[name.strip()] = value
    return values


@item_app.command("change")
def change_item(
    code: str = typer.Argument(..., help="The item's directory code."),
    settings: list[str] = typer.Option(..., "--set", help="ATTRIBUTE=VALUE, repeated; lists and numbers as JSON "
                                       "(--set 'severities=[\"general\",\"serious\"]')."),
    reason: str = REASON,
    by: str = BY,
    year: Optional[int] = YEAR,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Change attributes of an item with the reason; without --year the change goes to next year's draft,
    never into a published edition."""
    values = _values(settings)
    with database.ready_engine(url).begin() as conn:
        year, _ = catalogue.change_item(conn, code, values, reason, by, year=year)
    output.note(f'item "{code}" changed in the {year} edition ({", ".join(values)}).')


@item_app.command("withdraw")
def withdraw_item(
    code: str = typer.Argument(..., help="The item's directory code."),
    reason: str = REASON,
    by: str = BY,
    year: Optional[int] = YEAR,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Withdraw an item with the reason (from next year's draft unless --year names another)."""
    with database.ready_engine(url).begin() as conn:
        year = catalogue.withdraw_item(conn, code, reason, by, year=year)
    output.note(f'item "{code}" withdrawn from the {year} edition.')


@app.command("open-comments")
def open_comments(
    year: int = typer.Argument(...),
    by: str = BY,
    until: Optional[str] = typer.Option(None, "--until", help="The last day comments are taken (YYYY-MM-DD)."),  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Put a draft out for public comment (or an edition whose comment period ended out again, to change an item
    before approval)."""
    end = None
    if until is not None:
        try:
            end = datetime.datetime.combine(datetime.date.fromisoformat(until), datetime.time.max, datetime.UTC)
        except ValueError:
            output.fail("usage", f'--until "{until}" is not a date: expected YYYY-MM-DD.')
    with database.ready_engine(url).begin() as conn:
        edition = catalogue.open_comments(conn, year, by, end)
    output.note(_state(edition) + (f" until {until}" if until else ""))


@app.command("comment")
def add_comment(
    year: int = typer.Argument(...),
    author: str = typer.Option(..., "--author", help="Who comments (kept with the comment)."),
    text: str = typer.Option(..., "--text", help="The comment."),
    item: Optional[str] = typer.Option(None, "--item", help="The item commented on: one of the edition's "  # noqa: UP045
                                       "or one it withdraws (default: the edition)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Keep a comment on an edition in its comment period (who, when, on which item, text)."""
    with database.ready_engine(url).begin() as conn:
        catalogue.add_comment(conn, year, author, text, code=item)
    output.note(f"comment on the {year} edition kept.")


@app.command("comments")
def list_comments(year: int = typer.Argument(...), url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Every comment on an edition, one JSON object a line, oldest first (identity and mobile numbers in an
    author or a text masked)."""
    with database.ready_engine(url).connect() as conn:
        comments = disclosure.catalogue_comments(conn, access.caller(None), year)
    for c in comments:
        print(json.dumps({"item": c.code, "author": c.author, "at": f"{c.at:%Y-%m-%dT%H:%M:%SZ}", "text": c.text},
                         ensure_ascii=False))


@app.command("changes")
def list_changes(year: int = typer.Argument(...), url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Every item added, changed or withdrawn in an edition with its reason, then its assessments; one
    JSON object a line (a changed record layout field by field, as `diff` shows it)."""
    with database.ready_engine(url).connect() as conn:
        changes = catalogue.list_changes(conn, year)
        assessments = catalogue.list_assessments(conn, year)
    for c in changes:
        print(json.dumps({"item": c.code, "action": c.action, "reason": c.reason, "by": c.by,
                          "at": f"{c.at:%Y-%m-%dT%H:%M:%SZ}", "attributes": _attributes(c)}, ensure_ascii=False))
    for a in assessments:
        print(json.dumps({"item": a.code, "action": "assess", "experts": a.experts,
                          "representatives": a.representatives, "conclusion": a.conclusion, "by": a.by,
                          "at": f"{a.at:%Y-%m-%dT%H:%M:%SZ}"}, ensure_ascii=False))


def _attributes(c: catalogue.ItemChange) -> dict[str, Any] | None:
    """A change's attributes (core/credit/catalogue_diff.attributes_to_dict); ``None`` for an item added or
    withdrawn."""
    return catalogue_diff.attributes_to_dict(c.changes) if c.action == "change" else None


@app.command("assess")
def assess_item(
    year: int = typer.Argument(...),
    code: str = typer.Argument(..., help="The contested item's directory code."),
    experts: str = typer.Option(..., "--experts", help="The experts' opinions."),
    representatives: str = typer.Option(..., "--representatives", help="The representatives' opinions."),
    conclusion: str = typer.Option(..., "--conclusion", help="What the assessment concluded."),
    by: str = BY,
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Record the assessment of a contested item (or one of large social impact) before approval."""
    with database.ready_engine(url).begin() as conn:
        catalogue.assess_item(conn, year, code, experts, representatives, conclusion, by)
    output.note(f'assessment of "{code}" in the {year} edition recorded.')


@app.command("approve")
def approve_edition(year: int = typer.Argument(...), by: str = BY,
                    url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Approve an edition after its comment period (refused to one who drafted it, changed or assessed an
    item of it — compiling and approving are separate —, and while an item lacks its reason or a
    contested item its assessment)."""
    with database.ready_engine(url).begin() as conn:
        edition = catalogue.approve_edition(conn, year, by)
    output.note(_state(edition))


@app.command("publish")
def publish_edition(year: int = typer.Argument(...), by: str = BY,
                    url: Optional[str] = database.DB_OPTION) -> None:  # noqa: UP045
    """Publish an approved edition; it never changes after."""
    with database.ready_engine(url).begin() as conn:
        edition = catalogue.publish_edition(conn, year, by)
        periods = catalogue.in_force_periods(conn)
    output.note(_state(edition) + _in_force(edition, periods))


@app.command("diff")
def diff_editions(
    year_a: int = typer.Argument(...),
    year_b: int = typer.Argument(...),
    fmt: str = typer.Option("text", "--format", help="text or json"),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Items added, withdrawn, and each changed attribute old → new, from YEAR_A to YEAR_B; a changed record
    layout field by field (fields added, dropped, and each attribute of a field kept that changed)."""
    _check_format(fmt, DIFF_FORMATS)
    with database.ready_engine(url).connect() as conn:
        d = catalogue.diff_editions(conn, year_a, year_b)
    if fmt == "json":
        doc = catalogue_diff.diff_to_dict(d, year_a, year_b)
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    for code in d.added:
        print(f"+ {code}")
    for code in d.withdrawn:
        print(f"- {code}")
    for c in d.changed:
        for line in _diff_lines(c):
            print(f"~ {c.code}\t{line}")
    output.note(f"{year_a} → {year_b}: {len(d.added)} added, {len(d.withdrawn)} withdrawn, "
                f"{len(d.changed)} attribute{'' if len(d.changed) == 1 else 's'} changed")


def _diff_lines(c: catalogue_diff.Change) -> list[str]:
    """The text lines of one changed attribute (after ``~ CODE``)."""
    def shown(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    if c.attribute != "fields":
        return [f"{c.attribute}\t{shown(c.old)} → {shown(c.new)}"]
    lines = []
    for f in c.field_changes:
        where = f"fields {f.element} {f.name}"
        if f.change == "added":
            lines.append(f"{where}\tadded {shown({k: v for k, v in f.new.items() if k != 'element'})}")
        elif f.change == "dropped":
            lines.append(f"{where}\tdropped")
        else:
            lines.append(f"{where}\t{f.attribute} {shown(f.old)} → {shown(f.new)}")
    return lines


@app.command("export")
def export_edition(
    year: int = typer.Argument(...),
    fmt: str = typer.Option(..., "--format", help="csv, xlsx, json, dcat-jsonld or dcat-turtle"),
    out: Optional[Path] = typer.Option(None, "--out", help="The file to write (default: stdout)."),  # noqa: UP045
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Write an edition as CSV or XLSX (for Excel), JSON, or DCAT-AP JSON-LD or Turtle (docs/catalogue.md)."""
    _check_format(fmt, catalogue_export.FORMATS)
    encoding = output.csv_encoding(csv_encoding)
    with database.ready_engine(url).connect() as conn:
        edition = catalogue.get_edition(conn, year)
        items = catalogue.edition_items(conn, year)
        info = _info(edition, catalogue.in_force_periods(conn))
    data = catalogue_export.export(items, info, fmt, encoding)
    rare = catalogue_export.beyond_gbk(items) if fmt == "csv" and encoding == "gb18030" else {}
    if rare:
        shown = ", ".join(f"{code} ({char})" for code, char in list(rare.items())[:5])
        output.note(f"note: {len(rare)} item(s) hold characters GBK has no code for: {shown}. Excel on a Chinese "
                    "Windows reads a CSV without a byte-order mark as GBK and shows them garbled; "
                    "--csv-encoding utf-8-sig (the default) keeps them.")
    if edition.status != "published":
        output.note(f"note: the {year} edition is {catalogue_export.UNPUBLISHED[edition.status][1]}: not the "
                    f"catalogue in force; its title and sheet say so (a file name such as "
                    f"{catalogue_export.file_name(info, fmt)} keeps it apart).")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        output.fail("usage.out", f'--out "{out}" cannot be written: {exc.strerror}.')
    output.note(f"catalogue {year} written to {out} ({fmt}, {len(items)} items).")
