"""Search the library by name (exact, prefix, fuzzy, without the region), former name, pinyin
(initials or in full) or code prefix, filtered by region, department and status; autocomplete.

**The keys** (``organization_search``, core/library/search.py) are derived from the organizations and
refreshed from the change feed (:func:`refresh`): after each ingest commits, by ``jjjcredit search
refresh``, and by ``jjjcredit db upgrade``. The ``search`` counter holds the feed position they are up
to date with; each part is one transaction that moves it, so a crash loses nothing and a second
refresher (another worker) waits on the counter's lock and finds the work done. The ingest itself
does not wait for the keys: the library's own writes stay proportional to the rows. With the keys,
the refresh keeps the keys of former names (``organization_search_former``, from the history of
the organizations renamed), how many organizations hold each character pair
(``organization_search_gram_counts``) and, on SQLite, the FTS5 index (one ``INSERT … SELECT`` per
part). A refresh that at least doubles the keys (a first ingest, ``--rebuild``) is one transaction
that builds their indexes once at the end — sorting once is several times cheaper than a million
random insertions: SQLite drops and rebuilds them in place (readers keep their snapshot),
PostgreSQL fills a new table and swaps it in (readers wait only for the swap).

**Candidates** come from the database's indexes, each way one index range read in key order and cut
at :data:`CANDIDATES` (never a sort of every match, which a short prefix has by the hundred
thousand): the name key and the key without the region from the query's prefix, the initials and
full pinyin likewise, former names' keys, the code prefix — an exact match first, then its
completions in code-point order. Fuzzy candidates share the query's telling character pairs (held by
at most :data:`GRAM_POSTINGS` organizations, known from the counts before any posting is read) in a
native inverted index (SQLite FTS5, a GIN index on PostgreSQL), counted in SQL: the most shared
first, then by code. Keys compare in code-point order on both databases, so the candidates — and the
ranking, in Python from the stored keys (core/library/search.py) — are the same everywhere. Whole
organization rows are read only for the hits returned.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    and_,
    bindparam,
    column,
    delete,
    func,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy import text as sql

from jjjcredit.core.codes import departments
from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements
from jjjcredit.core.library import search as keys
from jjjcredit.storage import bulk
from jjjcredit.storage.engine import unmapped
from jjjcredit.storage.schema import (
    changes,
    counters,
    history,
    organization_search,
    organization_search_former,
    organization_search_gram_counts,
    organizations,
)

#: Candidates read per way of matching, before scoring.
CANDIDATES = 200
MAX_LIMIT = 100
#: A character pair held by more organizations than this is too common to find candidates by.
GRAM_POSTINGS = 2_000
#: Change-feed entries read per refresh transaction.
REFRESH_PART = 20_000
#: A refresh of at least this many feed entries that at least doubles the keys is built in bulk.
BULK_REFRESH = 10_000
_PART = 5_000
_KEY_NAMES = ("name_key", "core_key", "initials", "core_initials", "pinyin", "local_pinyin")
_FTS = "organization_search_fts"
_ADD_COUNTS = ("INSERT INTO organization_search_gram_counts ({columns}) VALUES ({marks}) ON CONFLICT (gram) "
               "DO UPDATE SET holders = organization_search_gram_counts.holders + excluded.holders")


class SearchError(Error):
    """A search that cannot be run as asked; ``code`` is stable (docs/errors.md)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code, message, field=field)


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
    match: str  # exact | exact_without_region | code | former_name | prefix | initials | pinyin | fuzzy
    organization: dict[str, Any]


@dataclass(frozen=True)
class Refreshed:
    """What a refresh did: organizations re-indexed, the feed position reached, seconds."""

    indexed: int
    position: int
    seconds: float


# --- keeping the keys ------------------------------------------------------------------------------

