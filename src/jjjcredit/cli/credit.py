"""``jjjcredit credit``: credit records submitted under the catalogue's items — ingest, show,
correct, revoke, rejects, the timeliness of providers, and the repair of natural persons' records kept
under an organization's code."""

from __future__ import annotations

import csv
import itertools
import json
import textwrap
from typing import Any, Optional

import typer

from jjjcredit.cli import access, database, output
from jjjcredit.cli.evidence import key_box
from jjjcredit.core import cells
from jjjcredit.core.credit import catalogue, persons
from jjjcredit.services.credit import corrections, records, timeliness
from jjjcredit.services.sharing import audit, disclosure, personal_keys
from jjjcredit.settings import Settings

app = typer.Typer(no_args_is_help=True)

ITEM = typer.Option(..., "--item", help="The catalogue item's directory code, e.g. JJJ-03-001 (行政处罚信息).")
PROVIDER = typer.Option(..., "--provider", help="The department submitting the records, e.g. 石家庄市市场监督管理局.")
DOCUMENT = typer.Option(..., "--document", help="The record's document number (决定书文号 / 许可编号).")
REASON = typer.Option(..., "--reason", help="Why (kept with the new version; required).")
DECIDED = typer.Option(None, "--decided", help="The date of the decision that changes or revokes the record "
                       "(YYYY-MM-DD; default today): a penalty withdrawn later than the withdrawal deadline is "
                       "reported late.")


def _protector(conn: Any) -> persons.Protector | None:
    return personal_keys.protector(conn, key_box())


