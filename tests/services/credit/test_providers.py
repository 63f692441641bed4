"""The lock per provider and item (services/credit/providers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from jjjcredit.services.credit import providers
from tests.services.credit import credit_files as files
from tests.services.credit.credit_db import CODES, ingest


def test_a_provider_loading_does_not_wait_for_another_provider(ready: Engine, tmp_path: Path):
    """Batches of one provider and item wait for each other; another provider's batch goes on."""
    path = files.write_csv(tmp_path / "a.csv", [files.penalty(CODES[0], "罚1")])
    with ready.connect() as holder:
        holder.begin()
        providers.take_lock(holder, files.PROVIDER, files.PENALTY)
        if ready.dialect.name != "postgresql":  # one writer: the second waits for the first's transaction
            holder.rollback()
        assert ingest(ready, path, provider="另一个局").created == 1
        if ready.dialect.name == "postgresql":  # the same provider and item waits, and says so first
            said: list[str] = []
            with ready.connect() as other, pytest.raises(OperationalError, match="lock timeout"), other.begin():
                other.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
                providers.take_lock(other, files.PROVIDER, files.PENALTY, lambda: said.append("waiting"))
            assert said == ["waiting"]
            holder.rollback()


