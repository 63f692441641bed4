"""Credit records: ``POST /api/v1/credit/batches`` (a provider submits a file of records under one
catalogue item, with its key; the answer is the summary ``jjjcredit credit ingest`` prints) and
``GET /api/v1/subjects/{code}/records`` (a credit subject's records as the caller sees them, as of a
day: the public's records in public disclosure without a key, a key's own view with one —
services/sharing/disclosure.subject_records decides)."""

from __future__ import annotations

import datetime
import os
import re
import tempfile
import unicodedata
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import Engine

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import persons
from jjjcredit.core.errors import Error
from jjjcredit.core.limits import Limits
from jjjcredit.core.sharing import access
from jjjcredit.core.sharing.evidence import KeyBox
from jjjcredit.services import db
from jjjcredit.services.credit import items as catalogue_items
from jjjcredit.services.credit import records
from jjjcredit.services.sharing import disclosure, personal_keys
from jjjcredit.web import threads
from jjjcredit.web.access import caller_for
from jjjcredit.web.errors import raises

_SEPARATORS = re.compile(r"[\s\-._·]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
router = APIRouter(prefix="/api/v1/credit", tags=["credit records"])
subjects = APIRouter(prefix="/api/v1/subjects", tags=["credit records"])

#: The file's kind by its Content-Type (the content decides when it says otherwise: tabular/readers.py).
SUFFIXES = {"text/csv": ".csv", "application/x-ndjson": ".jsonl", "application/jsonl": ".jsonl",
            "application/json": ".jsonl", "application/xml": ".xml", "text/xml": ".xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}


def file_suffix(content_type: str, name: str, data: bytes) -> str:
    """The kind of file a batch's body is: a workbook by its content (a ZIP: what curl sends as a form, or
    as octet-stream, is still an XLSX); else by the Content-Type; else by ``name``'s ending; else CSV (the
    readers tell JSON Lines and XML by their content).

    >>> file_suffix("application/x-www-form-urlencoded", "tj.xlsx", b"PK\\x03\\x04...")
    '.xlsx'
    >>> file_suffix("", "p.jsonl", b"{"), file_suffix("text/csv", "p.jsonl", b"{")
    ('.jsonl', '.csv')
    """
    if data[:4] == b"PK\x03\x04":
        return ".xlsx"
    given = SUFFIXES.get(content_type.split(";")[0].strip().lower())
    if given is not None:
        return given
    ending = os.path.splitext(name)[1].lower()
    return ending if ending in {".csv", ".jsonl", ".xml", ".xlsx"} else ".csv"


def _protector(engine: Engine, box: KeyBox | None) -> persons.Protector | None:
    with engine.begin() as conn:
        return personal_keys.protector(conn, box)


def _item_level(engine: Engine, item: str) -> int:
    """The security level of ``item`` in the catalogue edition in force (its refusals when there is none)."""
    with db.reading(engine) as conn:
        return catalogue_items.item_in_force(conn, item)[1].security_level


def _ingest(engine: Engine, box: KeyBox | None, data: bytes, suffix: str, item: str, provider: str,
            name: str, limits: Limits, own: dict[str, str] | None = None, client: str | None = None) -> dict[str, Any]:
    protector = _protector(engine, box)
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="credit-batch-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        summary = records.ingest_file(engine, path, item, provider, protector=protector, channel="api",
                                      file_name=name, limits=limits, max_rows=limits.api_rows, own_headers=own,
                                      mapping_name="columns=", client=client)
    except Error as exc:  # the caller's file is called by its name, not by the server's temporary path
        exc.args = (exc.message.replace(path, shown_personal(name)),)
        exc.message = exc.args[0]
        raise
    finally:
        os.unlink(path)
    return summary.to_dict()


@router.post("/batches", responses=raises("access.item", "credit.no_catalogue", "credit.unknown_item", "credit.layout",
                                          "credit.basic_item", "credit.provider", "file.empty", "file.binary",
                                          "file.format", "file.encoding", "file.too_many_rows",
                                          "file.xlsx_damaged", "file.xlsx_cell", "file.xlsx_strings",
                                          "file.xlsx_expands", "credit.no_secret"),
             openapi_extra={"requestBody": {"required": True, "description": "The file, as it would be saved "
                                            "(at most JJJCREDIT_LIMIT_BODY_BYTES).", "content": {
                                                t: {"schema": {"type": "string", "format": "binary"}}
                                                for t in SUFFIXES}}})
async def ingest_batch(request: Request,
                       item: str = Query(..., max_length=64, description="The catalogue item's directory code, "
                                         "e.g. JJJ-03-001."),
                       name: str = Query("the request body", max_length=200, pattern=r"^[^\x00-\x1f\x7f/\\]+$",
                                         description="The file's name, kept with the batch and named in its "
                                         "messages (no path, no control characters)."),
                       columns: list[str] = Query([], max_length=400, description="A header of your own mapped to "
                                                  "the item's field (its name or column code), "
                                                  "`处罚文号=行政处罚决定书文号`: once per header, for headers "
                                                  "that are neither the national names, codes nor common aliases (as "
                                                  "`credit ingest --columns` maps them)."),
                       caller: access.Caller = Depends(caller_for("provide"))) -> dict[str, Any]:
    """Submit a file of credit records (the body: CSV, XLSX, JSON Lines or XML, UTF-8 or GB18030) under
    one catalogue item, as the provider the key belongs to. Every row is accepted or rejected with its
    reasons; the same file again changes nothing. The answer is the batch's summary."""
    if caller.client is None:
        raise Error("credit.provider", "Records are submitted with a provider's key (the `provide` service).",
                    field="X-API-Key")
    level = await threads.run(request, _item_level, request.app.state.engine, item)
    if not access.may_provide(caller, item, level):
        if caller.items is not None and item not in caller.items:
            granted = ", ".join(sorted(caller.items))
            raise Error("access.item", f'The key of "{caller.client}" submits records under the catalogue items it '
                        f"is granted ({granted}), and the item asked for is not one; the platform's operator grants "
                        "items (`jjjcredit clients grant`).", field="item")
        raise Error("access.item", f'Item "{item}" is of security level {level}, and the key of "{caller.client}" is '
                    f"of level {caller.level}: a provider submits records under the items within its level; the "
                    "platform's operator sets a client's level (`jjjcredit clients add --level`).", field="item")
    own = records.own_headers_of(columns) if columns else None
    data = await request.body()
    suffix = file_suffix(request.headers.get("content-type", ""), name, data)
    state = request.app.state
    summary = await threads.run(request, _ingest, state.engine, state.key_box, data, suffix, item, caller.client,
                                name, state.limits, own, caller.client_id)
    request.state.batch = summary["batch"]  # on the request's log line (web/app.py)
    return summary


def _rejects(engine: Engine, caller: access.Caller, batch: str, after: int, limit: int) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = disclosure.batch_rejects(conn, caller, batch, after_row=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return {"batch": batch, "rows": rows, "next_after": rows[-1]["row"] if more else None}


@router.get("/batches/{batch}/rejects", responses=raises("credit.no_batch", "credit.provider", "access.item"))
async def batch_rejects(request: Request, batch: str = Path(..., max_length=64),
                        after: int = Query(0, ge=0, le=2**31, description="Rows after this row of the file (the "
                                           "`next_after` of the page before; 0: from the first)."),
                        limit: int = Query(1000, ge=1, le=5000, description="Rejected rows in the page at most."),
                        caller: access.Caller = Depends(caller_for("provide"))) -> dict[str, Any]:
    """Every rejected row of one of the provider's batches, in the file's row order, with its problems and
    its values (personal numbers masked): what the summary's first 200 problems leave out, for fixing
    and sending again. ``next_after`` says where the next page starts (null: the last). Another
    provider's batch is answered as no batch."""
    return await threads.run(request, _rejects, request.app.state.engine, caller, batch, after, limit)


def _records(engine: Engine, box: KeyBox | None, caller: access.Caller, code: str, as_of: datetime.date | None,
             today: datetime.date, authorization: str | None, items: frozenset[str],
             page: tuple[int, int]) -> dict[str, Any]:
    with db.reading(engine) as conn:
        return disclosure.subject_records(conn, caller, code, personal_keys.protector(conn, box), as_of=as_of,
                                          today=today, authorization=authorization, items=items, page=page)


def day_of(text: str | None) -> datetime.date | None:
    """The day ``?as_of=`` names (YYYY-MM-DD and nothing else), or ``None`` when not given."""
    if text is None:
        return None
    try:
        if _DATE.fullmatch(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise Error("usage.date", f'as_of "{text}" is not a date: expected YYYY-MM-DD, e.g. ?as_of=2025-03-01.',
                field="as_of")


@subjects.get("/{code}/records", responses=raises(
    "credit.identity_in_url", "credit.subject_code", "credit.no_secret", "usage.date",
    "authorization.missing", "authorization.revoked",
    "authorization.not_yet_valid", "authorization.expired", "authorization.wrong_party", "authorization.wrong_item"))
async def subject_records(request: Request, code: str,
                          as_of: str | None = Query(None, max_length=10, description="Ask about a past day "
                                                    "(YYYY-MM-DD, in Beijing): what this caller would have seen "
                                                    "then. Default: today."),
                          authorization: str | None = Query(None, max_length=64, description="An authorized query: "
                                                            "the id of the subject's authorization for this caller "
                                                            "(checked today; it opens the items it names)."),
                          item: list[str] = Query([], max_length=64, description="Only these catalogue items "
                                                  "(repeat for several); with an authorization, each must be one it "
                                                  "covers."),
                          offset: int = Query(0, ge=0, le=10_000_000, description="The first record of the page "
                                              "(records counted item by item, newest first)."),
                          limit: int = Query(1000, ge=1, le=5000, description="Records in the page at most; "
                                             "`next_offset` says where the next page starts (null: the last)."),
                          caller: access.Caller = Depends(caller_for("records"))) -> dict[str, Any]:
    """A credit subject's records by catalogue item, newest first, as this caller sees them: without a
    key, the records in public disclosure (organizations and individual businesses, public items, inside
    their publication window; never a natural person); with a key, the caller's own view (government
    sharing at level 2 and above, within its level; with ``authorization``, an authorized query). Each
    record says its channel, whether it is public that day, the last day of its public window
    (``public_until``) and the last day of government sharing (``shared_until``). ``code`` is a unified social
    credit code or a natural person's subject key (``P:…``, as records show it); an identity number
    never goes into a URL, and anything else is refused (``credit.subject_code``), not answered with none.
    The answer is a page of at most ``limit`` records (``records``: all of them)."""
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", code))
    if ric.is_valid(compact) and not uscc.is_valid(compact):
        raise Error("credit.identity_in_url", "An identity number is never put in a URL (addresses are logged): "
                    "ask by the subject key (P:…) a record shows.", field="code")
    persons.check_subject(compact)  # anything but a code or a subject key: credit.subject_code, masked
    day = day_of(as_of)
    state = request.app.state
    answer = await threads.run(request, _records, state.engine, state.key_box, caller, code, day, state.today(),
                               authorization, frozenset(item), (offset, limit))
    request.state.items = [group["item"] for group in answer["items"]]  # the query log says which items were read
    if answer["subject"]:
        request.state.codes = [answer["subject"]]  # a person asked about by subject key, an organization by code
    return answer
