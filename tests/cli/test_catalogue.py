"""``jjjcredit catalogue`` through the real command, on a real database: the edition workflow, the
diff and every export format."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, RDF
from sqlalchemy import update

from jjjcredit.core.credit import catalogue as core
from jjjcredit.core.credit import working_days
from jjjcredit.services import db
from jjjcredit.storage.engine import make_engine
from jjjcredit.storage.schema import catalogue_editions
from tests.cli.test_codes import run


@pytest.fixture
def url(database_url: str) -> str:
    engine = make_engine(database_url)
    db.upgrade(engine)
    engine.dispose()
    return database_url


def _ok(*args: str) -> str:
    result = run("catalogue", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _published_2026(url: str) -> None:
    _ok("draft", "2026", "--by", "河北省发展改革委", "--db", url)
    until = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    _ok("open-comments", "2026", "--by", "河北省发展改革委", "--until", until, "--db", url)
    _ok("comment", "2026", "--author", "张三", "--text", "建议缩短归集时限", "--item", "JJJ-03-001", "--db", url)
    refused = run("catalogue", "approve", "2026", "--by", "河北省人民政府", "--db", url)
    assert refused.returncode == 1 and "[catalogue.comment_period]" in refused.stderr  # the period still runs
    engine = make_engine(url)
    with engine.begin() as conn:  # (as if its last day had passed)
        ended = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
        conn.execute(update(catalogue_editions).values(comments_until=ended))
    engine.dispose()
    refused = run("catalogue", "approve", "2026", "--by", "河北省人民政府", "--db", url)
    assert refused.returncode == 1 and "[catalogue.assessment]" in refused.stderr
    _ok("assess", "2026", "JJJ-04-001", "--experts", "同意保留", "--representatives", "企业代表同意",
        "--conclusion", "保留", "--by", "河北省发展改革委", "--db", url)
    _ok("approve", "2026", "--by", "河北省人民政府", "--db", url)
    _ok("publish", "2026", "--by", "河北省发展改革委", "--db", url)


def test_the_workflow_a_change_during_the_year_and_the_diff(url: str, tmp_path: Path):
    _published_2026(url)
    shown = _ok("show", "--db", url)
    assert shown.count("\n") == len(core.default_items()) and "JJJ-03-001\t行政处罚信息" in shown
    comments = [json.loads(line) for line in _ok("comments", "2026", "--db", url).splitlines()]
    assert [(c["author"], c["item"]) for c in comments] == [("张三", "JJJ-03-001")]
    refused = run("catalogue", "item", "change", "JJJ-03-001", "--set", "update_period=实时", "--reason", "更及时",
                  "--by", "发改委", "--year", "2026", "--db", url)
    assert refused.returncode == 1 and "[catalogue.published]" in refused.stderr
    no_reason = run("catalogue", "item", "withdraw", "JJJ-07-001", "--reason", " ", "--by", "发改委", "--db", url)
    assert no_reason.returncode == 1 and "[catalogue.reason]" in no_reason.stderr
    _ok("draft", "2027", "--by", "发改委", "--db", url)
    alone = run("catalogue", "item", "change", "JJJ-03-001", "--set", "security_level=2", "--reason", "收紧",
                "--by", "发改委", "--year", "2027", "--db", url)  # restricted, yet disclosed to the public
    assert alone.returncode == 2 and "[catalogue.item]" in alone.stderr and "security level 1" in alone.stderr
    _ok("item", "change", "JJJ-03-001", "--set", "update_period=实时", "--set", "security_level=2",
        "--set", "disclosure_mode=government_sharing", "--reason", "更及时", "--by", "发改委", "--year", "2027",
        "--db", url)
    new = {**core.item_to_dict(core.default_items()[0]), "code": "JJJ-08-001", "name": "海关高级认证企业信息"}
    (tmp_path / "item.json").write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    _ok("item", "add", "--file", str(tmp_path / "item.json"), "--reason", "新增", "--by", "发改委", "--year", "2027",
        "--db", url)
    _ok("item", "withdraw", "JJJ-07-001", "--reason", "并入评价事项", "--by", "发改委", "--year", "2027", "--db", url)
    diff = json.loads(_ok("diff", "2026", "2027", "--format", "json", "--db", url))
    assert (diff["added"], diff["withdrawn"]) == (["JJJ-08-001"], ["JJJ-07-001"])
    assert [(c["item"], c["attribute"], c["old"], c["new"]) for c in diff["changed"]] == [
        ("JJJ-03-001", "update_period", "每日", "实时"), ("JJJ-03-001", "security_level", 1, 2),
        ("JJJ-03-001", "disclosure_mode", "public_disclosure", "government_sharing")]
    text = _ok("diff", "2026", "2027", "--db", url)
    assert "+ JJJ-08-001" in text and "- JJJ-07-001" in text and '"每日" → "实时"' in text
    changes = [json.loads(line) for line in _ok("changes", "2027", "--db", url).splitlines()]
    assert [(c["action"], c["reason"]) for c in changes] == [("change", "更及时"), ("add", "新增"),
                                                             ("withdraw", "并入评价事项")]
    published = json.loads(_ok("show", "2026", "--format", "json", "--db", url))
    penalty = next(i for i in published["items"] if i["code"] == "JJJ-03-001")
    assert penalty["update_period"] == "每日" and published["status"] == "published"


def test_a_layout_change_is_diffed_and_listed_field_by_field(url: str):
    _published_2026(url)
    _ok("draft", "2027", "--by", "发改委", "--db", url)
    fields = core.item_to_dict(core.default_item("JJJ-03-001"))["fields"]
    dropped = fields.pop(1)
    fields[0]["max_length"] = 64
    _ok("item", "change", "JJJ-03-001", "--set", "fields=" + json.dumps(fields, ensure_ascii=False),
        "--set", "update_period=实时", "--reason", "精简数据项", "--by", "发改委", "--year", "2027", "--db", url)
    diff = json.loads(_ok("diff", "2026", "2027", "--format", "json", "--db", url))
    assert diff["changed"] == [
        {"item": "JJJ-03-001", "attribute": "update_period", "old": "每日", "new": "实时"},
        {"item": "JJJ-03-001", "attribute": "fields", "field": dropped["element"], "field_name": dropped["name"],
         "change": "dropped", "field_attribute": None, "old": dropped, "new": None},
        {"item": "JJJ-03-001", "attribute": "fields", "field": "CF_XDR_MC", "field_name": "行政相对人名称",
         "change": "changed", "field_attribute": "max_length", "old": 200, "new": 64}]
    text = _ok("diff", "2026", "2027", "--db", url)
    assert text.splitlines() == ['~ JJJ-03-001\tupdate_period\t"每日" → "实时"',
                                 f"~ JJJ-03-001\tfields {dropped['element']} {dropped['name']}\tdropped",
                                 "~ JJJ-03-001\tfields CF_XDR_MC 行政相对人名称\tmax_length 200 → 64"]
    [change] = [json.loads(line) for line in _ok("changes", "2027", "--db", url).splitlines()]
    assert change["attributes"] == {  # the change kept says the layout field by field too, not both layouts
        "update_period": {"old": "每日", "new": "实时"},
        "fields": {"field_changes": [{k: v for k, v in row.items() if k not in ("item", "attribute")}
                                     for row in diff["changed"][1:]]}}


def test_show_says_whether_the_edition_is_in_force(url: str):
    """With next year's edition published (as in December), `catalogue show` still shows it by default
    but says it waits for 1 January and which edition is in force until then."""
    year = working_days.today().year
    for y in (year, year + 1):
        _ok("draft", str(y), "--by", "发改委", "--db", url)
        _ok("open-comments", str(y), "--by", "发改委", "--db", url)
        if y == year:
            _ok("assess", str(y), "JJJ-04-001", "--experts", "同意", "--representatives", "同意", "--conclusion",
                "保留", "--by", "发改委", "--db", url)
        _ok("approve", str(y), "--by", "河北省人民政府", "--db", url)
        _ok("publish", str(y), "--by", "发改委", "--db", url)
    engine = make_engine(url)
    with engine.begin() as conn:  # (as if it had been published last December)
        conn.execute(update(catalogue_editions).where(catalogue_editions.c.year == year)
                     .values(published_at=datetime.datetime(year - 1, 12, 20, tzinfo=datetime.UTC)))
    engine.dispose()
    shown = run("catalogue", "show", "--db", url)
    assert shown.returncode == 0 and f"catalogue {year + 1}: published" in shown.stderr
    assert f"; not in force yet: in force from {year + 1}-01-01 (the {year} edition is in force until then)" \
        in shown.stderr
    current = run("catalogue", "show", str(year), "--db", url)
    assert f"; in force since {year}-01-01 until {year + 1}-01-01, when the {year + 1} edition takes over" \
        in current.stderr


def test_personal_numbers_in_comments_are_masked(url: str):
    """As GET /api/v1/catalogue/{year}/comments shows them (services/sharing/disclosure.catalogue_comments), the
    command line masks identity and mobile numbers in a comment's author and text."""
    _ok("draft", "2027", "--by", "发改委", "--db", url)
    _ok("open-comments", "2027", "--by", "发改委", "--db", url)
    _ok("comment", "2027", "--author", "李四 13812345678", "--text", "身份证 110105194912319964，电话 13912345678",
        "--db", url)
    [comment] = [json.loads(line) for line in _ok("comments", "2027", "--db", url).splitlines()]
    assert (comment["author"], comment["text"]) == ("李四 138****5678", "身份证 110105********9964，电话 139****5678")


