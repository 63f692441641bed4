"""Exchange packages between two nodes on real databases (services/exchange/exchange.py): export → import
into an empty node → export again gives the same bytes in every format; a public package holds nothing
the public may not see; a tampered, truncated, unknown, out-of-sequence or bad package is refused and
nothing is applied; one applied already is skipped; credit record versions travel by the exchange feed."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from jjjcredit.core.credit import persons
from jjjcredit.core.credit import records as rules
from jjjcredit.core.exchange import packages, rows
from jjjcredit.core.exchange.packages import Scope
from jjjcredit.core.limits import Limits
from jjjcredit.services import db
from jjjcredit.services.credit import corrections, records
from jjjcredit.services.exchange import apply, exchange, feed
from jjjcredit.services.library import library
from jjjcredit.services.sharing import audit, evidence
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import (
    audit as audit_table,
)
from jjjcredit.storage.schema import (
    changes,
    credit_record_versions,
    credit_records,
    exchange_packages,
    history,
    organizations,
)
from tests.services.credit import credit_files
from tests.services.library import library_files

TODAY = datetime.date(2026, 6, 1)
PROTECTOR = persons.Protector(bytes(range(32)))
BOX = evidence.KeyBox("exchange-test-secret")
CODES = library_files.codes(6, seed=11)
SOURCE = "hebei/market-regulation"
FORMATS = packages.FORMATS


@pytest.fixture
def receiver(new_database_url: Callable[[], str], producer: Engine) -> Iterator[Engine]:
    eng = make_engine(new_database_url())
    db.upgrade(eng)
    with eng.begin() as conn:
        credit_files.publish(conn, 2026)
    with producer.begin() as conn:
        keys = exchange.own_keys(conn, "hebei", BOX)  # the key is made here, before any package is signed
    assert len(keys["keys"]) == 1
    with eng.begin() as conn:
        exchange.add_peer(conn, "hebei", keys, own="beijing", operator="test")
    try:
        yield eng
    finally:
        eng.dispose()


def load_library(engine: Engine, tmp_path: Path, codes: list[str] = CODES, revision: int = 0) -> None:
    path = library_files.organizations(tmp_path / f"orgs{revision}-{len(codes)}.csv", codes, revision=revision,
                                       date=f"2024-01-0{1 + revision}")
    library.ingest_file(engine, str(path), SOURCE)


def load_credit(engine: Engine, tmp_path: Path) -> None:
    rows_ = [credit_files.penalty(CODES[0], "罚〔2026〕1号"), credit_files.penalty(CODES[1], "罚〔2026〕2号"),
             credit_files.penalty(None, "罚〔2026〕3号")]
    path = credit_files.write_csv(tmp_path / "penalties.csv", rows_)
    summary = records.ingest_file(engine, str(path), credit_files.PENALTY, credit_files.PROVIDER,
                                  protector=PROTECTOR, today=TODAY)
    assert summary.created == 3, summary.to_dict()


def export(engine: Engine, out: Path, node: str = "hebei", **options: Any) -> exchange.Exported:
    out.mkdir(parents=True, exist_ok=True)
    return exchange.export_package(engine, out, node=node, box=BOX, operator="test", **options)


def take(engine: Engine, path: Path) -> dict[str, Any]:
    return exchange.import_package(engine, path, node="beijing", operator="test")


def data_of(done: exchange.Exported) -> bytes:
    return (done.path / done.manifest["files"][0]["name"]).read_bytes()


def state(engine: Engine) -> dict[str, int]:
    """How many rows each table an import writes holds."""
    with engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
                for t in (organizations, changes, history, credit_records, credit_record_versions, exchange_packages)}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", packages.KINDS)
def test_export_import_export_gives_the_same_bytes(producer: Engine, receiver: Engine, tmp_path: Path, fmt: str,
                                                   kind: str):
    load_library(producer, tmp_path)
    if kind == "credit_records":
        load_credit(producer, tmp_path)
    first = export(producer, tmp_path / "a", kind=kind, fmt=fmt, audience="government")
    receipt = take(receiver, first.path)
    assert receipt["status"] == "accepted", receipt
    again = export(receiver, tmp_path / "b", node="beijing", kind=kind, fmt=fmt, audience="government")
    assert data_of(again) == data_of(first)
    assert again.manifest["files"] == first.manifest["files"]
    assert first.manifest["counts"]["rows"] == (6 if kind == "organizations" else 3)
    if fmt == "xml":  # valid against the XSD shipped beside it
        from lxml import etree

        schema = etree.XMLSchema(etree.fromstring((first.path / f"{kind}.xsd").read_bytes()))
        assert schema.validate(etree.fromstring(data_of(first))), schema.error_log


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_snapshot_is_written_a_batch_at_a_time_and_reads_back_whole(producer: Engine, receiver: Engine,
                                                                      tmp_path: Path, fmt: str,
                                                                      monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    whole = export(producer, tmp_path / "a", fmt=fmt, audience="government")
    read: list[int] = []
    batches = feed.organization_batches

    def counted(*args: Any, **kwargs: Any) -> Any:
        for batch in batches(*args, **kwargs):
            read.append(len(batch))
            yield batch
    monkeypatch.setattr(feed, "BATCH_ROWS", 4)
    monkeypatch.setattr(feed, "organization_batches", counted)
    first = export(producer, tmp_path / "b", fmt=fmt, audience="government")
    assert read == [4, 2]  # six organizations, never more than a batch at a time
    if fmt != "parquet":  # (Parquet: a row group a batch)
        assert data_of(first) == data_of(whole)
    manifest = first.manifest["files"][0]
    assert manifest["rows"] == 6 and manifest["bytes"] == len(data_of(first))
    assert manifest["sha256"] == hashlib.sha256(data_of(first)).hexdigest()
    assert take(receiver, first.path)["status"] == "accepted"
    again = export(receiver, tmp_path / "c", node="beijing", fmt=fmt, audience="government")
    assert data_of(again) == data_of(first)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", packages.KINDS)
def test_a_package_over_the_part_size_goes_in_parts_each_a_whole_file(producer: Engine, receiver: Engine,
                                                                       tmp_path: Path, fmt: str, kind: str,
                                                                       monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    if kind == "credit_records":
        load_credit(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 2)  # a part is cut only between batches
    whole = export(producer, tmp_path / "a", kind=kind, fmt=fmt, audience="government")
    first = export(producer, tmp_path / "b", kind=kind, fmt=fmt, audience="government",
                   bounds=Limits(exchange_part_bytes=1))
    parts = packages.data_entries(first.manifest)
    total = whole.manifest["counts"]["rows"]
    assert [p["name"] for p in parts] == [packages.data_file(kind, fmt, i) for i in range(1, (total + 1) // 2 + 1)]
    assert [p["rows"] for p in parts] == [2] * (total // 2) + [1] * (total % 2)
    assert sorted(p.name for p in first.path.iterdir()) == sorted(
        [f["name"] for f in first.manifest["files"]] + ["manifest.json"])
    found: list[dict[str, Any]] = []
    for part in parts:  # each part a whole file of its format, its entry its own
        data = (first.path / part["name"]).read_bytes()
        assert part["bytes"] == len(data) and part["sha256"] == hashlib.sha256(data).hexdigest()
        found += rows.read(fmt, kind, first.manifest["columns"], data, "utf-8-sig")
        if fmt == "xml":
            from lxml import etree

            schema = etree.XMLSchema(etree.fromstring((first.path / f"{kind}.xsd").read_bytes()))
            assert schema.validate(etree.fromstring(data)), schema.error_log
    assert found == rows.read(fmt, kind, whole.manifest["columns"], data_of(whole), "utf-8-sig")  # the same rows
    receipt = take(receiver, first.path)
    assert receipt["status"] == "accepted" and receipt["rows"] == total, receipt
    again = export(receiver, tmp_path / "c", node="beijing", kind=kind, fmt=fmt, audience="government",
                   bounds=Limits(exchange_part_bytes=1))
    assert again.manifest["files"] == first.manifest["files"]  # the same bytes, part by part


def test_a_part_holds_at_most_its_rows_and_an_import_reads_at_most_its_limit(producer: Engine, receiver: Engine,
                                                                              tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 1)
    done = export(producer, tmp_path / "out", bounds=Limits(exchange_part_rows=4))
    assert [f["rows"] for f in done.manifest["files"]] == [4, 2]
    receipt = exchange.import_package(receiver, done.path, node="beijing", operator="test",
                                      bounds=Limits(exchange_file_rows=3))
    _refused(receipt, "exchange.too_large")
    assert '"organizations.0001.jsonl" holds 4 rows' in receipt["reason"]["message"]
    assert take(receiver, done.path)["status"] == "accepted"


def test_a_bad_row_in_a_later_part_refuses_the_parts_before_it_too(producer: Engine, receiver: Engine,
                                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 2)
    done = export(producer, tmp_path / "out", bounds=Limits(exchange_part_bytes=1))
    files = done.manifest["files"]
    assert len(files) == 3
    last = done.path / files[2]["name"]
    found = rows.read("jsonl", "organizations", done.manifest["columns"], last.read_bytes())
    found[1]["uscc"] = "91130102MA00000000"  # a bad check character in the last part's second row
    data = rows.write("jsonl", "organizations", done.manifest["columns"], found)
    last.write_bytes(data)
    _resigned(producer, done, [*files[:2], {**files[2], "bytes": len(data),
                                            "sha256": hashlib.sha256(data).hexdigest()}])
    before = state(receiver)
    receipt = take(receiver, done.path)
    _refused(receipt, "exchange.rows")
    assert receipt["problems"] == [{"row": 2, "field": "uscc", "code": "exchange.row", "file": files[2]["name"],
                                    "message": '"91130102MA00000000" is not a valid unified social credit code.'}]
    assert state(receiver) == before  # the two good parts applied before it were rolled back
    last.unlink()  # a part missing: refused before any part is read
    _refused(take(receiver, done.path), "exchange.truncated")
    assert state(receiver) == before


def _resigned(producer: Engine, done: exchange.Exported, files: list[dict[str, Any]]) -> None:
    """The package's manifest with these file entries, signed by the producer again (only the checks of the
    rows can refuse it)."""
    with producer.begin() as conn:
        key_id, key = evidence.current_key(conn, BOX)
    (done.path / "manifest.json").write_text(json.dumps(packages.sign(dict(done.manifest, files=files), key, key_id)),
                                             encoding="utf-8")


def test_an_organization_in_two_parts_is_refused_as_in_one_file(producer: Engine, receiver: Engine, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 2)
    done = export(producer, tmp_path / "out", bounds=Limits(exchange_part_bytes=1))
    files, columns = done.manifest["files"], done.manifest["columns"]
    first = rows.read("jsonl", "organizations", columns, (done.path / files[0]["name"]).read_bytes())
    second = rows.read("jsonl", "organizations", columns, (done.path / files[1]["name"]).read_bytes())
    data = rows.write("jsonl", "organizations", columns, [second[0], dict(first[0])])  # part 1's first again
    (done.path / files[1]["name"]).write_bytes(data)
    _resigned(producer, done, [files[0], {**files[1], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
                               *files[2:]])
    before = state(receiver)
    receipt = take(receiver, done.path)
    _refused(receipt, "exchange.rows")
    assert [(p["file"], p["row"], p["field"]) for p in receipt["problems"]] == [(files[1]["name"], 2, "uscc")]
    assert f'"{first[0]["uscc"]}" is not after' in receipt["problems"][0]["message"]
    assert state(receiver) == before


def test_a_part_gone_after_its_hash_was_checked_is_refused_with_a_receipt(producer: Engine, receiver: Engine,
                                                                           tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 2)
    done = export(producer, tmp_path / "out", bounds=Limits(exchange_part_bytes=1))
    second = done.path / done.manifest["files"][1]["name"]
    checked = exchange._check_files

    def then_gone(*args: Any, **kwargs: Any) -> None:
        checked(*args, **kwargs)
        second.unlink()  # between the check of every file and the reading of this one

    monkeypatch.setattr(exchange, "_check_files", then_gone)
    before = state(receiver)
    _refused(take(receiver, done.path), "exchange.truncated")
    assert state(receiver) == before


def test_a_package_over_the_limit_of_all_its_files_is_refused(producer: Engine, receiver: Engine, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    monkeypatch.setattr(feed, "BATCH_ROWS", 2)
    done = export(producer, tmp_path / "out", bounds=Limits(exchange_part_bytes=1))
    total = sum(f["bytes"] for f in done.manifest["files"])
    receipt = exchange.import_package(receiver, done.path, node="beijing", operator="test",
                                      bounds=Limits(exchange_package_bytes=total - 1))
    _refused(receipt, "exchange.too_large")
    assert f"{total:,}" in receipt["reason"]["message"] and "JJJCREDIT_LIMIT_EXCHANGE_PACKAGE_BYTES" in \
        receipt["reason"]["message"]
    assert take(receiver, done.path)["status"] == "accepted"


@pytest.mark.parametrize("audience", ["government", "public"])
def test_credit_records_read_a_batch_at_a_time_are_the_same_bytes(producer: Engine, tmp_path: Path,
                                                                     audience: str, monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    with producer.begin() as conn:  # versions of records, and a revoked one: each record's kept together
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕2号", "决定撤销",
                                  TODAY, today=TODAY)
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正", TODAY, protector=PROTECTOR, today=TODAY)
    for after in (0, 3):  # a snapshot, and a delta (with a withdrawal for the public)
        whole = export(producer, tmp_path / f"a{after}", kind="credit_records", audience=audience, after=after)
        read: list[list[str]] = []

        def counted(*args: Any, read: list[list[str]] = read, batches: Any = feed.credit_batches,
                    **kwargs: Any) -> Any:
            for batch in batches(*args, **kwargs):
                read.append([row["id"] for row in batch])
                yield batch
        with monkeypatch.context() as patched:
            patched.setattr(feed, "BATCH_ROWS", 1)
            patched.setattr(feed, "credit_batches", counted)
            batched = export(producer, tmp_path / f"b{after}", kind="credit_records", audience=audience,
                             after=after)
        assert all(len(set(ids)) == 1 for ids in read)  # a record a batch, with all its versions
        assert len(read) == whole.manifest["counts"]["records"]
        assert data_of(batched) == data_of(whole)
        assert batched.manifest["counts"] == whole.manifest["counts"]
        assert whole.manifest["counts"]["rows"] >= 1
        if audience == "government" and after == 0:  # records with two versions each
            assert whole.manifest["counts"]["rows"] > whole.manifest["counts"]["records"]


def test_the_package_name_and_manifest_say_what_it_holds(producer: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out", fmt="csv", encoding="gb18030", scope=Scope(region="hebei"))
    manifest = done.manifest
    assert done.path.name.startswith("hebei-organizations-region-hebei-public-000000000001-000000000006-")
    assert sorted(p.name for p in done.path.iterdir()) == ["manifest.json", "organizations.csv"]
    assert json.loads((done.path / "manifest.json").read_text("utf-8")) == manifest
    assert manifest["sequence"] == {"after": 0, "to": 6} and manifest["snapshot"] is True
    assert manifest["catalogue_edition"] == 2026 and manifest["data_elements"] == packages.elements_version()
    assert manifest["node"] == "hebei" and manifest["encoding"] == "gb18030" and manifest["personal"] == "masked"
    data = data_of(done)
    assert manifest["files"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    assert data.decode("gb18030").splitlines()[0] == ",".join(manifest["columns"])
    with producer.connect() as conn:
        public = {k["key_id"]: k["public_key"] for k in evidence.public_keys(conn)}
    assert packages.check_signature(manifest, public) == manifest["signature"]["key_id"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_public_package_holds_no_level_2_or_3_element_and_no_natural_person(producer: Engine, tmp_path: Path,
                                                                              fmt: str):
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    public = data_of(export(producer, tmp_path / "pub", fmt=fmt))
    government = data_of(export(producer, tmp_path / "gov", fmt=fmt, audience="government"))
    public_text = _text(fmt, "organizations", public)
    government_text = _text(fmt, "organizations", government)
    for code in CODES:
        for name, value in library_files.restricted(code).items():
            assert value not in public_text, (name, value)
            # level 2 goes to government sharing, level 3 (the identity number) to no package
            assert (value in government_text) is (name != "legal_rep_id_number"), (name, value)
    public_credit = _text(fmt, "credit_records", data_of(export(producer, tmp_path / "pc", fmt=fmt,
                                                                  kind="credit_records")))
    shared_credit = _text(fmt, "credit_records", data_of(export(producer, tmp_path / "gc", fmt=fmt,
                                                                  kind="credit_records", audience="government")))
    assert "罚〔2026〕1号" in public_credit and "罚〔2026〕3号" not in public_credit
    assert "natural_person" not in public_credit and "P:" not in public_credit
    assert "罚〔2026〕3号" in shared_credit and "natural_person" in shared_credit
    assert credit_files.person() not in shared_credit  # the identity number travels masked, never sealed
    assert "sealed" not in shared_credit


def _text(fmt: str, kind: str, data: bytes) -> str:
    if fmt != "parquet":
        return data.decode("utf-8-sig")
    import io

    import pyarrow.parquet as pq

    return json.dumps(pq.read_table(io.BytesIO(data)).to_pylist(), ensure_ascii=False)


def _refused(receipt: dict[str, Any], code: str) -> None:
    assert receipt["status"] == "rejected" and receipt["reason"]["code"] == code, receipt


def test_a_tampered_byte_is_refused_and_nothing_is_applied(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out")
    before = state(receiver)
    path = done.path / "organizations.jsonl"
    data = bytearray(path.read_bytes())
    data[40] = ord("A") if data[40] != ord("A") else ord("B")
    path.write_bytes(bytes(data))
    receipt = take(receiver, done.path)
    _refused(receipt, "exchange.tampered")
    assert "organizations.jsonl" in receipt["reason"]["message"]
    assert state(receiver) == before
    # a changed manifest breaks its signature
    path.write_bytes(data_of(done)[:0] + bytes(data))
    manifest = json.loads((done.path / "manifest.json").read_text("utf-8"))
    manifest["sequence"]["to"] = 99
    (done.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _refused(take(receiver, done.path), "exchange.signature")
    assert state(receiver) == before


def test_a_truncated_package_is_refused(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out", fmt="parquet")
    before = state(receiver)
    path = done.path / "organizations.parquet"
    path.write_bytes(path.read_bytes()[:-10])
    _refused(take(receiver, done.path), "exchange.truncated")
    path.unlink()
    _refused(take(receiver, done.path), "exchange.truncated")
    (done.path / "manifest.json").unlink()
    _refused(take(receiver, done.path), "exchange.truncated")
    assert state(receiver) == before


def test_a_file_over_the_limit_is_refused_before_it_is_read(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out")
    before = state(receiver)
    size = done.manifest["files"][0]["bytes"]
    receipt = exchange.import_package(receiver, done.path, node="beijing", operator="test",
                                      bounds=Limits(exchange_file_bytes=size - 1))
    _refused(receipt, "exchange.too_large")
    assert f"{size:,}" in receipt["reason"]["message"] and state(receiver) == before
    assert take(receiver, done.path)["status"] == "accepted"  # within the default limit


def test_a_package_from_an_unknown_node_is_refused(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out", node="tianjin")
    before = state(receiver)
    receipt = take(receiver, done.path)
    _refused(receipt, "exchange.unknown_node")
    assert "tianjin" in receipt["reason"]["message"] and "hebei" in receipt["reason"]["message"]
    assert state(receiver) == before


def test_a_gap_is_refused_one_applied_already_skipped_then_the_next_applies(producer: Engine, receiver: Engine,
                                                                            tmp_path: Path):
    load_library(producer, tmp_path, CODES[:3])
    snapshot = export(producer, tmp_path / "1")
    load_library(producer, tmp_path, CODES[:4], revision=1)  # three changed, one created
    first = export(producer, tmp_path / "2", after=snapshot.manifest["sequence"]["to"])
    load_library(producer, tmp_path, CODES, revision=2)
    second = export(producer, tmp_path / "3", after=first.manifest["sequence"]["to"])
    assert first.manifest["sequence"] == {"after": 3, "to": 7} and first.manifest["counts"]["rows"] == 4
    _refused(take(receiver, first.path), "exchange.gap")  # a delta before any snapshot
    assert take(receiver, snapshot.path)["status"] == "accepted"
    before = state(receiver)
    receipt = take(receiver, second.path)
    _refused(receipt, "exchange.gap")
    assert "expected the package that starts at 4 (after 3)" in receipt["reason"]["message"]
    assert state(receiver) == before
    assert take(receiver, first.path)["status"] == "accepted"
    applied = state(receiver)
    skipped = exchange.import_package(receiver, first.path, node="beijing", box=BOX, operator="test")
    assert skipped["status"] == "skipped" and skipped["reason"]["code"] == "exchange.already_applied"
    with receiver.connect() as conn:  # signed by the receiving node, checked with the keys it publishes
        published = {k["key_id"]: k["public_key"] for k in evidence.public_keys(conn)}
    assert packages.check_signature(skipped, published, "receipt") == skipped["signature"]["key_id"]
    assert state(receiver) == applied
    assert take(receiver, second.path)["status"] == "accepted"
    full = export(producer, tmp_path / "full")
    mirrored = export(receiver, tmp_path / "mirror", node="beijing")
    assert data_of(mirrored) == data_of(full)
    with receiver.connect() as conn:
        trail = conn.execute(select(audit_table.c.path, audit_table.c.outcome, audit_table.c.purpose)
                             .where(audit_table.c.service == "exchange").order_by(audit_table.c.seq)).all()
        assert audit.verify_trail(conn) == []
    imports = [t for t in trail if t.path.startswith("exchange import")]
    assert [t.outcome for t in imports] == ["exchange.gap", "ok", "exchange.gap", "ok", "exchange.already_applied",
                                            "ok"]
    assert "from hebei: organizations 4-7 (public, all) accepted: created 1, updated 3" in imports[3].purpose
    assert "refused: A gap" in imports[2].purpose


def test_a_bad_row_refuses_the_whole_package(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    done = export(producer, tmp_path / "out")
    found = rows.read("jsonl", "organizations", done.manifest["columns"], data_of(done))
    found[3]["uscc"] = "91130102MA00000000"  # a bad check character
    data = rows.write("jsonl", "organizations", done.manifest["columns"], found)
    (done.path / "organizations.jsonl").write_bytes(data)
    _resigned(producer, done, [{**done.manifest["files"][0], "bytes": len(data),
                                "sha256": hashlib.sha256(data).hexdigest()}])
    before = state(receiver)
    receipt = take(receiver, done.path)
    _refused(receipt, "exchange.rows")
    assert receipt["problems"] == [{"row": 4, "field": "uscc", "code": "exchange.row",
                                    "message": '"91130102MA00000000" is not a valid unified social credit code.'}]
    assert state(receiver) == before


@pytest.mark.parametrize("kind", packages.KINDS)
def test_a_failure_while_applying_leaves_nothing_applied(producer: Engine, receiver: Engine, tmp_path: Path,
                                                         kind: str, monkeypatch: pytest.MonkeyPatch):
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    done = export(producer, tmp_path / "out", kind=kind, audience="government")
    before = state(receiver)
    writer = {"organizations": "apply_organizations", "credit_records": "apply_credit"}[kind]
    real = getattr(apply, writer)

    def half(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)  # every row written, then the database fails before the package is recorded
        raise OSError("disk full")

    monkeypatch.setattr(apply, writer, half)
    with pytest.raises(OSError):
        take(receiver, done.path)
    assert state(receiver) == before
    monkeypatch.setattr(apply, writer, real)
    assert take(receiver, done.path)["status"] == "accepted"
    assert state(receiver) != before


def test_credit_versions_travel_by_the_exchange_feed_none_lost_none_twice(producer: Engine, receiver: Engine,
                                                                          tmp_path: Path):
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    snapshot = export(producer, tmp_path / "1", kind="credit_records", audience="government")
    assert snapshot.manifest["sequence"] == {"after": 0, "to": 3}
    with producer.begin() as conn:
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕2号", "决定撤销",
                                  TODAY, today=TODAY)
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正", TODAY, protector=PROTECTOR, today=TODAY)
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款三万元"}, "再更正", TODAY, protector=PROTECTOR, today=TODAY)
    delta = export(producer, tmp_path / "2", kind="credit_records", audience="government",
                   after=snapshot.manifest["sequence"]["to"])
    assert delta.manifest["sequence"] == {"after": 3, "to": 6} and delta.manifest["counts"]["rows"] == 3
    empty = export(producer, tmp_path / "3", kind="credit_records", audience="government", after=6)
    assert empty.manifest["counts"]["rows"] == 0 and empty.manifest["sequence"] == {"after": 6, "to": 6}
    for package in (snapshot, delta, empty):
        assert take(receiver, package.path)["status"] in ("accepted", "skipped")
    with receiver.connect() as conn:
        held = conn.execute(text("SELECT id, version, status FROM credit_records ORDER BY id")).all()
        kept = conn.execute(text("SELECT record_id, version FROM credit_record_versions "
                                 "ORDER BY record_id, version")).all()
    with producer.connect() as conn:
        assert held == conn.execute(text("SELECT id, version, status FROM credit_records ORDER BY id")).all()
        assert kept == conn.execute(text("SELECT record_id, version FROM credit_record_versions "
                                         "ORDER BY record_id, version")).all()
    assert sorted(v for _i, v, _s in held) == [1, 2, 3]
    for engine in (producer, receiver):  # the tallies added to by the import agree with the records it wrote
        with engine.connect() as conn:
            stored, counted = credit_files.tallies(conn)
            assert stored == counted and stored
    full = export(producer, tmp_path / "full", kind="credit_records", audience="government")
    mirrored = export(receiver, tmp_path / "mirror", node="beijing", kind="credit_records", audience="government")
    assert data_of(mirrored) == data_of(full) and full.manifest["counts"]["rows"] == 6


def test_a_late_record_replaced_by_an_import_is_no_longer_a_late_example(producer: Engine, receiver: Engine,
                                                                         tmp_path: Path):
    """Both nodes took the same provider's file (a record late in it); the producer's correction, imported,
    replaces the receiver's row with one that is not late: the receiver's tally loses it as an example."""
    load_library(producer, tmp_path)
    rows = [credit_files.penalty(CODES[0], "罚〔2026〕1号", 处罚决定日期="2026-04-01"),
            credit_files.penalty(CODES[1], "罚〔2026〕2号", 处罚决定日期="2026-04-02")]
    path = credit_files.write_csv(tmp_path / "p.csv", rows)
    for engine in (producer, receiver):
        records.ingest_file(engine, str(path), credit_files.PENALTY, credit_files.PROVIDER, protector=PROTECTOR,
                            today=TODAY)
    with producer.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正", TODAY, protector=PROTECTOR, today=TODAY)
    assert take(receiver, export(producer, tmp_path / "1", kind="credit_records", audience="government").path)[
        "status"] == "accepted"
    with receiver.connect() as conn:
        stored, counted = credit_files.tallies(conn)
    assert stored == counted == [(credit_files.PROVIDER, credit_files.PENALTY, 2, 1, ["罚〔2026〕2号"])]


#: Personal numbers as a record kept before the ingest masked every way of writing one could hold them.
CLEAR = "举报人电话 138 1234 5678，身份证 130102 1985 0505 9977"
MASKED = "举报人电话 138****5678，身份证 130102********9977"


def test_a_personal_number_left_in_stored_text_travels_masked_and_is_kept_masked(producer: Engine, receiver: Engine,
                                                                                  tmp_path: Path):
    """A package never carries a personal number in clear, even one a record kept from before holds in its
    text or in a version's reason; and a package from a node that left one in clear is kept masked."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    with producer.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正：" + CLEAR, TODAY, protector=PROTECTOR,
                                   today=TODAY)
        assert conn.execute(text("SELECT reason FROM credit_records WHERE document_number = '罚〔2026〕1号'")
                            ).scalar_one() == "更正：" + MASKED  # a reason is kept masked as it is given
        for table in ("credit_records", "credit_record_versions"):  # as a record kept before would hold them
            conn.execute(text(f"UPDATE {table} SET reason = :r, data = replace(data, '罚款', :v)"),
                         {"r": "更正：" + CLEAR, "v": CLEAR + "，罚款"})
    for fmt in FORMATS:
        done = export(producer, tmp_path / fmt, kind="credit_records", audience="government", fmt=fmt)
        shown = _text(fmt, "credit_records", data_of(done))
        assert "5678" in shown and "1234 5678" not in shown and "1985 0505" not in shown, fmt
        assert "更正：" + MASKED in shown and f"{MASKED}，罚款" in shown, fmt
    done = export(producer, tmp_path / "again", kind="credit_records", audience="government")
    files, columns = done.manifest["files"], done.manifest["columns"]
    found = rows.read("jsonl", "credit_records", columns, data_of(done))
    for row in found:  # a node that sends them in clear
        if row.get("values"):
            row["values"] = row["values"].replace(MASKED, CLEAR)
        if row.get("reason"):
            row["reason"] = row["reason"].replace(MASKED, CLEAR)
    data = rows.write("jsonl", "credit_records", columns, found)
    assert ("更正：" + CLEAR).encode() in data and f"{CLEAR}，罚款".encode() in data
    (done.path / files[0]["name"]).write_bytes(data)
    _resigned(producer, done, [{**files[0], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}])
    assert take(receiver, done.path)["status"] == "accepted"
    with receiver.connect() as conn:
        kept = [" ".join(str(v) for v in r) for r in conn.execute(text(
            "SELECT data, reason FROM credit_records UNION ALL SELECT data, reason FROM credit_record_versions"))]
    assert all(MASKED in k for k in kept) and not any("1234 5678" in k or "1985 0505" in k for k in kept)