def _sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def _remove_keys(conn: Connection, table: Table, codes: Sequence[str], counts: Counter[str]) -> None:
    """Drop the keys of these organizations, their pairs from the counts and (SQLite) the FTS5 index."""
    for grams in conn.execute(select(table.c.grams).where(table.c.uscc.in_(codes))).scalars():
        counts.subtract(grams.split())
    if _sqlite(conn):
        conn.execute(sql(f"INSERT INTO {_FTS}({_FTS}, rowid, grams) SELECT 'delete', rowid, grams "
                         "FROM organization_search WHERE uscc IN :codes")
                     .bindparams(bindparam("codes", list(codes), expanding=True)))
    conn.execute(delete(table).where(table.c.uscc.in_(codes)))


def _write_keys(conn: Connection, table: Table, entries: Sequence[Mapping[str, str]], counts: Counter[str]) -> None:
    """Insert keys (one statement), their pairs into the counts and (SQLite) the FTS5 index (one
    ``INSERT … SELECT``: a trigger per row costs several times more)."""
    if not entries:
        return
    last = conn.execute(sql("SELECT coalesce(max(rowid), 0) FROM organization_search")).scalar_one() \
        if _sqlite(conn) else 0
    bulk.insert_rows(conn, table.name, list(table.c.keys()), entries)
    if _sqlite(conn):
        conn.execute(sql(f"INSERT INTO {_FTS}(rowid, grams) SELECT rowid, grams FROM organization_search "
                         "WHERE rowid > :last").bindparams(last=last))
    for entry in entries:
        counts.update(entry["grams"].split())


def _save_counts(conn: Connection, counts: Counter[str]) -> None:
    """Add the counted holders of each pair to ``organization_search_gram_counts``."""
    t = organization_search_gram_counts
    rows = [{"gram": gram, "holders": n} for gram, n in sorted(counts.items()) if n]
    if not rows:
        return
    if conn.execute(select(t.c.gram).limit(1)).first() is None:
        bulk.insert_rows(conn, t.name, ["gram", "holders"], rows)
    else:
        bulk.execute_many(conn, _ADD_COUNTS, ["gram", "holders"], rows)
        if any(n < 0 for n in counts.values()):
            conn.execute(delete(t).where(t.c.holders <= 0))


def _write_formers(conn: Connection, codes: Sequence[str], current: Mapping[str, str]) -> None:
    """The keys of these organizations' former names (every name a change replaced, other than the
    current one), in place of those they had."""
    f = organization_search_former
    conn.execute(delete(f).where(f.c.uscc.in_(codes)))
    old = conn.execute(select(history.c.uscc, history.c.old_value).where(
        history.c.uscc.in_(codes), history.c.element == "name", history.c.old_value.is_not(None))).all()
    rows = {}
    for code, name in old:
        former = keys.former(name)
        if former.name_key and former.name_key != current.get(code):
            rows[code, former.name_key] = {"uscc": code, "name_key": former.name_key, "core_key": former.core_key}
    if rows:
        bulk.insert_rows(conn, f.name, ["uscc", "name_key", "core_key"], [rows[k] for k in sorted(rows)])


def index_organizations(conn: Connection, codes: Iterable[str], counts: Counter[str] | None = None,
                        table: Table = organization_search) -> int:
    """Bring the search keys of these organizations up to their current names (and former ones);
    returns how many organizations have keys now. The pairs' counts are added to ``counts`` when given
    (the caller saves them), else saved here."""
    wanted, done = sorted(set(codes)), 0
    added: Counter[str] = Counter() if counts is None else counts
    for start in range(0, len(wanted), _PART):
        part = wanted[start:start + _PART]
        _remove_keys(conn, table, part, added)
        rows = conn.execute(select(organizations.c.uscc, organizations.c.name).where(
            organizations.c.uscc.in_(part), organizations.c.name.is_not(None))).all()
        entries = [keys.index_entry(code, name).keys for code, name in rows]
        _write_keys(conn, table, entries, added)
        _write_formers(conn, part, {e["uscc"]: e["name_key"] for e in entries})
        done += len(entries)
    if counts is None:
        _save_counts(conn, added)
    return done