def test_a_withdrawn_item_takes_comments(url: str):
    _published_2026(url)
    _ok("draft", "2027", "--by", "发改委", "--db", url)
    _ok("item", "withdraw", "JJJ-04-002", "--reason", "并入严重失信主体名单", "--by", "发改委", "--year", "2027",
        "--db", url)
    _ok("open-comments", "2027", "--by", "发改委", "--db", url)
    _ok("comment", "2027", "--author", "某企业", "--text", "反对撤销", "--item", "JJJ-04-002", "--db", url)
    comments = [json.loads(line) for line in _ok("comments", "2027", "--db", url).splitlines()]
    assert [(c["author"], c["item"]) for c in comments] == [("某企业", "JJJ-04-002")]
    refused = run("catalogue", "comment", "2027", "--author", "某企业", "--text", "意见", "--item", "JJJ-99-001",
                  "--db", url)
    assert refused.returncode == 1 and "[catalogue.unknown_item]" in refused.stderr
    assert "one it withdraws from the 2026 edition (JJJ-04-002)" in refused.stderr


def test_a_file_of_items_is_added_whole_or_not_at_all_and_says_which(url: str, tmp_path: Path):
    _ok("draft", "2026", "--by", "发改委", "--db", url)
    base = core.item_to_dict(core.default_items()[0])
    good = [{**base, "code": f"JJJ-20-00{n}", "name": f"事项{n}"} for n in (1, 2)]

    def add(items: object) -> Any:
        (tmp_path / "items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        return run("catalogue", "item", "add", "--file", str(tmp_path / "items.json"), "--reason", "新增", "--by",
                   "发改委", "--year", "2026", "--db", url)

    bad = add([*good, {**base, "code": "JJJ-20-003", "kind": "bad"}])
    assert bad.returncode == 2 and "[catalogue.item]" in bad.stderr and "added" not in bad.stderr  # none kept
    twice = add([good[0], good[0]])
    assert twice.returncode == 2 and "[catalogue.data]" in twice.stderr and "JJJ-20-001" in twice.stderr
    empty = add([])
    assert empty.returncode == 2 and "[catalogue.data]" in empty.stderr
    done = add(good)
    assert done.returncode == 0 and "2 item(s) added to the 2026 edition: JJJ-20-001, JJJ-20-002" in done.stderr
    assert "JJJ-20-002" in _ok("show", "2026", "--db", url)


