"""web/metrics.py: /metrics shows how fresh the data is — each source's last batch (id, time, rows, reject
ratio), the library's sequence, the evidence key's age — read at the scrape, so an ingest shows at once."""

from __future__ import annotations

import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from jjjcredit.core.codes import uscc
from jjjcredit.services.library import library
from jjjcredit.storage.engine import make_engine
from jjjcredit.web import metrics
from tests.services.library import library_files as files
from tests.web.conftest import Server

SOURCE = "beijing/market-regulation"


def _scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with server.client() as http:
        text = http.get("/metrics").text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _broken(code: str) -> str:
    """``code`` with another check character: a row the library rejects."""
    return code[:17] + next(c for c in uscc.ALPHABET if c != code[17])


def test_an_ingest_shows_on_the_next_scrape(server: Server, database_url: str, tmp_path: Path):
    before = _scrape(server)
    assert ("jjjcredit_library_last_batch_reject_ratio", (("source", SOURCE),)) not in before
    assert ("jjjcredit_audit_backlog", ()) in before
    with server.client() as http:
        documented = http.get("/openapi.json").json()["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(documented) == ["text/plain"]
    assert ("jjjcredit_signing_key_age_seconds", ()) not in before  # no key is made before the first signature

    codes = files.codes(4, seed=7)
    engine = make_engine(database_url)
    path = files.write(tmp_path / "beijing.csv", [[c, f"北京某某{i}科技有限公司", "存续", "2024-05-01", "李四"]
                                                  for i, c in enumerate([*codes[:3], _broken(codes[3])])])
    summary = library.ingest_file(engine, str(path), SOURCE)
    with engine.connect() as conn:
        stats = library.stats(conn)
    engine.dispose()
    assert (summary.rows, summary.rejected) == (4, 1)
    finished = next(b["finished_at"] for b in stats["recent_batches"] if b["id"] == summary.batch)
    if finished.tzinfo is None:
        finished = finished.replace(tzinfo=datetime.UTC)

    with server.client() as http:
        created = http.get("/api/v1/keys").json()["keys"][0]["created_at"]  # the first key is made now
    after = _scrape(server)
    labels = (("source", SOURCE),)
    assert after["jjjcredit_library_last_batch_info", (("batch", summary.batch), *labels)] == 1
    assert abs(after["jjjcredit_library_last_batch_timestamp_seconds", labels] - finished.timestamp()) < 0.001
    assert after["jjjcredit_library_last_batch_rows", labels] == 4
    assert after["jjjcredit_library_last_batch_reject_ratio", labels] == 0.25
    assert after["jjjcredit_library_sequence", ()] == stats["last_seq"] == before["jjjcredit_library_sequence", ()] + 3
    # the fixture's own source keeps its last batch: none of the three it ingested rejected a row
    assert after["jjjcredit_library_last_batch_reject_ratio", (("source", "hebei/market-regulation"),)] == 0
    made = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
    age = after["jjjcredit_signing_key_age_seconds", ()]
    assert 0 <= age <= (datetime.datetime.now(datetime.UTC) - made).total_seconds() + 0.001


def test_a_scrape_the_database_cannot_answer_serves_the_rest(tmp_path: Path, caplog):
    engine = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.sqlite3'}")
    registry = CollectorRegistry()
    Gauge("jjjcredit_audit_backlog", "Audit entries submitted and not yet written", registry=registry).set(2)
    registry.register(metrics.Freshness(engine))
    registry.register(metrics.Credit(engine))
    text = generate_latest(registry).decode()
    engine.dispose()
    assert "jjjcredit_audit_backlog 2.0" in text and "jjjcredit_library_sequence" not in text
    assert "jjjcredit_credit_records" not in text
    assert [r.code for r in caplog.records] == ["db.unavailable"] * 2  # type: ignore[attr-defined]