def _lock_position(conn: Connection) -> int:
    """Lock the ``search`` counter for this transaction and read it."""
    conn.execute(update(counters).where(counters.c.name == "search").values(value=counters.c.value))
    return int(conn.execute(select(counters.c.value).where(counters.c.name == "search")).scalar_one())


def _refresh_part(conn: Connection, part: int, counts: Counter[str],
                  table: Table = organization_search) -> tuple[int, int, bool]:
    position = _lock_position(conn)
    seqs = conn.execute(select(changes.c.seq).where(changes.c.seq > position).order_by(changes.c.seq)
                        .limit(part)).scalars().all()
    if not seqs:
        return 0, position, False
    last = int(seqs[-1])
    window = (changes.c.seq > position, changes.c.seq <= last)
    renamed = set(conn.execute(select(history.c.uscc).where(
        history.c.seq > position, history.c.seq <= last, history.c.element == "name")).scalars())
    # Keys exist only for organizations created at or before the position (only this writes them),
    # so those created after it have none to replace: their names come with the feed, in one join.
    created = conn.execute(select(organizations.c.uscc, organizations.c.name)
                           .join(changes, changes.c.uscc == organizations.c.uscc)
                           .where(*window, changes.c.kind == "created", organizations.c.name.is_not(None))).all()
    entries = sorted((keys.index_entry(code, name).keys for code, name in created if code not in renamed),
                     key=lambda entry: entry["uscc"])
    _write_keys(conn, table, entries, counts)
    indexed = len(entries) + index_organizations(conn, renamed, counts, table)
    conn.execute(update(counters).where(counters.c.name == "search").values(value=last))
    return indexed, last, len(seqs) == part


def _in_bulk(conn: Connection) -> bool:
    """Whether the refresh ahead at least doubles the keys (and is not small): then their indexes are
    built once at the end."""
    values = dict(conn.execute(select(counters.c.name, counters.c.value).where(
        counters.c.name.in_(("feed", "search")))).all())
    pending = int(values["feed"]) - int(values["search"])
    # At most as many keys as pending entries: no row after the first ``pending`` (a scan no longer
    # than the refresh ahead, where a count would read every key).
    return pending >= BULK_REFRESH and conn.execute(
        select(organization_search.c.uscc).offset(pending).limit(1)).first() is None


#: PostgreSQL's memory for building a bulk refresh's indexes (``maintenance_work_mem``, this transaction).
BULK_INDEX_MEMORY = "512MB"
#: Where a bulk refresh on PostgreSQL builds the keys: a copy of ``organization_search`` without its
#: indexes, which takes its place (and its indexes' names) when done.
_NEXT = organization_search.to_metadata(MetaData(), name="organization_search_next")
#: The native index of migration 0006, as it is built again on the new table.
_GIN = "CREATE INDEX {name} ON organization_search_next USING gin (string_to_array(grams, ' '))"