def test_a_person_s_record_kept_under_an_organization_s_code_travels_without_the_number(producer: Engine,
                                                                                        tmp_path: Path):
    """A natural person's record filed under an organization's code before such rows were refused (planted as
    it was written): no package, whatever its audience, carries the person's number in clear."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    with producer.begin() as conn:
        credit_files.file_under_code(conn, "罚〔2026〕3号", CODES[0])
    number = credit_files.person()
    for audience in ("government", "public"):
        for fmt in FORMATS:
            done = export(producer, tmp_path / audience / fmt, kind="credit_records", audience=audience, fmt=fmt)
            shown = _text(fmt, "credit_records", data_of(done))
            assert number not in shown and number[6:14] not in shown, (audience, fmt)
            assert ("罚〔2026〕3号" in shown) is (audience == "government"), (audience, fmt)


def test_a_person_s_record_filed_under_the_person_by_rekey_persons_travels_again(producer: Engine, receiver: Engine,
                                                                                  tmp_path: Path):
    """A package holding a natural person's record kept under an organization's code is refused by its
    receiver (a person under a code); once ``credit rekey-persons`` has filed it under the person, the
    package is taken, the record under the person's key with its versions."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    with producer.begin() as conn:
        record_id = credit_files.file_under_code(conn, "罚〔2026〕3号", CODES[0])
    refused = take(receiver, export(producer, tmp_path / "before", kind="credit_records", audience="government").path)
    assert refused["status"] == "rejected" and [p["field"] for p in refused["problems"]] == ["subject_key"]
    with producer.begin() as conn:
        assert corrections.rekey_person(conn, record_id, PROTECTOR) is not None
    taken = take(receiver, export(producer, tmp_path / "after", kind="credit_records", audience="government").path)
    assert taken["status"] == "accepted", taken
    with receiver.connect() as conn:
        assert conn.execute(text("SELECT subject_key, version FROM credit_records WHERE id = :i"),
                            {"i": record_id}).one() == (PROTECTOR.subject_key(credit_files.person()), 2)