def test_every_export_format(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _published_2026(url)
    for fmt in ("csv", "xlsx", "json", "dcat-jsonld", "dcat-turtle"):
        _ok("export", "2026", "--format", fmt, "--out", str(tmp_path / f"c.{fmt}"), "--db", url)
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_bytes().decode("utf-8-sig"))))
    assert len(rows) == len(core.default_items()) + 1
    _ok("export", "2026", "--format", "csv", "--csv-encoding", "gb18030", "--out", str(tmp_path / "gb.csv"),
        "--db", url)
    assert (tmp_path / "gb.csv").read_bytes().decode("gb18030").replace("\r\n", "\n") == \
        (tmp_path / "c.csv").read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    book = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert book["目录2026"].max_row == len(core.default_items()) + 1
    assert core.load_items((tmp_path / "c.json").read_text("utf-8")) == core.default_items()
    doc = json.loads((tmp_path / "c.json").read_text("utf-8"))  # the edition as the API answers it
    assert doc == json.loads(_ok("show", "2026", "--format", "json", "--db", url))
    assert (doc["based_on"], doc["comments_until"]) == (None, "2020-01-01T00:00:00Z")
    assert doc["in_force_from"] is not None and isinstance(doc["in_force"], bool)
    turtle = Graph().parse(tmp_path / "c.dcat-turtle", format="turtle")
    assert len(set(turtle.subjects(RDF.type, DCAT.Dataset))) == len(core.default_items())
    monkeypatch.setenv("JJJCREDIT_CATALOGUE_BASE_URI", "https://credit.example/catalogue")
    named = Graph().parse(data=_ok("export", "2026", "--format", "dcat-turtle", "--db", url), format="turtle")
    assert set(named.subjects(RDF.type, DCAT.Catalog)) == {URIRef("https://credit.example/catalogue/2026")}
    assert URIRef("https://credit.example/catalogue/2026/items/JJJ-03-001") in set(named.subjects())
    doc = json.loads((tmp_path / "c.dcat-jsonld").read_text("utf-8"))
    assert "@context" in doc and any(n.get("@type") == "dcat:Catalog" for n in doc["@graph"])
    bad = run("catalogue", "export", "2026", "--format", "pdf", "--db", url)
    assert bad.returncode == 2 and "[usage.format]" in bad.stderr