def _refresh_in_bulk(conn: Connection, part: int, progress: Callable[[int], None] | None) -> tuple[int, int]:
    """The whole refresh in this transaction, the key indexes built once at the end. SQLite drops and
    builds them in place: readers keep their snapshot until the commit. PostgreSQL would lock readers
    out of a table whose indexes are dropped, so the keys are written to a new table (the current
    keys copied first), indexed, and swapped in at the end: readers wait only for the swap."""
    counts: Counter[str] = Counter()
    table, indexed, more, position = organization_search, 0, True, 0
    names = [f"ix_organization_search_{name}" for name in (*_KEY_NAMES, "grams")]
    if _sqlite(conn):
        indexes = sorted(organization_search.indexes, key=lambda i: str(i.name))
        for index in indexes:
            index.drop(conn)
    else:
        table = _NEXT
        # The indexes are built once, over millions of keys: sorted in memory rather than in files
        # (the server's default is 64 MB), for this transaction only.
        conn.execute(sql(f"SET LOCAL maintenance_work_mem = '{BULK_INDEX_MEMORY}'"))
        conn.execute(sql("CREATE TABLE organization_search_next (LIKE organization_search INCLUDING DEFAULTS)"))
        conn.execute(sql("INSERT INTO organization_search_next SELECT * FROM organization_search"))
        conn.execute(sql("ALTER TABLE organization_search_next ADD CONSTRAINT pk_organization_search_next "
                         "PRIMARY KEY (uscc)"))
    while more:
        done, position, more = _refresh_part(conn, part, counts, table)
        indexed += done
        if progress and done:
            progress(indexed)
    if _sqlite(conn):
        for index in indexes:
            index.create(conn)
    else:
        for name in _KEY_NAMES:
            conn.execute(sql(f"CREATE INDEX ix_organization_search_{name}_next ON organization_search_next "
                             f"({name}, uscc)"))
        conn.execute(sql(_GIN.format(name="ix_organization_search_grams_next")))
        conn.execute(sql("DROP TABLE organization_search"))
        conn.execute(sql("ALTER TABLE organization_search_next RENAME TO organization_search"))
        conn.execute(sql("ALTER TABLE organization_search RENAME CONSTRAINT pk_organization_search_next "
                         "TO pk_organization_search"))
        for name in names:
            conn.execute(sql(f"ALTER INDEX {name}_next RENAME TO {name}"))
        conn.execute(sql("ANALYZE organization_search"))  # the planner's statistics of the new table
    _save_counts(conn, counts)
    return indexed, position


def refresh(engine: Engine, part: int = REFRESH_PART, progress: Callable[[int], None] | None = None) -> Refreshed:
    """Index the organizations created or renamed since the keys' feed position, one transaction per
    ``part`` feed entries — or, for a refresh that at least doubles the keys, one transaction that
    builds their indexes once at the end — until the keys are up to date."""
    started, indexed = time.perf_counter(), 0
    with engine.begin() as conn, unmapped(conn):
        _lock_position(conn)
        if _in_bulk(conn):
            indexed, position = _refresh_in_bulk(conn, part, progress)
            return Refreshed(indexed, position, round(time.perf_counter() - started, 3))
    while True:
        with engine.begin() as conn, unmapped(conn):
            counts: Counter[str] = Counter()
            done, position, more = _refresh_part(conn, part, counts)
            _save_counts(conn, counts)
        indexed += done
        if progress and done:
            progress(indexed)
        if not more:
            return Refreshed(indexed, position, round(time.perf_counter() - started, 3))


def reindex(engine: Engine, progress: Callable[[int], None] | None = None) -> Refreshed:
    """Throw every key away and index the whole library again (``jjjcredit search refresh --rebuild``)."""
    with engine.begin() as conn:
        _lock_position(conn)
        if _sqlite(conn):
            conn.execute(sql(f"INSERT INTO {_FTS}({_FTS}) VALUES ('delete-all')"))
        conn.execute(delete(organization_search))
        conn.execute(delete(organization_search_former))
        conn.execute(delete(organization_search_gram_counts))
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


def _after(prefix: str) -> str | None:
    """The least string after every string that starts with ``prefix``, in code-point order (None:
    there is none).

    >>> _after("AB"), _after("B\U0010ffff"), _after("\U0010ffff")
    ('AC', 'C', None)
    """
    point = ord(prefix[-1]) + 1
    if point == 0xD800:  # surrogates are no characters
        point = 0xE000
    if point > 0x10FFFF:
        return _after(prefix[:-1]) if len(prefix) > 1 else None
    return prefix[:-1] + chr(point)


