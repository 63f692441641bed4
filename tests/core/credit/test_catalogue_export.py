"""The catalogue's exports (core/credit/catalogue_export.py): CSV, XLSX, JSON and DCAT-AP, read back."""

from __future__ import annotations

import csv
import datetime
import io
import json
from pathlib import Path

import openpyxl
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS

from jjjcredit.core.credit import catalogue
from jjjcredit.core.credit import catalogue_export as export

ITEMS = catalogue.default_items()
INFO = export.EditionInfo(2026, "published", "河北省人民政府", datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC),
                          datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_opens_in_excel_and_holds_every_item(encoding: str):
    data = export.to_csv(ITEMS, encoding)
    if encoding == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode(encoding), newline="")))
    assert rows[0][:12] == [label for label, _ in catalogue.STATUTORY.values()]
    assert [r[0] for r in rows[1:]] == sorted(i.code for i in ITEMS)
    penalty = next(r for r in rows if r[0] == "JJJ-03-001")
    assert "行政处罚决定书文号(CF_WSH, 必填, ≤128)" in penalty[-1]


def test_a_cell_excel_would_run_as_a_formula_is_quoted():
    bad = catalogue.item_from_dict({**catalogue.item_to_dict(ITEMS[0]), "provider": "=HYPERLINK(\"x\")"})
    rows = list(csv.reader(io.StringIO(export.to_csv([bad]).decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"x\")"


def test_xlsx_keeps_a_text_that_looks_like_a_formula_as_text_as_it_is():
    """In XLSX a text is a text cell in every sheet — never a formula, never with an apostrophe shown."""
    plain = catalogue.item_to_dict(catalogue.default_item("JJJ-03-001"))
    plain["name"] = '=HYPERLINK("http://evil.example","点我")'
    plain["fields"] = [{**plain["fields"][0], "name": "=1+1"}, *plain["fields"][1:]]
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx([catalogue.item_from_dict(plain)], INFO)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows(min_row=2) for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    found = {c.value for c in cells}
    assert {plain["name"], "=1+1"} <= found and not any(str(v).startswith("'") for v in found)
    assert book["目录2026"].cell(2, 12).value == 1  # the security level, a number


def test_xlsx_has_the_items_and_their_fields_and_is_the_same_bytes_each_time():
    data = export.to_xlsx(ITEMS, INFO)
    assert data == export.to_xlsx(ITEMS, INFO)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet, fields = book["目录2026"], book["数据项"]
    values = list(sheet.values)
    assert values[0][0] == "目录编码" and [r[0] for r in values[1:]] == sorted(i.code for i in ITEMS)
    assert sum(len(i.fields) for i in ITEMS) == fields.max_row - 1


def test_json_reads_back_as_the_same_items():
    data = export.to_json(ITEMS, INFO)
    assert catalogue.load_items(data.decode("utf-8")) == ITEMS
    doc = json.loads(data)
    assert (doc["year"], doc["status"], doc["published_at"]) == (2026, "published", "2026-01-15T00:00:00Z")
    assert doc == export.edition_to_dict(INFO, ITEMS)  # the one shape of an edition, the API's too


def test_the_json_says_where_the_edition_comes_from_and_when_it_is_in_force():
    period = catalogue.InForce("past", datetime.date(2026, 1, 1), datetime.date(2027, 1, 1), 2027)
    until = datetime.datetime(2025, 12, 1, 15, 59, 59, tzinfo=datetime.UTC)
    info = export.EditionInfo(2026, "published", based_on=2025, comments_until=until, in_force=period)
    doc = json.loads(export.to_json(ITEMS, info))
    assert {k: v for k, v in doc.items() if k != "items"} == {
        "year": 2026, "status": "published", "based_on": 2025, "comments_until": "2025-12-01T15:59:59Z",
        "approved_by": None, "approved_at": None, "published_at": None, "in_force": False,
        "in_force_from": "2026-01-01", "in_force_until": "2027-01-01"}
    draft = export.edition_to_dict(export.EditionInfo(2027, "draft"))
    assert (draft["in_force"], draft["in_force_from"], draft["in_force_until"], "items" in draft) == \
        (False, None, None, False)


# rdflib's own JSON-LD parser builds a ConjunctiveGraph, which rdflib 7.2+ marks deprecated
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_turtle_and_json_ld_parse_back_to_the_same_dcat_graph():
    turtle = Graph().parse(data=export.to_turtle(ITEMS, INFO).decode("utf-8"), format="turtle")
    jsonld = Graph().parse(data=export.to_jsonld(ITEMS, INFO).decode("utf-8"), format="json-ld")
    assert isomorphic(turtle, export.graph(ITEMS, INFO))
    assert isomorphic(jsonld, turtle)
    catalogues = list(turtle.subjects(RDF.type, DCAT.Catalog))
    assert catalogues == [URIRef(export.BASE + "2026")]
    datasets = set(turtle.objects(catalogues[0], DCAT.dataset))
    assert len(datasets) == len(ITEMS) == len(set(turtle.subjects(RDF.type, DCAT.Dataset)))
    penalty = URIRef(export.BASE + "2026/items/JJJ-03-001")
    assert turtle.value(penalty, DCTERMS.identifier) == Literal("JJJ-03-001")
    assert turtle.value(penalty, export.JJJC.securityLevel).toPython() == 1
    assert str(turtle.value(penalty, export.JJJC.collectionTimeLimit)).startswith("作出决定之日起 7")
    assert turtle.value(penalty, DCTERMS.accessRights) == URIRef(export.EU_ACCESS + "PUBLIC")
    assert {str(s) for s in turtle.objects(penalty, export.JJJC.severity)} == {"minor", "general", "serious"}
    # what DCAT-AP asks of every catalogue (a description, a publisher) and dataset (a description)
    for node in (catalogues[0], *datasets):
        assert turtle.value(node, DCTERMS.description) is not None, node
    publisher = turtle.value(catalogues[0], DCTERMS.publisher)
    assert publisher is not None and turtle.value(publisher, FOAF.name) is not None


def test_every_extension_term_used_is_documented():
    g = export.graph(ITEMS, INFO)
    used = {str(p).removeprefix(str(export.JJJC)) for p in g.predicates() if str(p).startswith(str(export.JJJC))}
    assert used <= set(export.VOCABULARY)


def test_the_json_ld_is_compact_with_the_context_and_the_same_bytes_each_time():
    data = export.to_jsonld(ITEMS, INFO)
    assert data == export.to_jsonld(ITEMS, INFO)
    doc = json.loads(data)
    assert doc["@context"]["dcat"] == str(DCAT) and doc["@context"]["jjjc"] == str(export.JJJC)
    nodes = {n["@id"]: n for n in doc["@graph"]}
    penalty = nodes[export.BASE + "2026/items/JJJ-03-001"]
    assert penalty["@type"] == "dcat:Dataset" and penalty["dct:identifier"] == "JJJ-03-001"
    assert penalty["jjjc:securityLevel"] == 1
    contact = nodes[penalty["dcat:contactPoint"]["@id"]]
    assert doc["@context"]["vcard"] == str(export.VCARD) and contact["@type"] == "vcard:Organization"
    assert contact["vcard:fn"] == {"@language": "zh", "@value": catalogue.default_item("JJJ-03-001").provider}
    cat = nodes[export.BASE + "2026"]
    assert cat["@type"] == "dcat:Catalog" and len(cat["dcat:dataset"]) == len(ITEMS)


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="expected one of"):
        export.export(ITEMS, INFO, "pdf")


def test_json_export_read_back_and_exported_again_is_byte_identical():
    first = export.to_json(ITEMS, INFO)
    assert export.to_json(catalogue.load_items(first.decode("utf-8")), INFO) == first


def test_every_export_carries_the_sharing_period_of_each_rule():
    rows = list(csv.reader(io.StringIO(export.to_csv(ITEMS).decode("utf-8-sig"))))
    column = rows[0].index(catalogue.PLATFORM["period_rules"][0])
    penalty = next(r for r in rows if r[0] == "JJJ-03-001")
    assert "期满后政府共享 60 个月（Platform default" in penalty[column]
    assert json.loads(export.to_json(ITEMS, INFO))["items"][2]["period_rules"][0]["sharing_months"] == 60
    g = export.graph(ITEMS, INFO)
    rule = URIRef(export.BASE + "2026/items/JJJ-03-001#period-1")
    assert g.value(rule, export.JJJC.sharingMonths).toPython() == 60
    assert str(g.value(rule, export.JJJC.sharingSource)).startswith("Platform default")
    endless = catalogue.item_from_dict({**catalogue.item_to_dict(ITEMS[2]), "period_rules": [
        {**r, "sharing_months": None, "sharing_source": ""} for r in catalogue.item_to_dict(ITEMS[2])["period_rules"]]})
    assert export.graph([endless], INFO).value(rule, export.JJJC.sharingMonths) is None
    assert "期满后" not in export.to_csv([endless]).decode("utf-8-sig")


def test_chinese_texts_carry_their_language_and_codes_do_not():
    """A harvester shows a text in the reader's language: every Chinese literal is tagged @zh (the
    statutory attributes, the approver, layout field names, sources); codes stay plain strings."""
    g = export.graph(ITEMS, INFO)
    untagged = sorted({(str(p), str(o)) for _, p, o in g if isinstance(o, Literal) and o.language is None
                       and export.HAN.search(str(o))})
    assert not untagged
    penalty = URIRef(export.BASE + "2026/items/JJJ-03-001")
    assert g.value(penalty, export.JJJC.collectionScope).language == "zh"
    assert g.value(URIRef(export.BASE + "2026"), export.JJJC.approvedBy) == Literal("河北省人民政府", lang="zh")
    assert g.value(penalty, export.JJJC.kind) == Literal("negative")
    assert g.value(penalty, DCTERMS.identifier) == Literal("JJJ-03-001")
    rare = catalogue.item_from_dict({**catalogue.item_to_dict(ITEMS[2]), "name": "𠀀行政处罚信息"})
    assert export.graph([rare], INFO).value(penalty, DCTERMS.title) == Literal("𠀀行政处罚信息", lang="zh")


def test_what_dcat_ap_recommends_is_there():
    """Beyond the mandatory properties: the language of the catalogue and of each dataset (the EU language
    table), the publisher's type, a frequency for every update period the EU table has one for, the layout
    and period nodes typed, and for a dataset without a distribution how its records are reached."""
    g = export.graph(ITEMS, INFO)
    cat = URIRef(export.BASE + "2026")
    chinese = URIRef("http://publications.europa.eu/resource/authority/language/ZHO")
    assert g.value(cat, DCTERMS.language) == chinese
    assert g.value(g.value(cat, DCTERMS.publisher), DCTERMS.type) is not None
    for ds in g.objects(cat, DCAT.dataset):
        assert g.value(ds, DCTERMS.language) == chinese
        assert g.value(ds, DCAT.distribution) is None and g.value(ds, export.JJJC.recordsAccess) is not None, ds
        assert g.value(ds, DCTERMS.accrualPeriodicity) is not None, ds
    providers = {i.code: i.provider for i in ITEMS}
    for ds in g.objects(cat, DCAT.dataset):  # a contact point: the provider, with nothing made up (no e-mail)
        contact = g.value(ds, DCAT.contactPoint)
        assert (contact, RDF.type, export.VCARD.Organization) in g, ds
        assert g.value(contact, export.VCARD.fn) == Literal(providers[str(g.value(ds, DCTERMS.identifier))], lang="zh")
        assert set(g.predicates(contact)) == {RDF.type, export.VCARD.fn}, ds
    for field in g.objects(URIRef(export.BASE + "2026/items/JJJ-03-001"), export.JJJC.field):
        assert (field, RDF.type, export.JJJC.Field) in g
    for rule in g.objects(URIRef(export.BASE + "2026/items/JJJ-03-001"), export.JJJC.periodRule):
        assert (rule, RDF.type, export.JJJC.PeriodRule) in g
    half = catalogue.change_item(ITEMS[2], {"update_period": "每半年"})
    assert export.graph([half], INFO).value(URIRef(export.BASE + "2026/items/JJJ-03-001"),
                                            DCTERMS.accrualPeriodicity) == URIRef(export.EU_FREQUENCY + "ANNUAL_2")


def test_the_published_vocabulary_defines_every_term_an_export_uses():
    """A harvester looks up an unknown property: schemas/catalogue-vocabulary.ttl defines each jjjc: property
    and class an export uses, with a Chinese and an English label, a comment and a range."""
    published = Path(__file__).resolve().parents[3] / export.VOCABULARY_FILE
    vocabulary = Graph().parse(published, format="turtle")
    assert isomorphic(vocabulary, export.vocabulary_graph())
    g = export.graph(ITEMS, INFO)
    used = {t for s, p, o in g for t in (p, o) if isinstance(t, URIRef) and str(t).startswith(str(export.JJJC))}
    assert used >= {export.JJJC.Field, export.JJJC.PeriodRule, export.JJJC.recordsAccess}
    for term in used:
        assert {label.language for label in vocabulary.objects(term, RDFS.label)} == {"zh", "en"}, term
        assert vocabulary.value(term, RDFS.comment) is not None, term
        assert (term, RDF.type, RDFS.Class) in vocabulary or vocabulary.value(term, RDFS.range) is not None, term


@pytest.mark.parametrize("status", ["draft", "comment", "approved"])
def test_an_edition_not_published_says_so_where_a_reader_looks(status: str):
    """A draft or an edition out for comment is not the catalogue in force: its DCAT title, its sheet's
    name and its workbook's title say so, as its file name does."""
    info = export.EditionInfo(2027, status)
    zh, en = export.UNPUBLISHED[status]
    g = export.graph(ITEMS, info)
    titles = {str(t) for t in g.objects(URIRef(export.BASE + "2027"), DCTERMS.title)}
    assert any(zh in t for t in titles) and any(en in t for t in titles)
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(ITEMS, info)))
    assert book.sheetnames[0] == f"目录2027（{zh}）" and zh in (book.properties.title or "")
    assert export.file_name(info, "csv") == f"catalogue-2027-{status}.csv"
    assert export.file_name(INFO, "dcat-turtle") == "catalogue-2026.ttl"
    published = {str(t) for t in export.graph(ITEMS, INFO).objects(None, DCTERMS.title)}
    assert "京津冀公共信用信息目录（2026年版）" in published


@pytest.mark.parametrize("value", ["\t=1+1", "\r=1+1", "+86 10 1234", "-1", "@SUM(A1)"])
def test_a_cell_starting_with_a_tab_or_a_carriage_return_is_quoted_too(value: str):
    """An item's texts are stripped when read, a layout field's name is not: the record-layout cell starts
    with it."""
    plain = catalogue.item_to_dict(ITEMS[0])
    plain["fields"] = [{**plain["fields"][0], "name": value}, *plain["fields"][1:]]
    rows = list(csv.reader(io.StringIO(export.to_csv([catalogue.item_from_dict(plain)]).decode("utf-8-sig"),
                                       newline="")))
    assert rows[1][-1].startswith("'" + value)


def test_xlsx_columns_are_wide_enough_to_read():
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(ITEMS, INFO)))
    sheet = book["目录2026"]
    widths = {c: sheet.column_dimensions[c].width for c in "ABCL"}
    assert widths["C"] >= 14 and 8 <= widths["L"] <= 12 and max(widths.values()) <= 60, widths
