"""What the tests of the credit services share: the day they run on, the personal data key, four codes, a reader
entitled to records, a file ingested, and a subject's records as a reader sees them."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import Engine

from jjjcredit.core.credit import persons
from jjjcredit.core.sharing import access
from jjjcredit.services.credit import records
from jjjcredit.services.sharing import disclosure
from tests.services.credit import credit_files as files

TODAY = datetime.date(2026, 6, 1)
PROTECTOR = persons.Protector(bytes(range(32)))
CODES = files.codes(4)
READER = access.Caller("某法院", frozenset({"records"}), 3)


def ingest(engine: Engine, path: Path, item: str = files.PENALTY, provider: str = files.PROVIDER,
           today: datetime.date = TODAY, protector: persons.Protector | None = PROTECTOR) -> records.Summary:
    return records.ingest_file(engine, str(path), item, provider, protector=protector, today=today)


def shown(engine: Engine, code: str, caller: access.Caller = READER) -> dict:
    with engine.begin() as conn:
        return disclosure.subject_records(conn, caller, code, PROTECTOR)