def _starting(col: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """``col`` starts with ``prefix``: one range of its index (LIKE would not use it on SQLite)."""
    after = _after(prefix)
    return col >= prefix if after is None else and_(col >= prefix, col < after)


_KEY_COLUMNS = (organization_search.c.uscc, *(organization_search.c[name] for name in _KEY_NAMES))


def _keys(row: Sequence[Any]) -> keys.Keys:
    return keys.Keys(*row[1:7])


def _prefixed(conn: Connection, ways: Sequence[tuple[ColumnElement[str], str]],
              where: Sequence[ColumnElement[bool]]) -> list[Sequence[Any]]:
    """For each (column, prefix): the first :data:`CANDIDATES` organizations whose column starts with
    the prefix, in key order — one index range each, all in one statement."""
    s = organization_search
    parts = []
    for col, prefix in ways:
        query = select(*_KEY_COLUMNS).where(_starting(col, prefix))
        if where:
            query = query.join(organizations, organizations.c.uscc == s.c.uscc).where(*where)
        parts.append(select(query.order_by(col, s.c.uscc).limit(CANDIDATES).subquery()))
    return list(conn.execute(union_all(*parts)).all())


#: The former names starting with a prefix (of the name key, of the key without the region): one
#: index range each, a plain statement (built once, not per query: most queries find none).
_FORMER = ("SELECT * FROM (SELECT uscc, name_key, core_key FROM organization_search_former WHERE {column} >= :{name}"
           "{below} ORDER BY {column}, uscc LIMIT {limit}) AS {name}")


def _former_sql(bounded: tuple[bool, bool]) -> Any:
    parts = [_FORMER.format(column=column, name=name, limit=CANDIDATES,
                            below=f" AND {column} < :{name}_end" if bound else "")
             for (column, name), bound in zip((("name_key", "k"), ("core_key", "c")), bounded, strict=True)]
    return sql(" UNION ALL ".join(parts))


_FORMER_SQL = {(a, b): _former_sql((a, b)) for a in (True, False) for b in (True, False)}


def _formerly(conn: Connection, q: keys.Query,
              where: Sequence[ColumnElement[bool]]) -> tuple[list[Sequence[Any]], dict[str, list[keys.Former]]]:
    """Organizations a former name of which (or its form without the region) starts with the query:
    their current keys, and the former names that answer."""
    key_end, core_end = _after(q.key), _after(q.core)
    found = conn.execute(_FORMER_SQL[key_end is not None, core_end is not None],
                         {"k": q.key, "k_end": key_end, "c": q.core, "c_end": core_end}).all()
    if not found:
        return [], {}
    formers: dict[str, list[keys.Former]] = {}
    for code, name_key, core_key in found:
        formers.setdefault(code, []).append(keys.Former(name_key, core_key))
    query = select(*_KEY_COLUMNS).where(organization_search.c.uscc.in_(sorted(formers)))
    if where:
        query = query.join(organizations, organizations.c.uscc == organization_search.c.uscc).where(*where)
    rows: list[Sequence[Any]] = list(conn.execute(query).all())
    return rows, formers


def _candidates(conn: Connection, q: keys.Query, filters: Filters,
                fuzzy: bool) -> tuple[dict[str, keys.Keys], dict[str, list[keys.Former]]]:
    where = _conditions(filters)
    s = organization_search
    ways = [(s.c.name_key, q.key), (s.c.core_key, q.core)]
    if q.letters:
        ways += [(s.c.initials, q.letters), (s.c.core_initials, q.letters), (s.c.pinyin, q.letters),
                 (s.c.local_pinyin, q.letters)]
    if q.code:
        ways.append((s.c.uscc, q.code))
    rows = _prefixed(conn, ways, where)
    if fuzzy and q.grams:
        rows += _shared_pairs(conn, q.grams, where)
    renamed, formers = _formerly(conn, q, where)
    rows += renamed
    return {row[0]: _keys(row) for row in rows}, formers


def _telling(conn: Connection, grams: Iterable[str]) -> tuple[int, list[str]]:
    """How many of the query's pairs are telling (held by at most GRAM_POSTINGS organizations, none
    counts too), and those of them someone holds."""
    t = organization_search_gram_counts
    wanted = sorted(grams)
    held = dict(conn.execute(select(t.c.gram, t.c.holders).where(t.c.gram.in_(wanted))).all())
    telling = [gram for gram in wanted if held.get(gram, 0) <= GRAM_POSTINGS]
    return len(telling), [gram for gram in telling if held.get(gram, 0) > 0]


def _shared_pairs(conn: Connection, grams: Iterable[str], where: Sequence[ColumnElement[bool]]) -> list[Sequence[Any]]:
    """Fuzzy candidates (code and keys): the organizations sharing the most of the query's telling
    pairs (at least a third of them), most first, then by code."""
    telling, held = _telling(conn, grams)
    if not held:
        return []
    binds = {f"g{i}": gram for i, gram in enumerate(held)}
    if _sqlite(conn):
        binds = {name: f'"{gram}"' for name, gram in binds.items()}
        one = f"SELECT rowid AS id FROM {_FTS} WHERE {_FTS} MATCH :{{name}}"
    else:
        one = ("SELECT uscc AS id FROM organization_search "
               "WHERE string_to_array(grams, ' ') @> ARRAY[CAST(:{name} AS TEXT)]")
    holders = sql(" UNION ALL ".join(one.format(name=name) for name in binds)).bindparams(**binds)
    h = holders.columns(column("id", Integer if _sqlite(conn) else organization_search.c.uscc.type)).subquery("h")
    need = max(1, math.ceil(telling / 3))
    shared = select(h.c.id, func.count().label("n")).group_by(h.c.id).having(func.count() >= need).subquery("shared")
    s = organization_search
    holder = literal_column("organization_search.rowid") if _sqlite(conn) else s.c.uscc
    query = select(*_KEY_COLUMNS).select_from(shared).join(s, holder == shared.c.id)
    if where:
        query = query.join(organizations, organizations.c.uscc == s.c.uscc).where(*where)
    return list(conn.execute(query.order_by(shared.c.n.desc(), s.c.uscc).limit(keys.FUZZY_CANDIDATES)).all())


def _ranked(conn: Connection, q: keys.Query, found: tuple[Mapping[str, keys.Keys], Mapping[str, list[keys.Former]]],
            limit: int, fuzzy: bool) -> list[Hit]:
    """Score the candidates from their keys (and the former names that brought them), best first
    (ties: shorter name key, then name key, then code); read the whole rows of the hits returned only."""
    scored = []
    candidates, formers = found
    for code, k in candidates.items():
        score, match = keys.score_keys(q, code, k, formers.get(code, ()))
        if score > 0 and (fuzzy or match != "fuzzy"):
            scored.append((-score, len(k.name_key), k.name_key, code, match))
    best = sorted(scored)[:limit]
    rows = {row["uscc"]: dict(row) for row in conn.execute(
        select(organizations).where(organizations.c.uscc.in_([x[3] for x in best]))).mappings()}
    return [Hit(code, rows[code]["name"] or "", -score, match, rows[code])
            for score, _, _, code, match in best if code in rows]


def _query(text: str) -> keys.Query:
    q = keys.query((text or "").replace("\x00", ""))  # no name holds one, and PostgreSQL refuses it
    if not any(c.isalnum() for c in q.key):
        raise SearchError("search.empty_query", "Nothing to search for: give a name, part of a name, its pinyin "
                          "initials or the start of a code (q=).", "q")
    return q


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError("search.bad_limit", f"Limit {limit} is out of range: expected 1 to {MAX_LIMIT}.", "limit")
    return limit


def search_organizations(conn: Connection, text: str, filters: Filters = Filters(), limit: int = 20) -> list[Hit]:
    """Organizations answering ``text``, best first (ties: shorter name key, then name key, then code)."""
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
