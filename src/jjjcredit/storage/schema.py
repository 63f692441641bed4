"""The tables. One MetaData with a constraint naming convention, so migrations name things the
same way on SQLite and PostgreSQL. Portable types only; IDs are made in Python.

The library:

- ``organizations``: one row per unified social credit code, one column per standard data element
  (named by the element's short name), plus where the current record came from and the
  registering authority's current division (an organization can move; its code never changes).
- ``changes``: the change feed — one row per committed change of an organization (created,
  changed), with a strictly increasing ``seq`` assigned under the ``counters`` row lock, so a
  consumer that asks for everything after N never misses or double-counts. A row names its batch;
  the batch gives its source and time. An organization's own events are its ``created_seq`` and
  its ``history`` rows (no index by code on the feed: it would cost a random insert per change).
- ``history``: for each change, every element that changed: old value, new value.
- ``batches``: one row per ingest: file hash, counts, timings, status.
- ``rejects``: every rejected row of a batch with its reasons and original values.
- ``conflicts``: two providers disagreeing about one code: which value was kept and why.
"""

from __future__ import annotations

import re

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from jjjcredit.core.library import elements

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _element_columns() -> list[Column[str]]:
    return [Column(e.name, Text, nullable=True) for e in elements.ELEMENTS if e.name != "uscc"]


counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_hash", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # committed
    Column("rows", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Column("first_seq", BigInteger, nullable=True),
    Column("last_seq", BigInteger, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
)

organizations = Table(
    "organizations",
    metadata,
    Column("uscc", String(18), primary_key=True),
    *_element_columns(),
    Column("authority_region", String(6), nullable=True),
    Column("source", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("effective", String(8), nullable=True),
    Column("seq", BigInteger, nullable=False),  #: its last change
    Column("created_seq", BigInteger, nullable=True),  #: its "created" change (set by every ingest)
    # The last applied record's fingerprint (its source and values): the same record sent again is
    # recognised without comparing element by element.
    Column("fingerprint", String(32), nullable=True),
    # When it was created and last changed: the times of the batches of created_seq and seq.
)

changes = Table(
    "changes",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("uscc", String(18), nullable=False),
    Column("kind", String(16), nullable=False),  # created | changed
    # The batch that wrote it (its source and time). No foreign key: the ingest writes the batch row
    # first in the same transaction, and PostgreSQL checks a foreign key row by row (about 6 us a
    # row: 6 s of a first load of 1,000,000 organizations). Batches are never deleted.
    Column("batch_id", String(64), nullable=False),
    Column("effective", String(8), nullable=True),
)

history = Table(
    "history",
    metadata,
    Column("seq", BigInteger, ForeignKey("changes.seq"), primary_key=True, autoincrement=False),
    Column("element", String(40), primary_key=True),
    Column("uscc", String(18), nullable=False),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
)
Index("ix_history_uscc_element", history.c.uscc, history.c.element)

rejects = Table(
    "rejects",
    metadata,
    Column("batch_id", String(64), ForeignKey("batches.id"), primary_key=True),
    Column("row", Integer, primary_key=True, autoincrement=False),
    Column("uscc", String(64), nullable=True),
    Column("problems", Text, nullable=False),  # JSON list of {row, field, code, message, value}
    Column("original", Text, nullable=False),  # JSON object: header → value, as sent
)

conflicts = Table(
    "conflicts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("uscc", String(18), nullable=False, index=True),
    Column("element", String(40), nullable=False),
    Column("kept_value", Text, nullable=True),
    Column("kept_source", String(64), nullable=False),
    Column("other_value", Text, nullable=True),
    Column("other_source", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),  # kept | replaced
    Column("rule", String(32), nullable=False),  # registering_department | newest_effective
    Column("batch_id", String(64), ForeignKey("batches.id"), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),  # one live client per name (the index below)
    Column("key_prefix", String(16), nullable=False, unique=True),
    Column("key_hash", String(64), nullable=False),  # sha256 of the whole key; the key is shown once
    Column("services", Text, nullable=False),  # comma-separated
    Column("level", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    # the key a rotation replaced, valid until previous_key_until (the grace period), then refused
    Column("previous_key_prefix", String(16), nullable=True, unique=True),
    Column("previous_key_hash", String(64), nullable=True),
    Column("previous_key_until", DateTime(timezone=True), nullable=True),
    # the catalogue items whose credit records it is granted, comma-separated; NULL: every item within its level
    Column("items", Text, nullable=True),
)
#: A name is taken by at most one client that is not revoked; a revoked client's name is not given again either
#: (services/sharing/clients.add_client, clients.name_revoked: records and authorizations name the party), but
#: an earlier version did, so the index is on live clients only.
Index("uq_clients_live_name", clients.c.name, unique=True, sqlite_where=clients.c.revoked_at.is_(None),
      postgresql_where=clients.c.revoked_at.is_(None))

#: The audit trail: every API call, appended with a hash chain (``hash`` covers the entry and the
#: previous entry's hash), so an edited, inserted or deleted entry is found and located.
audit = Table(
    "audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("request_id", String(64), nullable=False),
    Column("client", String(200), nullable=True),  # None: the public
    Column("service", String(32), nullable=False),
    Column("purpose", Text, nullable=True),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("codes", Text, nullable=False),  # JSON list of the codes the call touched
    Column("status", Integer, nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("address_class", String(64), nullable=True),  # a public call's network, never its address
    Column("items", Text, nullable=True),  # JSON list of the catalogue items answered with
)
Index("ix_audit_at", audit.c.at)
#: Which entries of the audit trail touched which code (a unified social credit code, a natural person's
#: subject key, any code a call named): the index a credit subject's query log is read by. Written with
#: the entries, in the same transaction; derived from their ``codes``, which the hash covers.
audit_subjects = Table(
    "audit_subjects",
    metadata,
    Column("code", String(80), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
)
#: One-time codes proving a credit subject's identity (services/sharing/subjects.py): sent to the person,
#: or to an organization's registered representative (simulated: the command line prints it). Kept
#: hashed; spent on first use, refused after ``attempts`` wrong tries or past ``expires_at``.
subject_codes = Table(
    "subject_codes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_key", String(80), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False),
    Index("ix_subject_codes_subject_key", "subject_key"),
)
#: A credit subject's sessions, opened with a one-time code: the token is kept hashed.
subject_sessions = Table(
    "subject_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("subject_key", String(80), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

#: Signed checkpoints of the audit chain's head (services/sharing/audit.py): ``seq`` and ``hash`` of the
#: last entry at ``at``, signed with the evidence signing key ``key_id``. Published and exported, so a
#: copy kept outside the database anchors the chain.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", Text, nullable=False),
)

#: Ed25519 keys that sign evidence; retired keys stay published so old evidence still verifies.
signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", Text, nullable=False),  # PEM
    Column("private_key", Text, nullable=False),  # sealed under the operator secret (core/sharing/evidence.KeyBox)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)

#: Search keys of each organization's current name (core/library/search.py): the normalized name, the name
#: without its leading region, their pinyin initials, and the name's character pairs (space-separated)
#: for fuzzy matching. Derived data: services/library/search.py refreshes it from the change feed after each
#: batch commits (``counters`` row ``search``: the feed position it is up to date with). The keys
#: compare in code-point order on both databases (collation "C" on PostgreSQL, SQLite's own), so a
#: prefix is one range of its index and candidates come in the same order everywhere.
_KEY = Text().with_variant(Text(collation="C"), "postgresql")
organization_search = Table(
    "organization_search",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name_key", _KEY, nullable=False),
    Column("core_key", _KEY, nullable=False),
    Column("initials", _KEY, nullable=False),
    Column("core_initials", _KEY, nullable=False),
    Column("grams", Text, nullable=False, server_default=""),
    Column("pinyin", _KEY, nullable=False, server_default=""),  #: the name's full pinyin
    Column("local_pinyin", _KEY, nullable=False, server_default=""),  #: …of the name after its first region
)
for _column in ("name_key", "core_key", "initials", "core_initials", "pinyin", "local_pinyin"):
    # With the code: candidates are read in (key, code) order and cut, so neither database sorts the
    # matches of a short prefix (PostgreSQL would, when it guesses a range of CJK keys small).
    Index(f"ix_organization_search_{_column}", organization_search.c[_column], organization_search.c.uscc)

#: The keys of the names organizations carried before a change (from ``history``): search finds an
#: organization by a name people still use.
organization_search_former = Table(
    "organization_search_former",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("name_key", _KEY, primary_key=True),
    Column("core_key", _KEY, nullable=False),
)
Index("ix_organization_search_former_name_key", organization_search_former.c.name_key,
      organization_search_former.c.uscc)
Index("ix_organization_search_former_core_key", organization_search_former.c.core_key,
      organization_search_former.c.uscc)

#: How many organizations' keys hold each character pair (kept with the keys): a query looks up the
#: postings of its rarer pairs only.
organization_search_gram_counts = Table(
    "organization_search_gram_counts",
    metadata,
    Column("gram", Text, primary_key=True),
    Column("holders", Integer, nullable=False),
)

#: What indexes ``organization_search.grams`` natively, made by migrations 0006 and 0007 outside this
#: metadata (an FTS5 table on SQLite, kept by services/library/search.py; a GIN expression index on PostgreSQL).
NATIVE_SEARCH_INDEX = ("organization_search_fts", "ix_organization_search_grams")


_PARTITION = re.compile(r"credit_(records|record_versions)_p[0-9]+(_|$)")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """For Alembic's comparison: leave out the native search index and FTS5's own tables, and the
    partitions of the credit tables (and their indexes), which PostgreSQL makes under the tables."""
    if name and _PARTITION.match(name):
        return False
    table = getattr(obj, "table", None)
    if table is not None and _PARTITION.match(getattr(table, "name", "")):
        return False
    return not (name and name.startswith(NATIVE_SEARCH_INDEX))

#: The public credit information catalogue (core/credit/catalogue.py): one edition per year, draft →
#: comment → approved → published (then never changed).
catalogue_editions = Table(
    "catalogue_editions",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("status", String(16), nullable=False),
    Column("based_on", Integer, nullable=True),  # the published edition it was drafted from (None: the default)
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("comments_opened_at", DateTime(timezone=True), nullable=True),
    Column("comments_until", DateTime(timezone=True), nullable=True),
    Column("approved_by", Text, nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("published_by", Text, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
)
#: The items of an edition, each as its plain form in JSON (core/credit/catalogue.item_to_dict).
catalogue_items = Table(
    "catalogue_items",
    metadata,
    Column("year", Integer, ForeignKey("catalogue_editions.year"), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("item", Text, nullable=False),
)
#: Every item added, changed or withdrawn in an edition, with its reason; ``detail`` is JSON: the
#: attributes changed, old → new (or the item added or withdrawn).
catalogue_changes = Table(
    "catalogue_changes",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("year", Integer, ForeignKey("catalogue_editions.year"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # add, change, withdraw
    Column("reason", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
)
#: Public comments on a draft during its comment period: who, when, on which item (None: the whole edition).
catalogue_comments = Table(
    "catalogue_comments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("year", Integer, ForeignKey("catalogue_editions.year"), nullable=False, index=True),
    Column("code", String(64), nullable=True),
    Column("author", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("text", Text, nullable=False),
    # who sent it, as a keyed hash (persons.Protector.comment_sender of a key's client id, or of the address counted
    # for the public's rate limit — never kept in clear): what JJJCREDIT_LIMIT_COMMENTS_PER_DAY counts; a plain
    # SHA-256 for comments kept before the hash was keyed; NULL for comments kept before it was
    Column("sender", String(64), nullable=True),
)
#: The assessment a contested item (or one of large social impact) needs before approval.
catalogue_assessments = Table(
    "catalogue_assessments",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("year", Integer, ForeignKey("catalogue_editions.year"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("experts", Text, nullable=False),
    Column("representatives", Text, nullable=False),
    Column("conclusion", Text, nullable=False),
    Column("by", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

#: Credit records (core/credit/records.py). On PostgreSQL the records and their versions are hash-
#: partitioned by the subject's key (a subject's records, the hottest read, touch one partition; the
#: key is in every primary key, so a later move to a sharded PostgreSQL keeps them together); SQLite
#: keeps plain tables. A subject's key is its unified social credit code, or ``P:`` + the keyed hash
#: of a natural person's identity number (the number itself is only ever stored sealed).
CREDIT_PARTITIONS = 16  #: as the migration makes them (0013_credit_records.PARTITIONS)
_PARTITION_BY = "HASH (subject_key)"

#: One submission of credit records: a file (CLI) or a body (API) under one catalogue item, from one provider.
credit_batches = Table(
    "credit_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("item", String(64), nullable=False),
    Column("edition", Integer, nullable=False),  # the catalogue edition whose item layout checked it
    Column("provider", Text, nullable=False),
    # the client (clients.id) that sent it over the API — an earlier version gave a revoked client's name again,
    # an id is never; NULL from the command line
    Column("client", String(32), nullable=True),
    Column("channel", String(16), nullable=False),  # cli, api
    Column("file_name", Text, nullable=False),
    Column("file_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # running, committed
    Column("rows", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("flagged", Integer, nullable=False),  # organizations not (yet) in the library
    Column("late", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("summary", Text, nullable=True),  # the JSON summary the submitter was given
    Index("ix_credit_batches_provider_item", "provider", "item", "file_hash"),
)
#: Every rejected row of a credit batch, its reasons (JSON list of problems) and values (personal ones masked).
credit_rejects = Table(
    "credit_rejects",
    metadata,
    Column("batch_id", String(64), ForeignKey("credit_batches.id"), primary_key=True),
    Column("row", Integer, primary_key=True, autoincrement=False),
    Column("problems", Text, nullable=False),
    Column("data", Text, nullable=False),
)
#: The current version of each credit record; its identity is item + provider + document number (``id``
#: is a hash of the three). The current version is kept here only; ``credit_record_versions`` holds
#: the versions it replaced.
credit_records = Table(
    "credit_records",
    metadata,
    Column("subject_key", String(80), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("item", String(64), nullable=False),
    Column("provider", Text, nullable=False),
    Column("document_number", Text, nullable=False),
    Column("subject_type", String(24), nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("subject_code", String(20), nullable=True),
    Column("status", String(16), nullable=False),  # in_force, revoked
    Column("version", Integer, nullable=False),
    Column("severity", String(16), nullable=True),
    Column("decided_on", String(10), nullable=True),
    Column("valid_until", String(10), nullable=True),
    Column("due_on", String(10), nullable=True),  # the collection time limit's last day
    Column("late", Integer, nullable=False),  # first submitted after due_on (or a withdrawal after its deadline)
    Column("unknown_organization", Integer, nullable=False),  # the code is not (yet) in the library
    Column("data", Text, nullable=False),  # JSON: column code → value, personal numbers masked
    Column("sealed", Text, nullable=True),  # JSON: column code → the personal number sealed (AES-GCM)
    Column("fingerprint", String(32), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("revoked_on", String(10), nullable=True),
    Column("reason", Text, nullable=True),  # why the last correction or revocation was made
    Column("action", String(16), nullable=False, server_default="created"),  # created, updated, corrected, revoked
    Index("ix_credit_records_id", "id", postgresql_using="hash"),  # looked up by equality only
    postgresql_partition_by=_PARTITION_BY,
)
#: Per provider and item, what ``credit_records`` holds: how many records, how many came late, the five
#: smallest document numbers of late ones, and the provider's last batch.
#: Every writer of ``credit_records`` adds to it in its own transaction, under the provider's and item's
#: lock, so the timeliness report reads one row a pair and no index over the records is kept (and written
#: a row) to count them.
credit_tallies = Table(
    "credit_tallies",
    metadata,
    Column("provider", Text, primary_key=True),
    Column("item", String(64), primary_key=True),
    Column("records", BigInteger, nullable=False),
    Column("late", BigInteger, nullable=False),
    Column("late_examples", Text, nullable=False),  # JSON list, at most five, in order
    # the provider's last committed batch under the item (a report of none too): the timeliness report and
    # /metrics read it here, never by ranking every batch ever sent
    Column("last_batch", String(64), nullable=True),
    Column("last_batch_at", DateTime(timezone=True), nullable=True),
    Column("last_batch_rows", Integer, nullable=True),
    Column("last_batch_rejected", Integer, nullable=True),
)
#: Every retirement of a provider under an item (the one not ended is in force: the provider is not expected
#: to send): when, by whom, why, and how it ended — ``ended_by`` a batch's id when the provider sent again,
#: else who ended it.
credit_retirements = Table(
    "credit_retirements",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("provider", Text, nullable=False),
    Column("item", String(64), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=False),
    Column("retired_by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("ended_by", Text, nullable=True),
    Index("ix_credit_retirements_provider_item", "provider", "item"),
)
#: A credit subject's authorizations: one named application party (a client's name) may query the
#: subject's non-public records of the items named, for a purpose, from ``valid_from`` to
#: ``valid_until``; ``proof`` says where the signed form is kept. Revoked, never deleted.
authorizations = Table(
    "authorizations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("subject_key", String(80), nullable=False),  # a code, or a natural person's keyed hash
    Column("party", String(200), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("items", Text, nullable=False),  # comma-separated catalogue item codes
    Column("valid_from", String(10), nullable=False),
    Column("valid_until", String(10), nullable=False),
    Column("proof", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_on", String(10), nullable=True),
    Column("revoked_reason", Text, nullable=True),
    Index("ix_authorizations_subject_key", "subject_key"),
)
#: Every earlier version of every credit record (created, updated, corrected, revoked), kept for good:
#: a record's history is its current row in ``credit_records`` and these.
credit_record_versions = Table(
    "credit_record_versions",
    metadata,
    Column("subject_key", String(80), primary_key=True),
    Column("record_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("action", String(16), nullable=False),  # created, updated, revoked
    Column("status", String(16), nullable=False),
    Column("batch_id", String(64), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False),
    Column("sealed", Text, nullable=True),
    Column("fingerprint", String(32), nullable=False),
    Column("reason", Text, nullable=True),
    Index("ix_credit_record_versions_batch_id", "batch_id"),
    postgresql_partition_by=_PARTITION_BY,
)
#: The keys that protect natural persons' identity numbers: a keyed hash finds them, AES-GCM seals
#: them. Stored sealed under the operator's secret (the evidence keys' box).
personal_keys = Table(
    "personal_keys",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("sealed", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
#: Every credit report issued (services/sharing/report.py): what /api/v1/reports/{number} answers —
#: that it was issued, when, for whom, covering what, and the hash of each rendering — never its
#: contents. ``covering`` (JSON): the kind's sections or questions, period, domains and whose view;
#: ``files`` (JSON): format → the SHA-256 signed and the SHA-256 of the whole file.
credit_reports = Table(
    "credit_reports",
    metadata,
    Column("number", String(24), primary_key=True),
    Column("subject_code", String(20), nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("data_as_of", String(10), nullable=False),
    Column("covering", Text, nullable=False),
    Column("files", Text, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Index("ix_credit_reports_subject_code", "subject_code"),
)

#: Exchange (services/exchange/exchange.py): the nodes whose packages this node accepts, each with its
#: published evidence keys (JSON: key id → PEM public key); a package from a node not here is refused.
exchange_peers = Table(
    "exchange_peers",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("keys", Text, nullable=False),
    Column("added_by", Text, nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
)
#: Every package applied, per producing node, kind, scope and audience with its sequence range: the next
#: delta from that node starts where the last one ended (a gap is refused, one applied already skipped);
#: the time its producer signed it bounds when the records of the next can have reached the producer.
exchange_packages = Table(
    "exchange_packages",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("package", Text, nullable=False),
    Column("origin", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("scope", String(160), nullable=False),
    Column("audience", String(16), nullable=False),
    Column("after_seq", BigInteger, nullable=False),
    Column("to_seq", BigInteger, nullable=False),
    Column("format", String(8), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
    #: the time the producer signed the package (its manifest's created_at; 0028)
    Column("created_at", DateTime(timezone=True), nullable=True),
    Index("ix_exchange_packages_origin_kind", "origin", "kind", "scope", "audience", "to_seq"),
)
#: The exchange's feed of credit record versions: credit records have no sequence of their own (their
#: batches run side by side), so an export numbers the versions it has not numbered yet
#: (``exchange_credit_pending``), after the ones numbered before, under the ``counters`` row
#: ``exchange_credit`` — outside the ingest path.
exchange_credit_feed = Table(
    "exchange_credit_feed",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False, unique=True),
)
#: The versions written since the feed last numbered them: each row inserted or updated in ``credit_records``
#: or ``credit_record_versions`` adds its subject key, record id and version here — by triggers the migration
#: 0025 makes, so that no writer can leave one out — and the numbering takes them out
#: (services/exchange/feed.number_credit_versions), finding each by its table's primary key. A version may be
#: here more than once, and under a subject key it has left (a record moved to another subject is here under
#: its new key too).
exchange_credit_pending = Table(
    "exchange_credit_pending",
    metadata,
    Column("subject_key", String(80), nullable=False),
    Column("record_id", String(32), nullable=False),
    Column("version", Integer, nullable=False),
)
#: Federation (services/federation/): how far this node's relay has published its own changes of each kind
#: to the broker — ``to_seq`` the end of the last range the broker acknowledged, ``pending_to`` the end of a
#: range being published (published again, with the same message id, when a relay stopped before the
#: acknowledgement was recorded).
federation_published = Table(
    "federation_published",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("to_seq", BigInteger, nullable=False),
    Column("pending_to", BigInteger, nullable=True),
    Column("stream_seq", BigInteger, nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
)
#: Federation: the last message taken from each peer's stream (its stream sequence and when the peer
#: published it), and the peer stream's newest message when the follower last looked (``peer_seq``,
#: ``peer_at``, ``checked_at``) — the lag per peer; the ranges applied are in ``exchange_packages``.
federation_applied = Table(
    "federation_applied",
    metadata,
    Column("origin", String(32), primary_key=True),
    Column("stream_seq", BigInteger, nullable=False),
    Column("message_at", DateTime(timezone=True), nullable=True),
    Column("applied_at", DateTime(timezone=True), nullable=True),
    Column("peer_seq", BigInteger, nullable=True),
    Column("peer_at", DateTime(timezone=True), nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
)
#: The credit record versions a peer sent under an item this node's catalogue has not had yet, held back
#: (each the package row it came as) and applied once the item is known (services/exchange/apply.py): the
#: producer, the earliest time the record is judged as received, whether the producer owns it (federation).
exchange_credit_held = Table(
    "exchange_credit_held",
    metadata,
    Column("origin", String(32), primary_key=True),
    Column("record_id", String(32), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("item", String(64), nullable=False),
    Column("row", Text, nullable=False),
    Column("since", DateTime(timezone=True), nullable=True),
    Column("owned", Integer, nullable=False),
    Column("package", Text, nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),
    Index("ix_exchange_credit_held_item", "item"),
)
#: Federation: the credit records that came from a peer, with the node that owns them: only that node's
#: messages change them, and this node's relay never publishes them again.
federation_records = Table(
    "federation_records",
    metadata,
    Column("record_id", String(32), primary_key=True),
    Column("origin", String(32), nullable=False),
)
