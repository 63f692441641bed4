"""The demo's synthetic credit records: ingested into a library holding the demo's organizations,
every mistake the manifest lists is refused at its row with its code, and every other row is kept;
the organizations deliberately missing from the library are flagged, and no other."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.credit import persons
from jjjcredit.services import db
from jjjcredit.services.credit import catalogue, records
from jjjcredit.services.credit import demo_data as credit_demo
from jjjcredit.services.library import demo_data, library

TODAY = datetime.date(2026, 6, 15)  # within the working-day calendar's years


def publish_catalogue(engine: Engine, year: int) -> None:
    """Draft the year's catalogue, take it through comments, the contested item's assessment and
    approval, and publish it: records are ingested under a published edition."""
    with engine.begin() as conn:
        catalogue.draft_edition(conn, year, "河北省发展改革委")
        catalogue.open_comments(conn, year, "河北省发展改革委")
        catalogue.assess_item(conn, year, "JJJ-04-001", "专家：保留", "企业代表：同意", "保留", "河北省发展改革委")
        catalogue.approve_edition(conn, year, "河北省人民政府")
        catalogue.publish_edition(conn, year, "河北省发展改革委")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    manifest = demo_data.write_demo_data(out, 900, seed=11, mistake_rate=0.01)
    credit_demo.write_credit_data(out, manifest, today=TODAY)
    return out, json.loads((out / "manifest.json").read_text("utf-8"))


def test_files_for_every_credit_item_in_three_forms(demo):
    out, manifest = demo
    credit = manifest["credit"]
    assert credit["today"] == TODAY.isoformat()
    files = {f["file"]: f for f in credit["files"]}
    assert {f["item"] for f in files.values()} == {"JJJ-03-001", "JJJ-03-002", "JJJ-04-001", "JJJ-04-002", "JJJ-07-001"}
    assert {(f["format"], f["encoding"]) for f in files.values() if f["item"] == "JJJ-03-001"} == {
        ("csv", "utf-8-sig"), ("xlsx", None), ("csv", "gb18030")}
    assert all((out / name).is_file() for name in files)
    assert sum(f["natural_persons"] for f in files.values()) > 0
    assert sum(len(f["unknown_organizations"]) for f in files.values()) > 0
    codes = {m["code"] for f in files.values() for m in f["mistakes"]}
    assert codes == {"record.date", "credit.future_date", "credit.valid_until_before", "record.value",
                     "credit.subject_code", "credit.identity_number", "record.required", "credit.duplicate"}
    # the organization files are not touched by the credit section
    assert all(not f["file"].startswith("credit/") for f in manifest["files"])


def test_the_same_seed_writes_the_same_records(demo, tmp_path):
    out, manifest = demo
    again = demo_data.write_demo_data(tmp_path, 900, seed=11, mistake_rate=0.01)
    credit_demo.write_credit_data(tmp_path, again, today=TODAY)
    for f in manifest["credit"]["files"]:
        if f["format"] == "csv":
            assert (tmp_path / f["file"]).read_bytes() == (out / f["file"]).read_bytes()
    assert json.loads((tmp_path / "manifest.json").read_text("utf-8")) == manifest


def test_every_listed_mistake_is_caught_at_its_row_and_nothing_else_is(demo, engine: Engine):
    out, manifest = demo
    db.upgrade(engine)
    for f in manifest["files"]:
        library.ingest_file(engine, str(out / f["file"]), f["source"])
    publish_catalogue(engine, TODAY.year)
    protector = persons.Protector(bytes(32))
    late = 0
    for f in manifest["credit"]["files"]:
        summary = records.ingest_file(engine, str(out / f["file"]), f["item"], f["provider"], protector=protector,
                                      today=TODAY)
        assert summary.status == "committed" and summary.rows == f["rows"], (f["file"], summary.to_dict())
        with engine.connect() as conn:
            rejected = {r["row"]: r["problems"] for r in records.batch_rejects(conn, summary.batch)}
        listed = {m["row"]: m for m in f["mistakes"]}
        assert sorted(rejected) == sorted(listed), (f["file"], rejected)
        for row, mistake in listed.items():
            found = [p for p in rejected[row] if p["code"] == mistake["code"]]
            assert found, (f["file"], row, mistake, rejected[row])
            assert mistake["field"] in {p["field"] for p in found}, (f["file"], row, found)
        assert summary.rejected == len(listed)
        assert summary.created == f["rows"] - len(listed)
        flagged = sorted(p["row"] for p in summary.problems if p["code"] == "credit.unknown_organization")
        assert flagged == f["unknown_organizations"] and summary.flagged == len(flagged), f["file"]
        late += summary.late
    assert late > 0  # some were decided long before they were sent


def test_subjects_codes_and_identity_numbers_are_valid(demo):
    out, manifest = demo
    files = {f["file"]: f for f in manifest["credit"]["files"]}
    beijing = files["credit/beijing-penalties.csv"]
    text = (out / beijing["file"]).read_text("utf-8-sig").splitlines()
    header = text[0].split(",")
    wrong = {m["row"] for m in beijing["mistakes"]}
    persons_seen = 0
    for number, line in enumerate(text[1:], start=2):
        if number in wrong or '"' in line:
            continue
        cells = dict(zip(header, line.split(","), strict=True))
        assert uscc.is_valid(cells["处罚机关统一社会信用代码"]) and cells["处罚机关统一社会信用代码"][:2] == "11"
        if cells["行政相对人类别"] == "自然人":
            persons_seen += 1
            assert ric.is_valid(cells["证件号码"]) and cells["证件类型"] == "身份证"
        else:
            assert uscc.is_valid(cells["统一社会信用代码"])
        if "罚款" in cells["处罚类别"]:
            assert cells["罚款金额（万元）"]
    assert persons_seen
