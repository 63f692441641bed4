"""The personal data key on a real database (services/sharing/personal_keys.py): made once, kept
sealed, the same for every process, even when two first uses meet."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, text

from jjjcredit.core.sharing import evidence
from jjjcredit.services import db
from jjjcredit.services.sharing import personal_keys

NUMBER = "110105194912310021"


def test_two_first_uses_at_once_keep_one_key(engine: Engine):
    db.upgrade(engine)
    box = evidence.KeyBox("operator secret")
    keys: list[str] = []
    holding = threading.Barrier(2, timeout=10)

    def first_use() -> None:
        with engine.begin() as conn:
            holding.wait()
            made = personal_keys.protector(conn, box)
            assert made is not None
            keys.append(made.subject_key(NUMBER))

    workers = [threading.Thread(target=first_use) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    with engine.begin() as conn:
        again = personal_keys.protector(conn, box)
        assert again is not None and keys == [again.subject_key(NUMBER)] * 2
        sealed = conn.execute(text("SELECT sealed FROM personal_keys")).scalars().all()
    assert len(sealed) == 1 and NUMBER not in sealed[0]
    with engine.connect() as conn:
        assert personal_keys.protector(conn, None) is None  # no operator secret: no key