def _altered_package(producer: Engine, tmp_path: Path, alter: Callable[[rows.Row], None]) -> tuple[Path, str]:
    """A government package of the producer's credit records (loaded here) as a peer might send it: one
    organization's record changed by ``alter``, the package signed again. Its folder and that record's id."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    done = export(producer, tmp_path / "p", kind="credit_records", audience="government")
    files, columns = done.manifest["files"], done.manifest["columns"]
    found = rows.read("jsonl", "credit_records", columns, data_of(done))
    row = next(r for r in found if r.get("values") and r["subject_type"] != "natural_person")
    alter(row)
    data = rows.write("jsonl", "credit_records", columns, found)
    (done.path / files[0]["name"]).write_bytes(data)
    _resigned(producer, done, [{**files[0], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}])
    return done.path, str(row["id"])


#: A valid resident identity number that passes a unified social credit code's checks as well.
PERSON_AS_CODE = "130102198505010719"


@pytest.mark.parametrize("spoil", ["identity_code", "mobile_code", "spaced_identity_code", "person_with_code",
                                   "person_in_clear_key", "person_key_not_hashed", "date_not_a_date"])
def test_a_package_that_would_keep_a_natural_person_in_clear_is_refused_whole(producer: Engine, receiver: Engine,
                                                                               tmp_path: Path, spoil: str):
    """As the ingest refuses a natural person given as an organization, an import refuses a peer's package
    that would keep one in clear — under an identity number as an organization's code, or with a code or an
    unhashed key on a natural person's record — whole, and its receipt does not echo the number."""
    as_code = {"identity_code": PERSON_AS_CODE, "mobile_code": "13812345678",
               "spaced_identity_code": "130102 19850501 0719"}

    def alter(row: rows.Row) -> None:
        if spoil in as_code:
            row["subject_code"] = row["subject_key"] = as_code[spoil]
        elif spoil == "date_not_a_date":  # (a date that is none broke every read of the receiver's records)
            row["decided_on"] = PERSON_AS_CODE
        else:
            row["subject_type"] = "natural_person"
            row["subject_code"], row["subject_key"] = {"person_with_code": (PERSON_AS_CODE, "P:" + "0" * 40),
                                                       "person_in_clear_key": (None, PERSON_AS_CODE),
                                                       "person_key_not_hashed": (None, "P:" + PERSON_AS_CODE)}[spoil]

    receipt = take(receiver, _altered_package(producer, tmp_path, alter)[0])
    assert receipt["status"] == "rejected" and receipt["reason"]["code"] == "exchange.rows", receipt
    field = "subject_code" if spoil in as_code else "decided_on" if spoil.startswith("date") else "subject_key"
    assert [p["field"] for p in receipt["problems"]] == [field]
    shown = json.dumps(receipt, ensure_ascii=False)
    assert PERSON_AS_CODE not in shown and "13812345678" not in shown and "19850501" not in shown
    with receiver.connect() as conn:
        assert conn.execute(select(func.count()).select_from(credit_records)).scalar_one() == 0


