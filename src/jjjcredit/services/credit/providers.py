"""A provider of credit records — the department submitting them under a catalogue item: its name as given
(:func:`check_provider`), one name however it is typed (:func:`check_known`), and the lock each provider and
item holds while one batch, correction, repair or retirement of the pair runs (:func:`take_lock`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, select, update

from jjjcredit.core.codes.personal import personal_in
from jjjcredit.core.credit import records as rules
from jjjcredit.core.credit.records import RecordsError
from jjjcredit.storage.schema import counters, credit_tallies

_PROVIDER_CHARS = 200


def check_provider(provider: str) -> str:
    """A provider's name as given, trimmed; refused when empty, too long, holding control characters or a
    personal number (a provider is a department: its name is shown to the public with its records)."""
    name = (provider or "").strip()
    unseen = rules.unseen_character(name)
    personal = personal_in(name)
    if not name or len(name) > _PROVIDER_CHARS or unseen or personal:
        why = f" (it holds the control or invisible character {unseen})" if unseen else ""
        why = " (it holds what looks like an identity or mobile number, which is never shown)" if personal else why
        raise RecordsError("credit.provider", f"A provider is named by 1 to {_PROVIDER_CHARS} printable characters "
                           f"(the department submitting the records, e.g. 石家庄市市场监督管理局){why}; over the API "
                           "the provider is the client the key belongs to.", field="provider")
    return name


def check_known(conn: Connection, provider: str) -> None:
    """Refuse a provider's name that another provider's name already stands for, written another way (full-width
    letters, another bracket style, spaces: compared as document numbers are, core/credit/records.document_key):
    a record's identity holds its provider, so 某局（石家庄） and 某局(石家庄) would publish a decision twice."""
    key = rules.document_key(provider)
    providers = {known for (known,) in conn.execute(select(credit_tallies.c.provider).distinct())}
    if provider in providers:  # (one that provided before this was refused keeps its name)
        return
    for known in sorted(providers):
        if rules.document_key(known) == key:
            raise RecordsError("credit.provider", f'The provider "{provider}" is "{known}", which has provided records '
                               f'before, written another way; give its name as before ("{known}"): a provider is '
                               "one name, and its records are known by it.", field="provider")


def take_lock(conn: Connection, provider: str, item: str, waiting: Callable[[], None] | None = None) -> None:
    """One batch (or correction) at a time per provider and item, whose records no other provider's or
    item's batch can touch (a record's id is a hash of item, provider and document number): on
    PostgreSQL a transaction-level advisory lock on the pair, so loaders of different providers run side
    by side — ``waiting()`` is called first when another batch of the pair holds it; SQLite has one
    writer anyway (the ``credit`` counter's row takes its write lock)."""
    if conn.dialect.name == "postgresql":
        pair = (f"{provider}\x1f{item}",)
        if waiting is not None and not conn.exec_driver_sql(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 3041))", pair).scalar():
            waiting()
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtextextended(%s, 3041))", pair)
    else:
        conn.execute(update(counters).where(counters.c.name == "credit").values(value=counters.c.value + 1))
