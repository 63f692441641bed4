"""Search the library by name (exact, prefix, fuzzy, without the region), pinyin initials or code
prefix, filtered by region, department and status; autocomplete.

The library keeps ``organization_search`` (keys of each current name, core/search.py) and
``organization_search_grams`` (the keys' character pairs) in step as it writes organizations
(:func:`index_organizations`). A search fetches candidates with plain, portable SQL — key and
initials prefixes, code prefix, most shared pairs — each candidate set capped and ordered by the same
integer and ASCII keys on SQLite and PostgreSQL; then core/search.py scores and ranks them in Python.
So both databases give the same answers in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, delete, func, or_, select

from jjjcredit.core import departments, elements
from jjjcredit.core import search as keys
from jjjcredit.storage import bulk
from jjjcredit.storage.schema import organization_search, organization_search_grams, organizations

#: Candidates fetched per way of matching, before scoring.
CANDIDATES = 200
MAX_LIMIT = 100
_PART = 500


class SearchError(Exception):
    """A search that cannot be run as asked; ``code`` is stable (docs/errors.md)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


@dataclass(frozen=True)
class Filters:
    """Optional filters: ``region`` a GB/T 2260 code or its leading digits (13, 1301, 130102) matched
    against the registering authority's division; ``department`` position 1 of the code; ``status``
    a status code (1) or word (存续)."""

    region: str | None = None
    department: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Hit:
    code: str
    name: str
    score: float
    match: str  # exact | exact_without_region | code | prefix | initials | fuzzy
    organization: dict[str, Any]


# --- keeping the keys ------------------------------------------------------------------------------

def _write(conn: Connection, entries: Sequence[keys.IndexEntry]) -> None:
    if not entries:
        return
    bulk.insert_rows(conn, organization_search.name, list(organization_search.c.keys()), [e.keys for e in entries])
    pairs = [{"gram": g, "uscc": e.keys["uscc"]} for e in entries for g in sorted(e.grams)]
    bulk.insert_rows(conn, organization_search_grams.name, ["gram", "uscc"], pairs)


def index_organizations(conn: Connection, codes: Iterable[str]) -> None:
    """Bring the search keys of these organizations up to their current names (the library calls
    this after each chunk it writes)."""
    wanted = sorted(set(codes))
    for start in range(0, len(wanted), _PART):
        part = wanted[start:start + _PART]
        conn.execute(delete(organization_search_grams).where(organization_search_grams.c.uscc.in_(part)))
        conn.execute(delete(organization_search).where(organization_search.c.uscc.in_(part)))
        rows = conn.execute(select(organizations.c.uscc, organizations.c.name).where(
            organizations.c.uscc.in_(part), organizations.c.name.is_not(None))).all()
        _write(conn, [keys.index_entry(code, name) for code, name in rows])


def reindex(conn: Connection) -> int:
    """Rebuild every search key from the organizations (``jjjcredit search reindex``); returns how
    many organizations were indexed."""
    conn.execute(delete(organization_search_grams))
    conn.execute(delete(organization_search))
    last, count = "", 0
    while True:
        rows = conn.execute(select(organizations.c.uscc, organizations.c.name).where(
            organizations.c.uscc > last, organizations.c.name.is_not(None)).order_by(
            organizations.c.uscc).limit(5000)).all()
        if not rows:
            return count
        last = rows[-1][0]
        _write(conn, [keys.index_entry(code, name) for code, name in rows])
        count += len(rows)


# --- searching -------------------------------------------------------------------------------------

def _status_code(value: str) -> str:
    for code, v in elements.STATUS.items():
        if value.strip() in (code, v.zh):
            return code
    known = ", ".join(f"{c} ({v.zh})" for c, v in elements.STATUS.items())
    raise SearchError("search.bad_filter", f'Status "{value}" is not a status: expected one of {known}.', "status")