def test_a_personal_number_in_a_peer_s_name_or_document_number_is_kept_masked(producer: Engine, receiver: Engine,
                                                                                tmp_path: Path):
    def alter(row: rows.Row) -> None:
        row["subject_name"] = "张三" + CLEAR
        row["document_number"] = "罚" + PERSON_AS_CODE  # (another record: its id the hash of that number)
        row["id"] = rules.record_id(str(row["item"]), str(row["provider"]), row["document_number"])

    path, record_id = _altered_package(producer, tmp_path, alter)
    assert take(receiver, path)["status"] == "accepted"
    with receiver.connect() as conn:
        kept = conn.execute(text("SELECT subject_name, document_number FROM credit_records WHERE id = :i"),
                            {"i": record_id}).one()
    assert kept.subject_name == "张三" + MASKED and PERSON_AS_CODE not in kept.document_number


def test_export_refusals_say_what_was_expected(producer: Engine, tmp_path: Path):
    with pytest.raises(packages.ExchangeError) as no_folder:
        exchange.export_package(producer, tmp_path / "missing", node="hebei", box=BOX)
    assert no_folder.value.code == "exchange.out"
    (tmp_path / "o").mkdir()
    for options, code in (({"kind": "credit_records", "scope": Scope(region="hebei")}, "exchange.scope"),
                          ({"scope": Scope(item="JJJ-03-001")}, "exchange.scope"),
                          ({"audience": "everyone"}, "exchange.audience"), ({"fmt": "xlsx"}, "exchange.format"),
                          ({"after": 5}, "exchange.after")):
        with pytest.raises(packages.ExchangeError) as refused:
            exchange.export_package(producer, tmp_path / "o", node="hebei", box=BOX, **options)
        assert refused.value.code == code, options
    with pytest.raises(Exception) as no_secret:
        exchange.export_package(producer, tmp_path / "o", node="hebei", box=None)
    assert getattr(no_secret.value, "code", None) == "evidence.no_secret"


