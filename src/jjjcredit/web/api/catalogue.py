"""The public credit information catalogue: ``GET /api/v1/catalogue`` (editions), ``GET
/api/v1/catalogue/{year}`` (one edition and its items, or an export with ``?format=``), one item of it (``GET
/api/v1/catalogue/{year}/items/{item}``: the address of its DCAT dataset), its changes with their
reasons (``GET /api/v1/catalogue/{year}/changes``), the diff of two editions (``GET
/api/v1/catalogue/diff/{year_a}/{year_b}``), public comments during the comment period (``POST
/api/v1/catalogue/{year}/comments``), and the staff steps under the
``cataloguing`` right — drafting, items added, changed and withdrawn with their reasons, the comment
period, assessments, approval, publication — each recorded under the client's name (so a client that
compiled an edition does not approve it: another client of the right does). Who sees a draft is
decided by services/credit/catalogue.readable_editions; the rules are core/credit/catalogue.py's."""

from __future__ import annotations

import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from jjjcredit.core.credit import catalogue as rules
from jjjcredit.core.credit import catalogue_diff, catalogue_export
from jjjcredit.core.errors import Error
from jjjcredit.core.sharing import access
from jjjcredit.services.credit import catalogue
from jjjcredit.services.sharing import disclosure, personal_keys
from jjjcredit.web.access import caller_for, limit_client_here, sender_of
from jjjcredit.web.errors import raises

router = APIRouter(prefix="/api/v1/catalogue", tags=["catalogue"])

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument."
               "spreadsheetml.sheet", "json": "application/json", "dcat-jsonld": "application/ld+json",
               "dcat-turtle": "text/turtle; charset=utf-8"}
Year = int


def _drafts(caller: access.Caller) -> bool:
    """Whether the caller compiles the catalogue (and so sees drafts)."""
    return access.admit(caller, "cataloguing") is not None


def _when(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _edition(e: catalogue.Edition, periods: dict[int, rules.InForce]) -> dict[str, Any]:
    """An edition's state, with whether it is in force today (in Beijing) and from and until which day
    (core/credit/catalogue_export.edition_to_dict: the one shape, which the JSON export writes too)."""
    return catalogue_export.edition_to_dict(catalogue.edition_info(e, periods))


def _by(caller: access.Caller) -> str:
    return caller.client or "staff"


@router.get("")
def list_editions(request: Request, caller: access.Caller = Depends(caller_for("catalogue"))) -> list[dict[str, Any]]:
    """Every edition the caller may see, oldest first (drafts only for the ``cataloguing`` right)."""
    with request.app.state.engine.connect() as conn:
        periods = catalogue.in_force_periods(conn)
        return [_edition(e, periods) for e in catalogue.readable_editions(conn, _drafts(caller))]


@router.get("/{year}", response_model=None)
def show_edition(request: Request, year: Year,
                 fmt: str | None = Query(None, alias="format", description="csv, xlsx, json, dcat-jsonld or "
                                         "dcat-turtle: the edition as `jjjcredit catalogue export` writes it."),
                 caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any] | Response:
    """One edition and its items in their plain form — the document the JSON export is —, or an export of it."""
    if fmt is not None and fmt not in catalogue_export.FORMATS:
        raise Error("usage.format", f'format "{fmt}" is not known: expected one of '
                                   f"{', '.join(catalogue_export.FORMATS)}.", field="format")
    with request.app.state.engine.connect() as conn:
        edition, items = catalogue.readable_edition(conn, year, _drafts(caller))
        periods = catalogue.in_force_periods(conn)
    info = catalogue.edition_info(edition, periods, request.app.state.catalogue_base)  # (never the Host)
    if fmt is None:  # the very document ?format=json is
        return catalogue_export.edition_to_dict(info, items)
    how = "attachment" if fmt in ("csv", "xlsx") else "inline"  # (the name says a draft is one)
    return Response(catalogue_export.export(items, info, fmt), media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'{how}; filename="{catalogue_export.file_name(info, fmt)}"'})


@router.get("/{year}/items/{item}", responses=raises("catalogue.year", "catalogue.no_edition",
                                                     "catalogue.unknown_item"))