def test_an_unknown_edition_is_named(url: str):
    result = run("catalogue", "show", "2030", "--db", url)
    assert result.returncode == 1 and "[catalogue.no_edition]" in result.stderr
    empty = run("catalogue", "show", "--db", url)
    assert empty.returncode == 1 and "catalogue draft" in empty.stderr


def test_the_dcat_export_names_the_edition_as_the_api_does(url: str, monkeypatch: pytest.MonkeyPatch):
    """Without JJJCREDIT_CATALOGUE_BASE_URI the resources are named under the reports' address, as the API
    names them: a harvester that reads both finds one catalogue, not two."""
    _published_2026(url)
    monkeypatch.delenv("JJJCREDIT_CATALOGUE_BASE_URI", raising=False)
    monkeypatch.setenv("JJJCREDIT_REPORT_BASE_URL", "https://credit.example/")
    named = Graph().parse(data=_ok("export", "2026", "--format", "dcat-turtle", "--db", url), format="turtle")
    assert set(named.subjects(RDF.type, DCAT.Catalog)) == {URIRef("https://credit.example/api/v1/catalogue/2026")}


def test_exporting_an_edition_not_published_says_so(url: str, tmp_path: Path):
    _ok("draft", "2027", "--by", "河北省发展改革委", "--db", url)
    result = run("catalogue", "export", "2027", "--format", "xlsx", "--out", str(tmp_path / "c.xlsx"), "--db", url)
    assert result.returncode == 0 and "the 2027 edition is draft, not published" in result.stderr
    assert openpyxl.load_workbook(tmp_path / "c.xlsx").sheetnames[0] == "目录2027（草案）"


def test_a_gb18030_csv_with_a_character_beyond_gbk_is_flagged(url: str, tmp_path: Path):
    """GB18030 holds 𠀀 (four bytes) but Excel on a Chinese Windows reads the file as GBK: the command says
    which items would show garbled and what keeps them."""
    _ok("draft", "2027", "--by", "河北省发展改革委", "--db", url)
    _ok("item", "change", "JJJ-03-001", "--set", "name=𠀀行政处罚信息", "--reason", "生僻字", "--by",
        "河北省发展改革委", "--year", "2027", "--db", url)
    out = tmp_path / "gb.csv"
    result = run("catalogue", "export", "2027", "--format", "csv", "--csv-encoding", "gb18030", "--out", str(out),
                 "--db", url)
    assert result.returncode == 0 and "JJJ-03-001 (𠀀)" in result.stderr and "utf-8-sig" in result.stderr
    assert "𠀀行政处罚信息" in out.read_bytes().decode("gb18030")  # nothing lost in the file itself
    plain = run("catalogue", "export", "2027", "--format", "csv", "--out", str(tmp_path / "u.csv"), "--db", url)
    assert "GBK" not in plain.stderr