def test_a_scope_holds_only_its_region_department_or_item(producer: Engine, receiver: Engine, tmp_path: Path):
    load_library(producer, tmp_path)
    other = library_files.codes(2, seed=12, department="5")  # registered by civil affairs
    path = library_files.organizations(tmp_path / "civil.csv", other)
    library.ingest_file(producer, str(path), SOURCE)
    load_credit(producer, tmp_path)
    market = export(producer, tmp_path / "9", scope=Scope(department="9"))
    civil = export(producer, tmp_path / "5", scope=Scope(region="hebei", department="5"))
    assert market.manifest["counts"]["rows"] == 6 and civil.manifest["counts"]["rows"] == 2
    assert all(o in data_of(civil).decode() for o in other) and CODES[0] not in data_of(civil).decode()
    assert export(producer, tmp_path / "bj", scope=Scope(region="beijing")).manifest["counts"]["rows"] == 0
    licences = export(producer, tmp_path / "l", kind="credit_records", scope=Scope(item=credit_files.LICENCE))
    penalties = export(producer, tmp_path / "p", kind="credit_records", audience="government",
                       scope=Scope(item=credit_files.PENALTY))
    assert licences.manifest["counts"]["rows"] == 0 and penalties.manifest["counts"]["rows"] == 3
    # each scope is its own chain at the receiver: the department-5 snapshot does not make the 9 one a gap
    assert take(receiver, civil.path)["status"] == "accepted"
    assert take(receiver, market.path)["status"] == "accepted"
    with receiver.connect() as conn:
        assert conn.execute(select(func.count()).select_from(organizations)).scalar_one() == 8


