"""The fixture the tests of the credit services share: a database with the 2026 catalogue edition published."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jjjcredit.services import db
from tests.services.credit import credit_files as files


@pytest.fixture
def ready(engine: Engine) -> Engine:
    db.upgrade(engine)
    with engine.begin() as conn:
        files.publish(conn, 2026)
    return engine