def show_item(request: Request, year: Year, item: str,
              caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any]:
    """One item of an edition in its plain form, as the edition's answer holds it: the address of the item's
    ``dcat:Dataset`` in the DCAT exports."""
    with request.app.state.engine.connect() as conn:
        return rules.item_to_dict(catalogue.readable_item(conn, year, item, _drafts(caller)))


@router.get("/{year}/changes")
def list_changes(request: Request, year: Year,
                 caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any]:
    """Every item added, changed or withdrawn in an edition with its reason, oldest first (a changed record
    layout field by field, as the diff gives it), and the assessments of contested items — who recorded
    each masked but for those who compile the catalogue."""
    with request.app.state.engine.connect() as conn:
        changes, assessments = disclosure.catalogue_changes(conn, caller, year)
    return {"year": year,
            "changes": [{"item": c.code, "action": c.action, "reason": c.reason, "by": c.by, "at": _when(c.at),
                         "attributes": catalogue_diff.attributes_to_dict(c.changes) if c.action == "change" else None}
                        for c in changes],
            "assessments": [{"item": a.code, "experts": a.experts, "representatives": a.representatives,
                             "conclusion": a.conclusion, "by": a.by, "at": _when(a.at)} for a in assessments]}


@router.get("/diff/{year_a}/{year_b}")
def diff_editions(request: Request, year_a: Year, year_b: Year,
                  caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any]:
    """Items added, withdrawn, and each changed attribute old → new from the ``year_a`` edition to
    ``year_b`` (a record layout field by field), as ``jjjcredit catalogue diff --format json`` gives it; both
    editions must be open to the caller."""
    with request.app.state.engine.connect() as conn:
        _a, old = catalogue.readable_edition(conn, year_a, _drafts(caller))
        _b, new = catalogue.readable_edition(conn, year_b, _drafts(caller))
    return catalogue_diff.diff_to_dict(catalogue_diff.diff(old, new), year_a, year_b)


class CommentRequest(BaseModel):
    author: str = Field(max_length=200, description="Who comments (kept with the comment).")
    text: str = Field(max_length=4000, description="The comment.")
    item: str | None = Field(None, max_length=64, description="The item commented on: one of the "
                             "edition's, or one it withdraws (default: the edition).")


@router.post("/{year}/comments", responses=raises("catalogue.too_many_comments", "catalogue.no_secret",
                                                  "evidence.bad_secret"))
def add_comment(request: Request, year: Year, comment: CommentRequest,
                caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any]:
    """Comment on an edition during its comment period (anyone: with a key or without, within the public's rate
    limit; at most ``JJJCREDIT_LIMIT_COMMENTS_PER_DAY`` comments a day from one sender — a key's client or an
    address; not by author, so no one uses up another's name). Who sent it is kept as a keyed hash under the
    personal data key: without the operator secret, 503 ``catalogue.no_secret``."""
    compiles = _drafts(caller)
    if caller.client is not None and not compiles:  # a key is no licence to flood the public's route
        limit_client_here(request, caller)
    with request.app.state.engine.begin() as conn:
        catalogue.readable_edition(conn, year, compiles)  # a draft is "not found" to those it is hidden from
        kept = catalogue.add_comment(conn, year, comment.author, comment.text, code=comment.item,
                                     sender=sender_of(request, caller),
                                     protector=personal_keys.protector(conn, request.app.state.key_box),
                                     per_day=request.app.state.limits.comments_per_day)
    return {"year": year, "item": kept.code, "author": kept.author, "at": _when(kept.at), "text": kept.text}


@router.get("/{year}/comments")
def list_comments(request: Request, year: Year,
                  after: int = Query(0, ge=0, le=10_000_000, description="Comments after the first this many (the "
                                     "`next_after` of the page before; 0: from the first)."),
                  limit: int = Query(100, ge=1, le=1000, description="Comments in the page at most."),
                  caller: access.Caller = Depends(caller_for("catalogue"))) -> dict[str, Any]:
    """The comments on an edition the caller may see, oldest first, a page at a time (authors and personal
    numbers masked but for those who compile the catalogue). ``next_after`` says where the next page starts
    (null: the last)."""
    with request.app.state.engine.connect() as conn:
        page = disclosure.catalogue_comments(conn, caller, year, after, limit + 1)
    more = len(page) > limit
    return {"year": year, "comments": [{"item": c.code, "author": c.author, "at": _when(c.at), "text": c.text}
                                       for c in page[:limit]],
            "next_after": after + limit if more else None}