def test_a_public_delta_withdraws_a_revoked_record_and_says_nothing_more(producer: Engine, receiver: Engine,
                                                                         tmp_path: Path):
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    snapshot = export(producer, tmp_path / "1", kind="credit_records")
    assert snapshot.manifest["counts"]["rows"] == 2  # the natural person's record is not public
    assert take(receiver, snapshot.path)["status"] == "accepted"
    with producer.begin() as conn:
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕2号", "决定撤销",
                                  TODAY, today=TODAY)
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕3号",
                                   {"处罚内容": "罚款二万元"}, "更正", TODAY, protector=PROTECTOR, today=TODAY)
    delta = export(producer, tmp_path / "2", kind="credit_records", after=snapshot.manifest["sequence"]["to"],
                   fmt="xml")
    assert delta.manifest["counts"] == {"rows": 1, "records": 1, "withdrawals": 1}
    found = rows.read("xml", "credit_records", rows.CREDIT_COLUMNS, data_of(delta))
    # the revoked record as a withdrawal only; the person's corrected record not at all
    assert [{k: v for k, v in r.items() if v is not None} for r in found] == [
        {"id": found[0]["id"], "version": "2", "action": "revoked", "status": "revoked", "at": found[0]["at"]}]
    from lxml import etree

    schema = etree.XMLSchema(etree.fromstring((delta.path / "credit_records.xsd").read_bytes()))
    assert schema.validate(etree.fromstring(data_of(delta))), schema.error_log
    receipt = take(receiver, delta.path)
    assert receipt["status"] == "accepted" and receipt["counts"]["withdrawn"] == 1, receipt
    with receiver.connect() as conn:
        assert conn.execute(text("SELECT version, status FROM credit_records WHERE document_number = '罚〔2026〕2号'")
                            ).one() == (2, "revoked")
    mirrored = export(receiver, tmp_path / "3", node="beijing", kind="credit_records", after=2, fmt="xml")
    assert data_of(mirrored) == data_of(delta)  # the receiver's own public delta says the same
    assert export(receiver, tmp_path / "4", node="beijing", kind="credit_records").manifest["counts"]["rows"] == 1


