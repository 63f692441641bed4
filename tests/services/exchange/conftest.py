"""What the exchange's tests share: a producing node's database, upgraded, with the 2026 catalogue published."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jjjcredit.services import db
from tests.services.credit import credit_files


@pytest.fixture
def producer(engine: Engine) -> Engine:
    db.upgrade(engine)
    with engine.begin() as conn:
        credit_files.publish(conn, 2026)
    return engine