@app.command("ingest")
def ingest_file(
    file: str = typer.Argument(..., help="A file of records: CSV, XLSX, JSON Lines or XML, UTF-8 or GB18030."),
    item: str = ITEM,
    provider: str = PROVIDER,
    columns: Optional[str] = typer.Option(  # noqa: UP045
        None, "--columns", help="A YAML file mapping your own headers to the item's fields "
        "(处罚文号: 行政处罚决定书文号), for headers that are neither the national names, codes nor common aliases."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Check every row against the item's layout and keep the accepted ones as one batch; print the
    summary as JSON (the same as POST /api/v1/credit/batches answers).

    Exit 0 when no row was rejected, 1 when rows were rejected (`jjjcredit credit rejects BATCH` lists
    them), 2 when the file cannot be used (or the platform has no operator secret to seal a natural
    person's identity number with). The same file again is checked again: rows as recorded are
    unchanged, rows rejected before are judged anew."""
    engine = database.ready_engine(url)
    settings = Settings.from_env()
    with engine.begin() as conn:
        protector = _protector(conn)
    own = records.load_own_headers(columns) if columns else None
    summary = records.ingest_file(engine, file, item, provider, protector=protector, limits=settings.limits,
                                  own_headers=own, waiting=lambda: output.note(
                                      f"Another batch of {provider} under {item} is being written: this one waits "
                                      "for it to end (one batch of a provider and item at a time)…"))
    output.json_out(summary.to_dict())
    if summary.message:
        output.note(summary.message)
    raise SystemExit(output.EXIT_NO if summary.rejected else output.EXIT_OK)


@app.command("rejects")
def batch_rejects(
    batch: str = typer.Argument(..., help="The batch id an ingest printed."),
    values: bool = typer.Option(False, "--values", help="Add a last column, values: the row's non-empty cells in "
                                "the columns the item knows (a JSON object by the file's headers), to find and fix "
                                "it in the file."),
    csv_encoding: Optional[str] = output.CSV_ENCODING_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Every rejected row of a batch as CSV: row, field, code, message, value (one line per problem;
    identity numbers masked); with ``--values``, each line also holds its row's values."""
    encoding = output.csv_encoding(csv_encoding)
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        rejected_rows = records.batch_rejects(conn, batch)
        first = next(rejected_rows, None)  # (an unknown batch is refused here, before any line is written)
        with output.csv_stdout(encoding) as text:
            writer = csv.writer(text)
            writer.writerow(["row", "field", "code", "message", "value", *(["values"] if values else [])])
            for rejected in itertools.chain([] if first is None else [first], rejected_rows):
                whole = [json.dumps(rejected["values"], ensure_ascii=False)] if values else []
                for p in rejected["problems"]:
                    writer.writerow(cells.guarded([rejected["row"], *(str(p[k]) for k in ("field", "code", "message",
                                                                                            "value")), *whole]))


@app.command("show")
def show_records(
    code: str = typer.Argument(..., help="A unified social credit code, or a subject key (P:…) a record showed."),
    as_of: Optional[str] = typer.Option(  # noqa: UP045
        None, "--as-of", help="Show what the caller would have seen on this day (YYYY-MM-DD, in Beijing): records "
        "decided or received later are left out, each record as it stood then. Default: today."),
    public: bool = typer.Option(False, "--public", help="Show what the public sees without a key: records in "
                                "public disclosure only (never a natural person's)."),
    level: Optional[int] = access.LEVEL_OPTION,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """A credit subject's records by catalogue item, newest first, as JSON — what the caller may see:
    each record with its status, channel, whether it is public that day and the last day of its public
    window, and (except for the public) its history. A natural person's identity number is read from
    standard input when CODE is "-" (never from the command line)."""
    if public and level is not None:
        output.fail("usage", "--public and --level are two different callers: give one of them.")
    day = output.day(as_of, "--as-of") if as_of is not None else None
    code = output.subject_text(code)
    caller = access.PUBLIC if public else access.caller(level)
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        shown = disclosure.subject_records(conn, caller, code, _protector(conn), as_of=day)
        if shown["subject"]:  # the staff's read is in the subject's query log too
            audit.record_command(conn, "jjjcredit credit show", "records", [shown["subject"]],
                                 [group["item"] for group in shown["items"]])
    output.json_out(shown)
    if not shown["records"]:
        output.note("No credit records for this subject (or none this caller may see).")


@app.command("correct")
def correct_record(
    item: str = ITEM,
    provider: str = PROVIDER,
    document: str = DOCUMENT,
    changes: list[str] = typer.Option(..., "--set", help="FIELD=VALUE (the item's field name or column code); "
                                      "repeat for several."),
    reason: str = REASON,
    decided: Optional[str] = DECIDED,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Correct fields of a record: the whole record is checked again; a new version is kept beside the old."""
    parsed: dict[str, str] = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep or not name.strip():
            output.fail("usage", f'--set "{change[:60]}" is not FIELD=VALUE.')
        parsed[name.strip()] = value
    day = output.day(decided, "--decided")
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        done = corrections.correct_record(conn, item, provider, document, parsed, reason, day,
                                          protector=_protector(conn),
                                          withdrawal_days=Settings.from_env().withdrawal_days)
    output.json_out(done)


@app.command("revoke")
def revoke_record(
    item: str = ITEM,
    provider: str = PROVIDER,
    document: str = DOCUMENT,
    reason: str = REASON,
    decided: Optional[str] = DECIDED,  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Revoke a record (its decision was revoked, or it was sent in error): a new version with status
    revoked; nothing is deleted."""
    day = output.day(decided, "--decided")
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        done = corrections.revoke_record(conn, item, provider, document, reason, day,
                                         withdrawal_days=Settings.from_env().withdrawal_days)
    output.json_out(done)


@app.command("rekey-persons")
def rekey_persons(
    apply: bool = typer.Option(False, "--apply", help="File each record under the person's own key (without it, "
                               "a dry run: the records are listed and nothing changes)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Natural persons' records kept under an organization's code — a row that named both was filed so before
    such rows were refused (credit.person_with_code) — listed as JSON: record id, item, provider, document
    number, the code it is kept under, its versions, and the person's key it belongs under (never the
    identity number), or why that key cannot be found (left). With --apply each is moved, one transaction a
    record: the record and every earlier version to the person's key found from its sealed identity number,
    a new version (corrected, the reason naming the code) and an entry in the audit trail. A second run
    finds nothing. Exit 0; 1 when --apply left a record (no sealed number, one the platform's key does not
    open, a record another node owns)."""
    engine = database.ready_engine(url)
    with engine.begin() as conn:
        protector = _protector(conn)
        found = corrections.misfiled_persons(conn, protector)
    shown: list[dict[str, Any]] = []
    for record in found:
        done: corrections.Misfiled | None = record
        if apply and record.left is None:
            with engine.begin() as conn:
                done = corrections.rekey_person(conn, record.id, protector)
                if done is not None and done.left is None:
                    audit.record_command(conn, "jjjcredit credit rekey-persons", "records",
                                         [done.kept_under, str(done.person_key)], [done.item])
        if done is not None:  # (None: moved meanwhile, by a batch of its provider)
            shown.append({**done.to_dict(), "moved": apply and done.left is None})
    moved = sum(1 for r in shown if r["moved"])
    left = sum(1 for r in shown if r["left"])
    output.json_out({"applied": apply, "found": len(shown), "moved": moved, "left": left, "records": shown})
    if not shown:
        output.note("No natural person's record is kept under an organization's code.")
    elif apply:
        output.note(f"{moved} of {len(shown)} natural persons' records filed under the person's own key; {left} left "
                    "(each with its reason).")
    else:
        output.note(f"{len(shown)} natural persons' records kept under an organization's code: {len(shown) - left} "
                    f"can be filed under the person's own key, {left} cannot (each with its reason). Nothing changed: "
                    "run again with --apply to move them.")
    raise SystemExit(output.EXIT_NO if apply and left else output.EXIT_OK)


@app.command("retire-provider")
def retire_provider(
    item: str = ITEM,
    provider: str = PROVIDER,
    by: str = typer.Option(..., "--by", help="Who retires it, or ends its retirement (kept with it)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why it sends no more (merged, dissolved, the duty "  # noqa: UP045
                                         "moved); required unless --end."),
    end: bool = typer.Option(False, "--end", help="End the provider's retirement: it is expected to send again."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Stop expecting batches from a provider under an item: the timeliness report and /metrics no longer call
    it silent; its records stay. The next batch it sends, or --end, makes it expected again; every retirement
    is kept (`credit retirements`)."""
    if end and reason is not None:
        output.fail("usage", "--end ends a retirement and takes no --reason.")
    engine = database.ready_engine(url)

    def waiting() -> None:
        then = "" if end else " (if it commits, the provider has sent and is not retired: credit.sent_meanwhile)"
        output.note(f"A batch of {provider} under {item} is being written: this waits for it to end{then}…")

    with engine.begin() as conn:
        if end:
            done = timeliness.end_retirement(conn, provider, item, by, waiting=waiting)
        else:
            done = timeliness.retire_provider(conn, provider, item, reason or "", by, waiting=waiting)
    output.json_out(done)


@app.command("retirements")
def list_retirements(
    provider: Optional[str] = typer.Option(None, "--provider", help="Only this provider's."),  # noqa: UP045
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Every retirement of a provider under an item, oldest first, as JSON lines: when, by whom, why, and how it
    ended (ended_by: the batch the provider sent, or who ended it; null while it lasts)."""
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        rows = timeliness.retirements(conn, provider)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))


@app.command("timeliness")
def report_timeliness(
    fmt: str = typer.Option("table", "--format", help="table or json"),
    today: Optional[str] = typer.Option(None, "--today", help="Judge as of this date (YYYY-MM-DD): a past day's "  # noqa: UP045
                                        "last batches, silence and retirements; records and late ones are "
                                        "today's all the same (counts_as_of says so)."),
    url: Optional[str] = database.DB_OPTION,  # noqa: UP045
) -> None:
    """Per provider and item: records, how many arrived after the item's collection time limit (or were
    withdrawn after the deadline), the last submission, and whether the provider has been silent longer
    than the item's update period; then the items nobody has sent anything for."""
    if fmt not in ("table", "json"):
        output.fail("usage.format", f'--format "{fmt}" is not known: expected table or json.')
    day = output.day(today, "--today")
    engine = database.ready_engine(url)
    with engine.connect() as conn:
        rows, nothing = timeliness.timeliness(conn, day)
    counted = next((r.counts_as_of for r in rows if r.counts_as_of is not None), day)
    if counted != day:
        output.note(f"note: records, late ones and their examples are counted as of {counted.isoformat()} (today), "
                    f"not {day.isoformat()}: they are kept as running totals, without their history. The last "
                    f"batch, silence and retirements are as of {day.isoformat()}.")
    if fmt == "json":
        output.json_out({"as_of": day.isoformat(), "counts_as_of": counted.isoformat(),
                         "providers": [r.to_dict() for r in rows], "items_without_records": nothing})
        return
    today_s = "" if counted == day else f" (counted {counted.isoformat()})"
    output.note(f"timeliness as of {day.isoformat()}: {len(rows)} provider/item pairs, "
                f"{sum(r.late for r in rows)} late records{today_s}, {sum(r.silent for r in rows)} silent, "
                f"{sum(r.last_batch_all_rejected for r in rows)} whose last batch was rejected whole")
    output.note(textwrap.fill(catalogue.TIMELINESS_LEGEND, 110, break_on_hyphens=False))
    for r in rows:
        last = f"{r.last_batch:%Y-%m-%d}" if r.last_batch else "never"
        flags = ("  SILENT (update period " + r.update_period + ")") if r.silent else ""
        if r.last_batch_all_rejected:
            flags += f"  ALL REJECTED ({r.last_batch_rejected} of {r.last_batch_rows} rows of the last batch; " \
                     f"last recorded {f'{r.last_recorded:%Y-%m-%d}' if r.last_recorded else 'never'})"
        flags += f"  RETIRED since {r.retired:%Y-%m-%d} by {r.retired_by} ({r.retired_reason})" if r.retired else ""
        flags += f"  WITHDRAWN by the {r.withdrawn_in} catalogue (records kept)" if r.withdrawn_in else ""
        examples = f"  e.g. {', '.join(r.late_examples)}" if r.late_examples else ""
        print(f"{r.provider}\t{r.item} {r.item_name}\t{r.records} records\t{r.late} late\tlast {last}{flags}{examples}")
    for i in nothing:
        said = "every provider retired" if i["every_provider_retired"] else "nothing received"
        print(f"(no provider)\t{i['item']} {i['item_name']}\t{said}\tupdate period {i['update_period']}")