def _received(engine: Engine, document_number: str, at: str) -> None:
    """The time the producer received a record (its ingest stamps the clock's)."""
    with engine.begin() as conn:
        conn.execute(credit_records.update().where(credit_records.c.document_number == document_number).values(
            created_at=datetime.datetime.fromisoformat(at)))


def test_a_record_under_an_item_unknown_here_is_held_back_and_applied_once_an_edition_adds_it(
        producer: Engine, receiver: Engine, tmp_path: Path):
    """A peer's record under an item this node has not published yet is refused for now, and the package applied
    (the position moves on: the record does not stop the node's stream) — but it is held back, and applied at the
    next package once this node publishes an edition with the item."""
    from jjjcredit.core.credit import catalogue as catalogue_rules
    from jjjcredit.services.credit import catalogue
    from jjjcredit.storage.schema import exchange_credit_held

    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    snapshot = export(producer, tmp_path / "1", kind="credit_records", audience="government")
    files, columns = snapshot.manifest["files"], snapshot.manifest["columns"]
    found = rows.read("jsonl", "credit_records", columns, data_of(snapshot))
    for row in found:  # as a peer whose catalogue has an item this node has not published yet sends it
        if row["document_number"] == "罚〔2026〕2号":
            row["item"] = "JJJ-99-001"
            row["id"] = rules.record_id("JJJ-99-001", str(row["provider"]), row["document_number"])
            new_id = row["id"]
    data = rows.write("jsonl", "credit_records", columns, found)
    (snapshot.path / files[0]["name"]).write_bytes(data)
    _resigned(producer, snapshot, [{**files[0], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}])
    receipt = exchange.import_package(receiver, snapshot.path, node="beijing", operator="test", today=TODAY)
    assert (receipt["status"], receipt["counts"]["created"], receipt["counts"]["refused"]) == ("accepted", 2, 1)
    assert receipt["refused"][0]["code"] == "credit.unknown_item" and "held back" in receipt["refused"][0]["message"]
    with receiver.connect() as conn:
        assert conn.execute(select(exchange_credit_held.c.record_id)).scalars().all() == [new_id]

    with receiver.begin() as conn:  # the receiver's 2027 edition adds the item
        penalty = next(i for i in catalogue.edition_items(conn, 2026) if i.code == credit_files.PENALTY)
        catalogue.draft_edition(conn, 2027, "北京市发展改革委")
        catalogue.add_item(conn, {**catalogue_rules.item_to_dict(penalty), "code": "JJJ-99-001"}, "新增事项",
                           "北京市发展改革委", year=2027)
        catalogue.open_comments(conn, 2027, "北京市发展改革委")
        catalogue.approve_edition(conn, 2027, "北京市人民政府")
        catalogue.publish_edition(conn, 2027, "北京市发展改革委")
    january = datetime.date(2027, 1, 6)
    with producer.begin() as conn:
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正", january, protector=PROTECTOR, today=january)
    delta = export(producer, tmp_path / "2", kind="credit_records", audience="government",
                   after=snapshot.manifest["sequence"]["to"], today=january)
    receipt = exchange.import_package(receiver, delta.path, node="beijing", operator="test", today=january)
    assert (receipt["status"], receipt["counts"]["updated"], receipt["refused"]) == ("accepted", 1, [])
    with receiver.connect() as conn:
        assert conn.execute(select(credit_records.c.item).where(credit_records.c.id == new_id)).scalar_one() == \
            "JJJ-99-001"
        assert conn.execute(select(exchange_credit_held.c.record_id)).all() == []
        trail = list(conn.execute(select(audit_table.c.path, audit_table.c.purpose)).all())
    assert any(p == "exchange apply held" and "created 1" in why for p, why in trail), trail


def _signed_at(producer: Engine, done: exchange.Exported, at: str) -> None:
    """The package's manifest as if the producer had signed it at ``at``, signed again."""
    with producer.begin() as conn:
        key_id, key = evidence.current_key(conn, BOX)
    manifest = {k: v for k, v in done.manifest.items() if k != "signature"} | {"created_at": at}
    (done.path / "manifest.json").write_text(json.dumps(packages.sign(manifest, key, key_id)), encoding="utf-8")