def _conditions(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.region:
        region = filters.region.strip()
        if not (region.isascii() and region.isdigit() and 2 <= len(region) <= 6 and len(region) % 2 == 0):
            raise SearchError("search.bad_filter", f'Region "{filters.region}" is not a division code: expected '
                              "2, 4 or 6 digits of GB/T 2260 (13 Hebei, 1301 Shijiazhuang, 130102).", "region")
        while region.endswith("00") and len(region) > 2:
            region = region[:-2]
        where.append(organizations.c.authority_region.startswith(region))
    if filters.department:
        department = filters.department.strip().upper()
        if department not in departments.DEPARTMENTS:
            raise SearchError("search.bad_filter", f'Department "{filters.department}" is not a registration '
                              f"management department code: expected one of {', '.join(departments.DEPARTMENTS)}.",
                              "department")
        where.append(organizations.c.uscc.startswith(department))
    if filters.status:
        where.append(organizations.c.status == _status_code(filters.status))
    return where


def _codes(conn: Connection, query: Select[Any]) -> list[str]:
    return [row[0] for row in conn.execute(query)]


def _candidates(conn: Connection, q: keys.Query, filters: Filters, fuzzy: bool) -> list[str]:
    where = _conditions(filters)
    s = organization_search
    base = select(s.c.uscc).join(organizations, organizations.c.uscc == s.c.uscc)
    found: dict[str, None] = {}
    ways: list[Select[Any]] = [base.where(
        or_(s.c.name_key.startswith(q.key, autoescape=True), s.c.core_key.startswith(q.core, autoescape=True)),
        *where).order_by(func.length(s.c.name_key), s.c.uscc).limit(CANDIDATES)]
    if q.letters:
        ways.append(base.where(or_(s.c.initials.startswith(q.letters, autoescape=True),
                                   s.c.core_initials.startswith(q.letters, autoescape=True)), *where)
                    .order_by(func.length(s.c.initials), s.c.uscc).limit(CANDIDATES))
    if q.code:
        ways.append(base.where(s.c.uscc.startswith(q.code, autoescape=True), *where)
                    .order_by(s.c.uscc).limit(CANDIDATES))
    if fuzzy and q.grams:
        g = organization_search_grams
        shared = func.count().label("shared")
        need = max(1, math.ceil(len(q.grams) / 3))
        ways.append(select(g.c.uscc).join(organizations, organizations.c.uscc == g.c.uscc)
                    .where(g.c.gram.in_(sorted(q.grams)), *where).group_by(g.c.uscc)
                    .having(func.count() >= need).order_by(shared.desc(), g.c.uscc).limit(keys.FUZZY_CANDIDATES)
                    .add_columns(shared))
    for way in ways:
        for code in _codes(conn, way):
            found[code] = None
    return list(found)


def _ranked(conn: Connection, q: keys.Query, codes: Sequence[str], limit: int, fuzzy: bool) -> list[Hit]:
    hits: list[Hit] = []
    for start in range(0, len(codes), _PART):
        part = codes[start:start + _PART]
        for row in conn.execute(select(organizations).where(organizations.c.uscc.in_(part))).mappings():
            name = row["name"] or ""
            score, match = keys.score(q, row["uscc"], name)
            if score <= 0 or (match == "fuzzy" and not fuzzy):
                continue
            hits.append(Hit(row["uscc"], name, score, match, dict(row)))
    hits.sort(key=lambda h: (-h.score, len(h.name), keys.name_key(h.name), h.code))
    return hits[:limit]


def _query(text: str) -> keys.Query:
    q = keys.query(text or "")
    if not any(c.isalnum() for c in q.key):
        raise SearchError("search.empty_query", "Nothing to search for: give a name, part of a name, its pinyin "
                          "initials or the start of a code (q=).", "q")
    return q


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError("search.bad_limit", f"Limit {limit} is out of range: expected 1 to {MAX_LIMIT}.", "limit")
    return limit


def search_organizations(conn: Connection, text: str, filters: Filters = Filters(), limit: int = 20) -> list[Hit]:
    """Organizations answering ``text``, best first (ties: shorter name, then name key, then code)."""
    q, n = _query(text), _limit(limit)
    return _ranked(conn, q, _candidates(conn, q, filters, fuzzy=True), n, fuzzy=True)


def autocomplete(conn: Connection, text: str, filters: Filters = Filters(), limit: int = 10) -> list[Hit]:
    """Completions of what was typed so far: name, name without region, initials or code prefixes."""
    q, n = _query(text), _limit(limit)
    return _ranked(conn, q, _candidates(conn, q, filters, fuzzy=False), n, fuzzy=False)


def match_filters(region: str | None, department: str | None, status: str | None) -> Filters:
    """Filters from request parameters, checked (raises :class:`SearchError`)."""
    filters = Filters(region or None, department or None, status or None)
    _conditions(filters)
    return filters