@router.post("/{year}")
def draft_edition(request: Request, year: Year,
                  caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Start the ``year`` edition as a draft (staff)."""
    with request.app.state.engine.begin() as conn:
        edition = catalogue.draft_edition(conn, year, _by(caller))
        return _edition(edition, catalogue.in_force_periods(conn))


class ItemRequest(BaseModel):
    item: dict[str, Any] = Field(description="The item in its plain form (as GET /api/v1/catalogue/{year} gives).")
    reason: str = Field(max_length=2000, description="Why it is added.")


@router.post("/{year}/items")
def add_item(request: Request, year: Year, body: ItemRequest,
             caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Add an item to a draft (or an edition in its comment period), with its reason (staff)."""
    with request.app.state.engine.begin() as conn:
        _, item = catalogue.add_item(conn, body.item, body.reason, _by(caller), year=year)
    return rules.item_to_dict(item)


class ChangeRequest(BaseModel):
    values: dict[str, Any] = Field(description="The attributes to set and their new values.")
    reason: str = Field(max_length=2000, description="Why they change.")


@router.patch("/{year}/items/{item}")
def change_item(request: Request, year: Year, item: str, body: ChangeRequest,
                caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Change attributes of an item, with the reason (staff)."""
    with request.app.state.engine.begin() as conn:
        _, changed = catalogue.change_item(conn, item, body.values, body.reason, _by(caller), year=year)
    return rules.item_to_dict(changed)


class ReasonRequest(BaseModel):
    reason: str = Field(max_length=2000, description="Why the item is withdrawn.")


@router.post("/{year}/items/{item}/withdraw")
def withdraw_item(request: Request, year: Year, item: str, body: ReasonRequest,
                  caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Withdraw an item, with the reason (staff)."""
    with request.app.state.engine.begin() as conn:
        catalogue.withdraw_item(conn, item, body.reason, _by(caller), year=year)
    return {"year": year, "withdrawn": item}


class CommentPeriodRequest(BaseModel):
    until: datetime.date | None = Field(None, description="The last day comments are taken (UTC).")


@router.post("/{year}/open-comments")
def open_comments(request: Request, year: Year, body: CommentPeriodRequest | None = None,
                  caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Put a draft out for public comment (staff); without a body (or ``until``), until it is approved."""
    day = None if body is None else body.until
    until = None if day is None else datetime.datetime.combine(day, datetime.time.max, datetime.UTC)
    with request.app.state.engine.begin() as conn:
        edition = catalogue.open_comments(conn, year, _by(caller), until)
        return _edition(edition, catalogue.in_force_periods(conn))


class AssessmentRequest(BaseModel):
    item: str = Field(max_length=64)
    experts: str = Field(max_length=4000, description="The experts' opinions.")
    representatives: str = Field(max_length=4000, description="The representatives' opinions.")
    conclusion: str = Field(max_length=4000)


@router.post("/{year}/assessments")
def assess_item(request: Request, year: Year, body: AssessmentRequest,
                caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Record the assessment of a contested item (staff)."""
    with request.app.state.engine.begin() as conn:
        a = catalogue.assess_item(conn, year, body.item, body.experts, body.representatives, body.conclusion,
                                  _by(caller))
    return {"year": year, "item": a.code, "by": a.by, "at": _when(a.at)}


@router.post("/{year}/approve")
def approve_edition(request: Request, year: Year,
                    caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Approve an edition after its comment period, recorded under the client's name (staff)."""
    with request.app.state.engine.begin() as conn:
        edition = catalogue.approve_edition(conn, year, _by(caller))
        return _edition(edition, catalogue.in_force_periods(conn))


@router.post("/{year}/publish")
def publish_edition(request: Request, year: Year,
                    caller: access.Caller = Depends(caller_for("cataloguing"))) -> dict[str, Any]:
    """Publish an approved edition; it never changes after (staff)."""
    with request.app.state.engine.begin() as conn:
        edition = catalogue.publish_edition(conn, year, _by(caller))
        return _edition(edition, catalogue.in_force_periods(conn))