def test_a_received_set_back_before_the_producer_s_last_package_does_not_land_under_a_withdrawn_item(
        producer: Engine, receiver: Engine, tmp_path: Path):
    """A record new here is judged as received no earlier than the producer signed the last package applied here
    from it (its range numbered before the record came): a peer that sets ``received`` back cannot land a
    record under an item this node withdrew since; the same record said received in a package's own window is
    judged by it."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    snapshot = export(producer, tmp_path / "1", kind="credit_records", audience="government")
    _signed_at(producer, snapshot, "2027-01-02T02:00:00.000000Z")  # the producer's last package: 2 January 2027
    assert exchange.import_package(receiver, snapshot.path, node="beijing", operator="test",
                                   today=datetime.date(2026, 12, 1))["counts"]["created"] == 3
    with receiver.connect() as conn:
        assert conn.execute(select(exchange_packages.c.created_at)).scalar_one().isoformat()[:19] == \
            "2027-01-02T02:00:00"
    credit_files.withdraw_in_2027(receiver, credit_files.PENALTY, "北京市")
    january = datetime.date(2027, 1, 6)
    later = [credit_files.penalty(CODES[2], "罚〔2026〕4号", 处罚决定日期="2026-12-20")]
    assert records.ingest_file(producer, str(credit_files.write_csv(tmp_path / "later.csv", later)),
                               credit_files.PENALTY, credit_files.PROVIDER, protector=PROTECTOR,
                               today=january).created == 1
    _received(producer, "罚〔2026〕4号", "2026-06-01T02:00:00+00:00")  # set back, before the withdrawal
    delta = export(producer, tmp_path / "2", kind="credit_records", audience="government", after=3, today=january)
    receipt = exchange.import_package(receiver, delta.path, node="beijing", operator="test", today=january)
    assert receipt["status"] == "accepted" and receipt["counts"]["refused"] == 1, receipt
    assert receipt["refused"][0]["code"] == "credit.withdrawn_item"
    assert all(s in receipt["refused"][0]["message"] for s in ("received the record in 2027", "2027-01-02 10:00"))
    with receiver.connect() as conn:
        assert "罚〔2026〕4号" not in set(conn.execute(select(credit_records.c.document_number)).scalars())


def test_a_record_new_here_under_an_item_withdrawn_or_unknown_here_is_refused_alone(producer: Engine,
                                                                                     receiver: Engine, tmp_path: Path):
    """As the ingest refuses a new record under an item the catalogue in force withdrew, an import refuses a
    peer's record new to this node under it — alone, counted and listed in the receipt with the edition and
    the reason — and one under an item this node never had; the rest of the package applies (a revocation of
    a record held here under the withdrawn item, a record the producer received before the withdrawal), the
    package is applied, and the next delta follows it."""
    load_library(producer, tmp_path)
    load_credit(producer, tmp_path)
    for number in ("罚〔2026〕1号", "罚〔2026〕2号", "罚〔2026〕3号"):
        _received(producer, number, "2026-06-01T02:00:00+00:00")
    snapshot = export(producer, tmp_path / "1", kind="credit_records", audience="government")
    _signed_at(producer, snapshot, "2026-12-01T02:00:00.000000Z")  # (the records after it came after it)
    assert exchange.import_package(receiver, snapshot.path, node="beijing", operator="test",
                                   today=datetime.date(2026, 12, 1))["counts"]["created"] == 3
    credit_files.withdraw_in_2027(receiver, credit_files.PENALTY, "北京市")  # the receiver withdraws penalties
    january = datetime.date(2027, 1, 6)
    later = [credit_files.penalty(CODES[2], "罚〔2026〕4号", 处罚决定日期="2026-12-20"),
             credit_files.penalty(CODES[3], "罚〔2026〕5号", 处罚决定日期="2026-12-20"),
             credit_files.penalty(CODES[4], "罚〔2026〕6号", 处罚决定日期="2026-12-20")]
    assert records.ingest_file(producer, str(credit_files.write_csv(tmp_path / "later.csv", later)),
                               credit_files.PENALTY, credit_files.PROVIDER, protector=PROTECTOR,
                               today=january).created == 3
    _received(producer, "罚〔2026〕4号", "2026-12-30T02:00:00+00:00")  # before the withdrawal came into force
    _received(producer, "罚〔2026〕5号", "2027-01-05T02:00:00+00:00")  # with it in force
    _received(producer, "罚〔2026〕6号", "2027-01-05T02:00:00+00:00")
    with producer.begin() as conn:
        corrections.revoke_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕2号", "决定撤销",
                                  january, today=january)
    delta = export(producer, tmp_path / "2", kind="credit_records", audience="government", after=3,
                   today=january)
    files, columns = delta.manifest["files"], delta.manifest["columns"]
    found = rows.read("jsonl", "credit_records", columns, data_of(delta))
    for row in found:  # as a peer whose catalogue has an item this node never had sends it
        if row["document_number"] == "罚〔2026〕6号":
            row["item"] = "JJJ-99-001"
            row["id"] = rules.record_id("JJJ-99-001", str(row["provider"]), row["document_number"])
    data = rows.write("jsonl", "credit_records", columns, found)
    (delta.path / files[0]["name"]).write_bytes(data)
    _resigned(producer, delta, [{**files[0], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}])
    ids = {r["document_number"]: r["id"] for r in found}

    receipt = exchange.import_package(receiver, delta.path, node="beijing", operator="test", today=january)
    assert receipt["status"] == "accepted", receipt
    assert receipt["counts"] == {"created": 1, "updated": 1, "withdrawn": 0, "unchanged": 0, "refused": 2}
    refused = {r["id"]: r for r in receipt["refused"]}
    assert set(refused) == {ids["罚〔2026〕5号"], ids["罚〔2026〕6号"]}
    gone, unknown = refused[ids["罚〔2026〕5号"]], refused[ids["罚〔2026〕6号"]]
    assert (gone["code"], gone["field"], gone["version"]) == ("credit.withdrawn_item", "item", 1)
    assert all(s in gone["message"] for s in (credit_files.PENALTY, "2027 edition", "并入严重失信主体名单事项",
                                              ids["罚〔2026〕5号"]))
    assert unknown["code"] == "credit.unknown_item" and "JJJ-99-001" in unknown["message"]
    with receiver.connect() as conn:
        held = dict(conn.execute(select(credit_records.c.document_number, credit_records.c.status)).all())
        assert held == {"罚〔2026〕1号": "in_force", "罚〔2026〕2号": "revoked", "罚〔2026〕3号": "in_force",
                        "罚〔2026〕4号": "in_force"}
        assert conn.execute(select(func.max(exchange_packages.c.to_seq))).scalar_one() == 7
        trail = conn.execute(select(audit_table.c.purpose).order_by(audit_table.c.seq.desc())).scalars().first()
        assert trail is not None and "refused 2" in trail and ids["罚〔2026〕5号"] in trail
    with producer.begin() as conn:  # the next delta follows: the receiver's position moved past the refusals
        corrections.correct_record(conn, credit_files.PENALTY, credit_files.PROVIDER, "罚〔2026〕1号",
                                   {"处罚内容": "罚款二万元"}, "更正", january, protector=PROTECTOR, today=january)
    nxt = export(producer, tmp_path / "3", kind="credit_records", audience="government", after=7, today=january)
    receipt = exchange.import_package(receiver, nxt.path, node="beijing", operator="test", today=january)
    assert (receipt["status"], receipt["counts"]["updated"], receipt["refused"]) == ("accepted", 1, [])
