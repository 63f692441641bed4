"""Reconciliation (W3C reconciliation API 0.2, what OpenRefine speaks): match a column of names to
codes. Each query is a search (services/library/search.py); ``match`` is true only for one clear exact hit.
Properties ``region``, ``department`` and ``status`` filter like the search's filters. Every answer
is read through services/sharing/disclosure.py with the caller: a description or a preview holds only
what the caller sees.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements
from jjjcredit.core.limits import DEFAULT, Limits
from jjjcredit.core.sharing import access
from jjjcredit.services.library import search
from jjjcredit.services.sharing import disclosure

TYPE = {"id": "organization", "name": "Organization (unified social credit code)"}
PROPERTIES = [{"id": "region", "name": "Registering authority's division (GB/T 2260 digits)"},
              {"id": "department", "name": "Registration management department (code position 1)"},
              {"id": "status", "name": "Status"}]
EXACT = ("exact", "exact_without_region", "code")


class ReconcileError(Error):
    """A batch of queries that is not what the W3C reconciliation API 0.2 describes."""

    def __init__(self, message: str) -> None:
        super().__init__("reconcile.bad_queries", message, field="queries")


def _description(organization: Mapping[str, Any]) -> str:
    status = elements.STATUS.get(str(organization.get("status") or ""))
    parts = [organization["uscc"], status.zh if status else None, organization.get("authority_region")]
    return " · ".join(p for p in parts if p)


def _one(conn: Connection, caller: access.Caller, key: str, query: Any) -> dict[str, Any]:
    wanted: dict[str, str] = {}
    for prop in query.get("properties") or []:
        if isinstance(prop, Mapping) and prop.get("pid") in ("region", "department", "status"):
            value = prop.get("v")
            wanted[str(prop["pid"])] = str(value.get("id") if isinstance(value, Mapping) else value)
    limit = query.get("limit", 5)  # a finite number (check_queries)
    filters = search.match_filters(wanted.get("region"), wanted.get("department"), wanted.get("status"))
    text = query.get("query", "")
    hits = disclosure.search_organizations(conn, caller, text, filters, max(1, min(int(limit), search.MAX_LIMIT))) \
        if any(c.isalnum() for c in text) else []
    clear = len(hits) == 1 or (len(hits) > 1 and hits[1].score < hits[0].score)
    return {"result": [{"id": h.code, "name": h.name, "description": _description(h.organization),
                        "score": round(h.score * 100, 2), "match": i == 0 and clear and h.match in EXACT,
                        "type": [TYPE], "features": [{"id": h.match, "value": True}]}
                       for i, h in enumerate(hits)]}


def check_queries(batch: Any, limits: Limits = DEFAULT) -> int:
    """The number of queries in a batch, once its shape and size are checked (before any is answered):
    at most ``limits.reconcile_queries`` queries, each text at most ``limits.query_chars`` characters."""
    if not isinstance(batch, Mapping) or not batch:
        raise ReconcileError("queries must be a JSON object of queries, e.g. {\"q0\": {\"query\": \"某某有限公司\"}}.")
    if len(batch) > limits.reconcile_queries:
        raise Error("reconcile.too_many", f"The batch holds {len(batch)} queries; at most {limits.reconcile_queries} "
                    "are answered in one call (setting JJJCREDIT_LIMIT_RECONCILE_QUERIES): send smaller batches.",
                    field="queries")
    for key, query in batch.items():
        if not isinstance(query, Mapping) or not isinstance(query.get("query", ""), str):
            raise ReconcileError(f'Query "{key}" is not an object with a "query" string.')
        limit = query.get("limit", 5)  # JSON as Python reads it: 1e999, NaN and Infinity are floats
        if not isinstance(limit, int | float) or isinstance(limit, bool) \
                or (isinstance(limit, float) and not math.isfinite(limit)):
            raise ReconcileError(f'Query "{str(key)[:40]}": limit must be a finite number (how many results to '
                                 f"give, 1 to {search.MAX_LIMIT}), e.g. \"limit\": 5.")
        if not isinstance(query.get("properties") or [], list):
            raise ReconcileError(f'Query "{str(key)[:40]}": properties must be a list of {{"pid": ..., "v": ...}}.')
        if len(query.get("query", "")) > limits.query_chars:
            raise Error("reconcile.query_too_long", f'Query "{str(key)[:40]}" holds {len(query["query"])} '
                        f"characters; at most {limits.query_chars} are searched (setting "
                        "JJJCREDIT_LIMIT_QUERY_CHARS).", field="queries")
    return len(batch)


def reconcile_queries(conn: Connection, caller: access.Caller, batch: Any, limits: Limits = DEFAULT) -> dict[str, Any]:
    """Answer a query batch ``{"q0": {"query": "…", "limit": 3, "properties": [...]}, …}``."""
    check_queries(batch, limits)
    return {str(key): _one(conn, caller, str(key), query) for key, query in batch.items()}


def preview_organization(conn: Connection, caller: access.Caller, code: str) -> list[tuple[str, str]] | None:
    """A preview card's rows (the element's Chinese name, the value) of what ``caller`` sees of an
    organization, in element order; ``None`` if no provider has sent the code."""
    found = disclosure.lookup_organization(conn, caller, code.strip().upper())
    if found is None:
        return None
    return [(e.zh, str(found[e.name])) for e in elements.ELEMENTS if e.name in found]


def suggest_entities(conn: Connection, caller: access.Caller, prefix: str) -> dict[str, Any]:
    hits = disclosure.autocomplete(conn, caller, prefix) if any(c.isalnum() for c in prefix) else []
    return {"result": [{"id": h.code, "name": h.name, "description": _description(h.organization),
                        "notable": [TYPE]} for h in hits]}


def suggest_types(prefix: str) -> dict[str, Any]:
    return {"result": [TYPE]}


def suggest_properties(prefix: str) -> dict[str, Any]:
    p = prefix.strip().lower()
    return {"result": [dict(x) for x in PROPERTIES if not p or p in x["id"] or p in x["name"].lower()]}
