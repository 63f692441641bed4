"""Search the library by name (exact, prefix, fuzzy, without the region), pinyin initials or code
prefix, filtered by region, department and status; autocomplete.

**The keys** (``organization_search``, core/search.py) are derived from the organizations and
refreshed from the change feed (:func:`refresh`): after each ingest commits, by ``jjjcredit search
refresh``, and by ``jjjcredit db upgrade``. The ``search`` counter holds the feed position they are up
to date with; each part is one transaction that moves it, so a crash loses nothing and a second
refresher (another worker) waits on the counter's lock and finds the work done. The ingest itself
does not wait for the keys: the library's own writes stay proportional to the rows.

**Candidates** come from the database's indexes: B-tree prefixes of the keys and initials, the code
prefix, and for fuzzy matching the name's character pairs in a native inverted index (SQLite FTS5;
a GIN index on PostgreSQL). A pair held by more than :data:`GRAM_POSTINGS` organizations says
little and is left out; the others are fetched whole, so the count of shared pairs — and with it
the candidate set — is the same on both databases. core/search.py then scores and ranks them in
Python, identically everywhere.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, delete, func, or_, select, update
from sqlalchemy import text as sql

from jjjcredit.core import departments, elements
from jjjcredit.core import search as keys
from jjjcredit.storage import bulk
from jjjcredit.storage.schema import changes, counters, history, organization_search, organizations

#: Candidates fetched per way of matching, before scoring.
CANDIDATES = 200
MAX_LIMIT = 100
#: A character pair held by more organizations than this is too common to find candidates by.
GRAM_POSTINGS = 2_000
#: Change-feed entries read per refresh transaction.
REFRESH_PART = 20_000
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


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: organizations re-indexed, the feed position reached, seconds."""

    indexed: int
    position: int
    seconds: float


# --- keeping the keys ------------------------------------------------------------------------------

def index_organizations(conn: Connection, codes: Iterable[str], new: Collection[str] = ()) -> int:
    """Bring the search keys of these organizations up to their current names; returns how many
    organizations have keys now. ``new``: those of them known to have no keys yet."""
    wanted, done = sorted(set(codes)), 0
    for start in range(0, len(wanted), _PART):
        part = wanted[start:start + _PART]
        old = [code for code in part if code not in new]
        if old:
            conn.execute(delete(organization_search).where(organization_search.c.uscc.in_(old)))
        rows = conn.execute(select(organizations.c.uscc, organizations.c.name).where(
            organizations.c.uscc.in_(part), organizations.c.name.is_not(None))).all()
        entries = [keys.index_entry(code, name).keys for code, name in rows]
        bulk.insert_rows(conn, organization_search.name, list(organization_search.c.keys()), entries)
        done += len(entries)
    return done


def _lock_position(conn: Connection) -> int:
    """Lock the ``search`` counter for this transaction and read it."""
    conn.execute(update(counters).where(counters.c.name == "search").values(value=counters.c.value))
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "search")).scalar_one())


def _refresh_part(conn: Connection, part: int) -> tuple[int, int, bool]:
    position = _lock_position(conn)
    found = conn.execute(select(changes.c.seq, changes.c.uscc, changes.c.kind).where(changes.c.seq > position)
                         .order_by(changes.c.seq).limit(part)).all()
    if not found:
        return 0, position, False
    last = int(found[-1][0])
    renamed = conn.execute(select(history.c.uscc).where(
        history.c.seq > position, history.c.seq <= last, history.c.element == "name")).scalars()
    # Keys exist only for organizations created at or before the position (only this writes them),
    # so those created after it have none to replace unless they were renamed too.
    renamed_codes = set(renamed)
    created = {code for _, code, kind in found if kind == "created"} - renamed_codes
    indexed = index_organizations(conn, created | renamed_codes, new=created)
    conn.execute(update(counters).where(counters.c.name == "search").values(value=last))
    return indexed, last, len(found) == part


def refresh(engine: Engine, part: int = REFRESH_PART, progress: Callable[[int], None] | None = None) -> Refreshed:
    """Index the organizations created or renamed since the keys' feed position, one transaction per
    ``part`` feed entries, until the keys are up to date."""
    started, indexed = time.perf_counter(), 0
    while True:
        with engine.begin() as conn:
            done, position, more = _refresh_part(conn, part)
        indexed += done
        if progress and done:
            progress(indexed)
        if not more:
            return Refreshed(indexed, position, round(time.perf_counter() - started, 3))


def reindex(engine: Engine, progress: Callable[[int], None] | None = None) -> Refreshed:
    """Throw every key away and index the whole library again (``jjjcredit search refresh --rebuild``)."""
    with engine.begin() as conn:
        _lock_position(conn)
        conn.execute(delete(organization_search))
        conn.execute(update(counters).where(counters.c.name == "search").values(value=0))
    return refresh(engine, progress=progress)


def lag(conn: Connection) -> int:
    """Change-feed entries the keys have not caught up with yet."""
    values = dict(conn.execute(select(counters.c.name, counters.c.value).where(
        counters.c.name.in_(("feed", "search")))).all())
    return int(values["feed"]) - int(values["search"])


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
    for way in ways:
        for code in _codes(conn, way):
            found[code] = None
    if fuzzy and q.grams:
        for code in _shared_pairs(conn, q.grams, where):
            found[code] = None
    return list(found)


def _holders(conn: Connection, gram: str, where: Sequence[ColumnElement[bool]]) -> list[str] | None:
    """The organizations whose name has this pair, or None when more than GRAM_POSTINGS do."""
    s = organization_search
    query = select(s.c.uscc).join(organizations, organizations.c.uscc == s.c.uscc)
    if conn.dialect.name == "sqlite":
        query = query.where(sql("organization_search.rowid IN (SELECT rowid FROM organization_search_fts "
                                 "WHERE organization_search_fts MATCH :gram)").bindparams(gram=f'"{gram}"'))
    else:
        query = query.where(sql("string_to_array(organization_search.grams, ' ') @> ARRAY[CAST(:gram AS TEXT)]")
                            .bindparams(gram=gram))
    codes = _codes(conn, query.where(*where).limit(GRAM_POSTINGS + 1))
    return codes if len(codes) <= GRAM_POSTINGS else None


def _shared_pairs(conn: Connection, grams: Iterable[str], where: Sequence[ColumnElement[bool]]) -> list[str]:
    """Fuzzy candidates: the organizations sharing the most of the query's telling pairs (at least a
    third of them), most first, then by code."""
    shared: Counter[str] = Counter()
    telling = 0
    for gram in sorted(grams):
        holders = _holders(conn, gram, where)
        if holders is not None:
            telling += 1
            shared.update(holders)
    need = max(1, math.ceil(telling / 3))
    ranked = sorted((code for code, n in shared.items() if n >= need), key=lambda c: (-shared[c], c))
    return ranked[:keys.FUZZY_CANDIDATES]


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
