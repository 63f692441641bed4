"""An edition of the catalogue as people publish catalogues: CSV and XLSX for Excel, JSON, and DCAT-AP
(JSON-LD and Turtle, written with rdflib) with the extension vocabulary :data:`VOCABULARY` for what
DCAT lacks. Pure: each function returns the bytes; the command line writes them. Deterministic: items
sorted by code, columns in attribute order, the same edition always gives the same bytes (the JSON, which
says whether the edition is in force, the same edition on the same day: :func:`edition_to_dict`).

CSV is UTF-8 with a byte-order mark (Excel opens it right) or GB18030; a cell that Excel would take
for a formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return first) is written with a leading
apostrophe (core/cells.py, as every CSV written for people). XLSX keeps every
text a text cell as it is (one that looks like a formula marked to stay text), the security level a number.

>>> from jjjcredit.core.credit import catalogue
>>> text = to_csv(catalogue.default_items()[:1], "utf-8-sig").decode("utf-8-sig")
>>> text.splitlines()[0].split(",")[:3]
['目录编码', '提供单位', '信息事项名称']
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, XSD

from jjjcredit.core import cells
from jjjcredit.core.credit import catalogue

FORMATS = ("csv", "xlsx", "json", "dcat-jsonld", "dcat-turtle")
#: The extension vocabulary for what DCAT-AP has no term for.
JJJC = Namespace("https://w3id.org/jjjcredit/catalogue#")
#: The W3C vCard ontology: DCAT's contact points are vcard:Kind.
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
#: Where an edition and its items are named.
#: Where the catalogue's DCAT URIs start when the platform names no address of its own
#: (``JJJCREDIT_CATALOGUE_BASE_URI``; the API uses its own address): the server's default one.
BASE = "http://127.0.0.1:8000/api/v1/catalogue/"
EU_ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
#: The catalogue's language in the EU language table (dct:language of the catalogue and of each dataset).
CHINESE = URIRef("http://publications.europa.eu/resource/authority/language/ZHO")
#: The catalogue's publisher is a regional authority (the ADMS publisher-type table DCAT-AP recommends).
REGIONAL_AUTHORITY = URIRef("http://purl.org/adms/publishertype/RegionalAuthority")
#: A Han character (the basic block, extensions A to H and the compatibility blocks): a text holding one
#: is Chinese and tagged ``@zh``; a code or a text without one stays a plain string.
HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003347f]")
#: Disclosure mode → the EU access-right authority table.
ACCESS_RIGHTS = {"public_disclosure": "PUBLIC", "authorized_query": "RESTRICTED", "government_sharing": "NON_PUBLIC"}
#: Update period words → the EU frequency authority table (others keep only jjjc:updatePeriod).
FREQUENCIES = {"实时": "UPDATE_CONT", "每日": "DAILY", "每周": "WEEKLY", "每月": "MONTHLY", "每季度": "QUARTERLY",
               "每半年": "ANNUAL_2", "每年": "ANNUAL", "不定期": "IRREG"}
#: How the records of an item are reached, by disclosure mode (jjjc:recordsAccess): the catalogue
#: describes kinds of information, whose records are not downloaded whole — the reason an item's
#: dataset has no dcat:distribution.
RECORDS_ACCESS = {
    "public_disclosure": ("本事项的信用记录按信用主体公示，在平台按统一社会信用代码或名称查询，不提供整体下载。",
                          "The records are published subject by subject: looked up on the platform by unified "
                          "social credit code or name, never downloaded whole."),
    "authorized_query": ("本事项的信用记录经信用主体授权后查询，不公开，不提供整体下载。",
                         "The records are queried with the credit subject's authorization; not public, never "
                         "downloaded whole."),
    "government_sharing": ("本事项的信用记录仅经数据交换在政府部门间共享，不公开。",
                           "The records are shared among government departments through data exchange only; "
                           "not public."),
}

#: The range of a text: ``@zh`` when it holds a Han character (:data:`HAN`), else a plain string.
TEXT = "rdf:langString (@zh) or xsd:string"
#: The extension vocabulary: term → (label, definition, range). docs/catalogue.md is generated from it.
VOCABULARY: dict[str, tuple[str, str, str]] = {
    "directoryCode": ("目录编码 directory code", "The item's code in the catalogue (also dct:identifier).", "xsd:string"),
    "dataFormat": ("数据格式 data format", "The format providers submit the item's records in.", TEXT),
    "rightToUse": ("使用权限 right to use", "Who may use the item's records, as the catalogue states it.", TEXT),
    "collectionScope": ("归集范围 collection scope", "Whose records and which area the item covers.", TEXT),
    "collectionProcedure": ("归集程序 collection procedure", "How the records are collected and checked.",
                            TEXT),
    "collectionPath": ("归集路径 collection path", "The channel the records reach the platform by.", TEXT),
    "collectionTimeLimit": ("归集时限 collection time limit", "How soon after the decision a record must arrive.",
                            TEXT),
    "publicationMethod": ("公开方式 publication method", "Where and how the records are published.", TEXT),
    "updatePeriod": ("更新周期 update period", "The update period as written (also dct:accrualPeriodicity when it "
                     "has an EU frequency).", TEXT),
    "securityLevel": ("安全等级 security level", "1 public, 2 government sharing, 3 restricted; public disclosure goes "
                      "with 1, authorized query and government sharing with 2 or 3.", "xsd:integer"),
    "kind": ("信息类别 kind", "basic, negative, positive or other.", "xsd:string"),
    "subjectType": ("主体类型 subject type", "organization, individual_business or natural_person (one per value).",
                    "xsd:string"),
    "legalBasis": ("法律依据 legal basis", "The laws and rules the item rests on.", TEXT),
    "disclosureMode": ("共享公开属性 disclosure mode", "public_disclosure, authorized_query or government_sharing "
                       "(also dct:accessRights).", "xsd:string"),
    "severity": ("失信严重程度 severity class", "minor, general or serious (negative items).", "xsd:string"),
    "contested": ("争议较大 contested", "Opinions differ widely or the social impact may be large: an assessment "
                  "is heard before approval.", "xsd:boolean"),
    "field": ("数据项 field", "One field of the record layout (a node with fieldName, element, required, "
              "maxLength).", "jjjc:Field"),
    "fieldName": ("字段名称 field name", "The field's name as providers write it.", TEXT),
    "element": ("数据元 data element", "The data element the field holds (national column code or library "
                "element).", "xsd:string"),
    "required": ("必填 required", "Whether every record must have the field.", "xsd:boolean"),
    "maxLength": ("最大长度 maximum length", "The most characters the field holds.", "xsd:integer"),
    "periodRule": ("公示期限 publication period rule", "A node with severity, minMonths, maxMonths, appliesFrom, "
                   "dct:source, and sharingMonths and sharingSource when sharing ends.", "jjjc:PeriodRule"),
    "minMonths": ("最短公示期 minimum months", "Repair may be asked for after this many months.", "xsd:integer"),
    "maxMonths": ("最长公示期 maximum months", "Publication stops after this many months.", "xsd:integer"),
    "appliesFrom": ("适用起始日 applies from", "Decisions from this date on follow the rule.", "xsd:date"),
    "sharingMonths": ("共享期限 sharing months", "Government sharing stops this many months after publication "
                      "stops (absent: no end); the record stays archived.", "xsd:integer"),
    "sharingSource": ("共享期限依据 sharing source", "Where the sharing months come from (a text, or the "
                      "platform's own default).", TEXT),
    "editionStatus": ("目录状态 edition status", "draft, comment, approved or published.", "xsd:string"),
    "approvedBy": ("批准机关 approved by", "Who approved the edition.", TEXT),
    "recordsAccess": ("记录获取方式 records access", "How the item's records are reached, by its disclosure mode "
                      "(in Chinese and English): the reason its dataset has no dcat:distribution.", "rdf:langString"),
}

#: The extension vocabulary's classes: the nodes of ``jjjc:field`` and ``jjjc:periodRule``.
CLASSES: dict[str, tuple[str, str]] = {
    "Field": ("数据项 field", "One field of an item's record layout: fieldName, element, required, maxLength."),
    "PeriodRule": ("公示期限规则 publication period rule", "How long a record of one severity stays published, for "
                   "decisions from appliesFrom on, and how long it is then shared among government departments."),
}
#: Where the vocabulary is published as RDF (Turtle), beside the record schemas; generated.
VOCABULARY_FILE = "schemas/catalogue-vocabulary.ttl"


@dataclass(frozen=True)
class EditionInfo:
    """What an export says about the edition beside its items."""

    year: int
    status: str
    approved_by: str | None = None
    approved_at: datetime.datetime | None = None
    published_at: datetime.datetime | None = None
    #: The URI the edition's DCAT resources start with: ``{base}{year}`` and ``{base}{year}/items/{code}``.
    base: str = BASE
    #: The edition it was drafted from (``None``: the default catalogue).
    based_on: int | None = None
    comments_until: datetime.datetime | None = None
    #: When it is in force, as of the day asked (core/credit/catalogue.in_force_periods); ``None`` for an
    #: edition not published.
    in_force: catalogue.InForce | None = None


#: How an edition not yet published is marked in its title (DCAT), its sheet's name (XLSX) and file name:
#: status → (Chinese, English). A published edition carries no mark.
UNPUBLISHED = {"draft": ("草案", "draft, not published"), "comment": ("征求意见稿", "for public comment, not published"),
               "approved": ("已批准，未发布", "approved, not published")}


def title(info: EditionInfo, lang: str = "zh") -> str:
    """The edition's title, marked when it is not published.

    >>> title(EditionInfo(2027, "comment"))
    '京津冀公共信用信息目录（2027年版，征求意见稿）'
    >>> title(EditionInfo(2026, "published"), "en")
    'Beijing-Tianjin-Hebei public credit information catalogue 2026'
    """
    zh, en = UNPUBLISHED.get(info.status, ("", ""))
    if lang == "zh":
        return f"京津冀公共信用信息目录（{info.year}年版{'，' + zh if zh else ''}）"
    return f"Beijing-Tianjin-Hebei public credit information catalogue {info.year}{f' ({en})' if en else ''}"


def file_name(info: EditionInfo, fmt: str) -> str:
    """The name an export is offered under: ``catalogue-2026.csv``, ``catalogue-2027-draft.xlsx`` …"""
    extension = {"dcat-jsonld": "jsonld", "dcat-turtle": "ttl"}.get(fmt, fmt)
    return f"catalogue-{info.year}{'' if info.status == 'published' else '-' + info.status}.{extension}"


COLUMNS: tuple[str, ...] = (*catalogue.STATUTORY, *(k for k in catalogue.PLATFORM if k not in ("fields",)),
                            "fields")


def _header() -> list[str]:
    labels = {**catalogue.STATUTORY, **catalogue.PLATFORM}
    return [labels[c][0] for c in COLUMNS]


def _cell(item: catalogue.Item, column: str) -> str:
    value: Any = getattr(item, column)
    if column == "fields":
        return "；".join(f"{f.name}({f.element}{', 必填' if f.required else ''}"
                        f"{f', ≤{f.max_length}' if f.max_length else ''})" for f in value)
    if column == "period_rules":
        return "；".join(f"{r.severity} {r.min_months}-{r.max_months} 个月，{r.applies_from.isoformat()} 起（{r.source}）"
                        + ("" if r.sharing_months is None else
                           f"，期满后政府共享 {r.sharing_months} 个月（{r.sharing_source}）")
                        for r in value)
    if isinstance(value, tuple):
        return "，".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def rows(items: Sequence[catalogue.Item]) -> list[list[str]]:
    """The header and one row per item, sorted by code: what CSV holds (XLSX the same cells, as they are)."""
    return [_header(), *([cells.text_cell(_cell(i, c)) for c in COLUMNS] for i in sorted(items, key=lambda i: i.code))]


def _append(sheet: Any, values: Sequence[Any]) -> None:
    """A row of a worksheet: every text a text cell, shown as it is — one that looks like a formula is kept
    as text (marked so Excel keeps it text when edited), never a formula and never with an apostrophe."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.data_type != "s":
            cell.data_type = "s"
            cell.quotePrefix = True


def to_csv(items: Sequence[catalogue.Item], encoding: str = "utf-8-sig") -> bytes:
    """CSV in UTF-8 with a byte-order mark (default) or GB18030, CRLF line ends as Excel writes them."""
    if encoding not in ("utf-8-sig", "gb18030"):
        raise ValueError(f"encoding {encoding!r}: expected utf-8-sig or gb18030")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows(items))
    return out.getvalue().encode(encoding)


def beyond_gbk(items: Sequence[catalogue.Item]) -> dict[str, str]:
    """The items whose CSV row holds a character GBK has no code for (CJK Extension B and later, such as
    rare surnames), each with the first such character. GB18030 writes them (in four bytes), but Excel on a
    Chinese Windows reads a CSV without a byte-order mark in the system's code page 936, which is GBK: it
    shows them garbled. UTF-8 with a byte-order mark keeps them.

    >>> item = catalogue.change_item(catalogue.default_items()[0], {"name": "𠀀登记基本信息"})
    >>> beyond_gbk([item, catalogue.default_items()[1]])
    {'JJJ-01-001': '𠀀'}
    """
    found: dict[str, str] = {}
    for item, row in zip(sorted(items, key=lambda i: i.code), rows(items)[1:], strict=True):
        for cell in row:
            try:
                cell.encode("gbk")
            except UnicodeEncodeError as exc:
                found[item.code] = cell[exc.start]
                break
    return found


def to_xlsx(items: Sequence[catalogue.Item], info: EditionInfo) -> bytes:
    """A workbook: sheet 目录 (one row per item), sheet 数据项 (every layout field of every item)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"目录{info.year}" + (f"（{UNPUBLISHED[info.status][0]}）" if info.status in UNPUBLISHED else "")
    sheet.append(_header())
    for item in sorted(items, key=lambda i: i.code):
        _append(sheet, [item.security_level if c == "security_level" else _cell(item, c) for c in COLUMNS])
    fields = book.create_sheet("数据项")
    fields.append(["目录编码", "信息事项名称", "字段名称", "数据元", "必填", "最大长度"])
    for item in sorted(items, key=lambda i: i.code):
        for f in item.fields:
            _append(fields, [item.code, item.name, f.name, f.element, "是" if f.required else "否", f.max_length])
    for ws in (sheet, fields):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for column in ws.iter_cols():
            shown = max(_width(str(c.value)) for c in column if c.value is not None)
            ws.column_dimensions[column[0].column_letter].width = min(max(shown + 2, 8), 60)
    fixed = datetime.datetime(info.year, 1, 1)
    book.properties.created = book.properties.modified = fixed
    book.properties.creator = "jjjcredit"
    book.properties.title = title(info)
    out = io.BytesIO()
    book.save(out)
    return _fixed_zip(out.getvalue(), (info.year, 1, 1, 0, 0, 0))


def _width(text: str) -> int:
    """How many Latin characters wide a text shows in a cell: a CJK (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _fixed_zip(data: bytes, when: tuple[int, int, int, int, int, int]) -> bytes:
    """The workbook's zip with every member (and its "modified" property) dated ``when``: the same
    edition, the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = member.external_attr
            body = source.read(member.filename)
            if member.filename == "docProps/core.xml":  # openpyxl stamps the time of saving
                stamp = datetime.datetime(*when).strftime("%Y-%m-%dT%H:%M:%SZ")
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), body)
            target.writestr(info, body)
    return out.getvalue()


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def edition_to_dict(info: EditionInfo, items: Sequence[catalogue.Item] | None = None) -> dict[str, Any]:
    """The one shape of an edition: its state — and, given ``items``, its items in their plain form
    (core/credit/catalogue.item_to_dict), sorted by code. ``GET /api/v1/catalogue`` lists the state,
    ``GET /api/v1/catalogue/{year}`` answers the whole and :func:`to_json` writes it. ``in_force`` is whether
    the edition is in force on the day :attr:`EditionInfo.in_force` was worked out for; ``in_force_from`` and
    ``in_force_until`` the day it comes into force and the day a later one takes over (``None``: none has yet,
    or the edition is not published).

    >>> period = catalogue.InForce("now", datetime.date(2026, 1, 1), None, None)
    >>> doc = edition_to_dict(EditionInfo(2026, "published", based_on=2025, in_force=period))
    >>> doc["based_on"], doc["in_force"], doc["in_force_from"], doc["in_force_until"], "items" in doc
    (2025, True, '2026-01-01', None, False)
    """
    period = info.in_force
    since, until = (None, None) if period is None else (period.since, period.until)
    doc: dict[str, Any] = {
        "year": info.year, "status": info.status, "based_on": info.based_on,
        "comments_until": _iso(info.comments_until), "approved_by": info.approved_by,
        "approved_at": _iso(info.approved_at), "published_at": _iso(info.published_at),
        "in_force": period is not None and period.now,
        "in_force_from": None if since is None else since.isoformat(),
        "in_force_until": None if until is None else until.isoformat()}
    if items is not None:
        doc["items"] = [catalogue.item_to_dict(i) for i in sorted(items, key=lambda i: i.code)]
    return doc


def to_json(items: Sequence[catalogue.Item], info: EditionInfo) -> bytes:
    """The edition as :func:`edition_to_dict` gives it, keys sorted; its ``items`` are what
    ``catalogue.load_items`` reads back."""
    doc = edition_to_dict(info, items)
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _text(value: str) -> Literal:
    """A text as a literal: tagged ``@zh`` when it holds a Han character, else a plain string.

    >>> _text("归集范围").language, _text("NDRC Order No. 36 (2025)").language
    ('zh', None)
    """
    return Literal(value, lang="zh") if HAN.search(value) else Literal(value)


def _node(graph: Graph, parent: URIRef, predicate: URIRef, key: str, kind: URIRef,
          values: Mapping[str, Literal]) -> None:
    """A node of class ``kind`` with a stable IRI (so the same edition always gives the same graph): a fragment
    of its parent's, whose address answers for it (:func:`graph`)."""
    node = URIRef(f"{parent}#{key}")
    graph.add((parent, predicate, node))
    graph.add((node, RDF.type, kind))
    for p, v in values.items():
        graph.add((node, JJJC[p] if ":" not in p else URIRef(p), v))


#: The catalogue's publisher (DCAT-AP asks one of a catalogue): the three regions' credit departments,
#: which compile it with the providers.
PUBLISHER = "北京市、天津市、河北省社会信用体系建设牵头部门"


def graph(items: Sequence[catalogue.Item], info: EditionInfo) -> Graph:
    """The edition as a DCAT-AP catalogue: one dcat:Dataset per item, the statutory attributes DCAT
    lacks in the jjjc: vocabulary. The catalogue is ``{base}{year}`` and each dataset ``{base}{year}/items/{code}``,
    the addresses of the edition and of the item in the API; every other node (a publisher, a contact point, a
    layout field, a period rule) is a fragment of one of those (``…/items/JJJ-03-001#field-1``), so every IRI
    the graph mints leads to an address that answers."""
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("jjjc", JJJC)
    g.bind("vcard", VCARD)
    cat = URIRef(f"{info.base}{info.year}")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal(title(info), lang="zh")))
    g.add((cat, DCTERMS.title, Literal(title(info, "en"), lang="en")))
    g.add((cat, DCTERMS.description, Literal(
        f"{info.year}年京津冀公共信用信息目录：各提供单位归集的公共信用信息事项，每项载明目录编码、提供单位、信息事项名称、"
        "数据格式、使用权限、归集范围、归集程序、归集途径、归集时限、公开方式、更新周期和安全等级。", lang="zh")))
    g.add((cat, DCTERMS.description, Literal(
        f"The {info.year} catalogue of public credit information of Beijing, Tianjin and Hebei: each item its "
        "providers collect, with its directory code, provider, name, data format, right to use, collection scope, "
        "procedure, path and time limit, publication method, update period and security level.", lang="en")))
    publisher = URIRef(f"{cat}#publisher")
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal(PUBLISHER, lang="zh")))
    g.add((publisher, DCTERMS.type, REGIONAL_AUTHORITY))
    g.add((cat, DCTERMS.language, CHINESE))
    g.add((cat, OWL.versionInfo, Literal(str(info.year))))
    g.add((cat, JJJC.editionStatus, Literal(info.status)))
    if info.approved_by:
        g.add((cat, JJJC.approvedBy, _text(info.approved_by)))
    if info.published_at is not None:
        g.add((cat, DCTERMS.issued, Literal(info.published_at.date().isoformat(), datatype=XSD.date)))
    for item in sorted(items, key=lambda i: i.code):
        ds = URIRef(f"{info.base}{info.year}/items/{item.code}")
        g.add((cat, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(item.code)))
        g.add((ds, JJJC.directoryCode, Literal(item.code)))
        g.add((ds, DCTERMS.title, Literal(item.name, lang="zh")))
        g.add((ds, DCTERMS.description, Literal(f"{item.name}（{item.provider}提供）。归集范围：{item.collection_scope}。"
                                                f"法律依据：{item.legal_basis}。", lang="zh")))
        publisher = URIRef(f"{ds}#provider")
        g.add((ds, DCTERMS.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(item.provider, lang="zh")))
        contact = URIRef(f"{ds}#contact-point")  # the provider, named only: the catalogue records no address
        g.add((ds, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, _text(item.provider)))
        g.add((ds, DCTERMS.language, CHINESE))
        g.add((ds, DCTERMS.accessRights, URIRef(EU_ACCESS + ACCESS_RIGHTS[item.disclosure_mode])))
        zh, en = RECORDS_ACCESS[item.disclosure_mode]
        g.add((ds, JJJC.recordsAccess, Literal(zh, lang="zh")))
        g.add((ds, JJJC.recordsAccess, Literal(en, lang="en")))
        if item.update_period in FREQUENCIES:
            g.add((ds, DCTERMS.accrualPeriodicity, URIRef(EU_FREQUENCY + FREQUENCIES[item.update_period])))
        for attribute, term in (("data_format", "dataFormat"), ("right_to_use", "rightToUse"),
                                ("collection_scope", "collectionScope"),
                                ("collection_procedure", "collectionProcedure"),
                                ("collection_path", "collectionPath"),
                                ("collection_time_limit", "collectionTimeLimit"),
                                ("publication_method", "publicationMethod"), ("update_period", "updatePeriod"),
                                ("legal_basis", "legalBasis")):
            g.add((ds, JJJC[term], _text(getattr(item, attribute))))
        g.add((ds, JJJC.kind, Literal(item.kind)))
        g.add((ds, JJJC.disclosureMode, Literal(item.disclosure_mode)))
        g.add((ds, JJJC.securityLevel, Literal(item.security_level, datatype=XSD.integer)))
        g.add((ds, JJJC.contested, Literal(item.contested, datatype=XSD.boolean)))
        for subject in item.subject_types:
            g.add((ds, JJJC.subjectType, Literal(subject)))
        for severity in item.severities:
            g.add((ds, JJJC.severity, Literal(severity)))
        for n, f in enumerate(item.fields, 1):
            values = {"fieldName": _text(f.name), "element": Literal(f.element),
                      "required": Literal(f.required, datatype=XSD.boolean), str(RDFS.label): _text(f.name)}
            if f.max_length is not None:
                values["maxLength"] = Literal(f.max_length, datatype=XSD.integer)
            _node(g, ds, JJJC.field, f"field-{n}", JJJC.Field, values)
        for n, r in enumerate(item.period_rules, 1):
            _node(g, ds, JJJC.periodRule, f"period-{n}", JJJC.PeriodRule, {
                "severity": Literal(r.severity), "minMonths": Literal(r.min_months, datatype=XSD.integer),
                "maxMonths": Literal(r.max_months, datatype=XSD.integer),
                "appliesFrom": Literal(r.applies_from.isoformat(), datatype=XSD.date),
                str(DCTERMS.source): _text(r.source),
                **({} if r.sharing_months is None else {
                    "sharingMonths": Literal(r.sharing_months, datatype=XSD.integer),
                    "sharingSource": _text(r.sharing_source)})})
    return g


#: The JSON-LD context the export is compacted with.
CONTEXT = {"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "jjjc": str(JJJC), "xsd": str(XSD),
           "owl": str(OWL), "rdfs": str(RDFS), "vcard": str(VCARD)}


def to_turtle(items: Sequence[catalogue.Item], info: EditionInfo) -> bytes:
    return graph(items, info).serialize(format="turtle", encoding="utf-8")


def _sorted(value: Any) -> Any:
    """JSON-LD with every array in one order: the graph's arrays are sets (no ``@list``), so sorting
    them changes nothing but makes the bytes the same from run to run."""
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_sorted(v) for v in value), key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return value


def to_jsonld(items: Sequence[catalogue.Item], info: EditionInfo) -> bytes:
    text = graph(items, info).serialize(format="json-ld", context=CONTEXT)
    doc = _sorted(json.loads(text))
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def export(items: Sequence[catalogue.Item], info: EditionInfo, fmt: str, encoding: str = "utf-8-sig") -> bytes:
    """The edition in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "csv":
        return to_csv(items, encoding)
    if fmt == "xlsx":
        return to_xlsx(items, info)
    if fmt == "json":
        return to_json(items, info)
    if fmt == "dcat-jsonld":
        return to_jsonld(items, info)
    if fmt == "dcat-turtle":
        return to_turtle(items, info)
    raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")


def vocabulary_graph() -> Graph:
    """The extension vocabulary as RDF: an ontology, each class and property with ``rdfs:label`` (Chinese
    and English), ``rdfs:comment``, ``rdfs:range`` and ``rdfs:isDefinedBy`` (what :data:`VOCABULARY_FILE`
    holds)."""
    ranges = {"xsd:string": XSD.string, "xsd:integer": XSD.integer, "xsd:boolean": XSD.boolean, "xsd:date": XSD.date,
              TEXT: RDFS.Literal, "rdf:langString": RDF.langString}
    g = Graph()
    g.bind("jjjc", JJJC)
    g.bind("owl", OWL)
    g.bind("dct", DCTERMS)
    ontology = URIRef(str(JJJC).rstrip("#"))
    g.add((ontology, RDF.type, OWL.Ontology))
    g.add((ontology, DCTERMS.title, Literal("京津冀公共信用信息目录扩展词汇", lang="zh")))
    g.add((ontology, DCTERMS.title, Literal("Beijing-Tianjin-Hebei public credit catalogue extension vocabulary",
                                            lang="en")))
    g.add((ontology, RDFS.comment, Literal("What the DCAT-AP export of a catalogue edition states that DCAT has no "
                                           "term for: the Hebei Regulations' (Art. 11) attributes of each item and "
                                           "the platform's own.", lang="en")))

    def describe(term: URIRef, label: str, comment: str) -> None:
        chinese, _, english = label.partition(" ")
        g.add((term, RDFS.label, Literal(chinese, lang="zh")))
        g.add((term, RDFS.label, Literal(english, lang="en")))
        g.add((term, RDFS.comment, Literal(comment, lang="en")))
        g.add((term, RDFS.isDefinedBy, ontology))

    for name, (label, comment) in CLASSES.items():
        g.add((JJJC[name], RDF.type, RDFS.Class))
        describe(JJJC[name], label, comment)
    for name, (label, comment, rng) in VOCABULARY.items():
        term = JJJC[name]
        node = rng.startswith("jjjc:")
        g.add((term, RDF.type, RDF.Property))
        g.add((term, RDF.type, OWL.ObjectProperty if node else OWL.DatatypeProperty))
        g.add((term, RDFS.range, JJJC[rng.removeprefix("jjjc:")] if node else ranges[rng]))
        describe(term, label, comment)
    return g


def vocabulary_turtle() -> str:
    """:data:`VOCABULARY_FILE`: the vocabulary in Turtle."""
    return vocabulary_graph().serialize(format="turtle")


def vocabulary_markdown() -> str:
    """docs/catalogue.md: the export formats and the extension vocabulary (generated)."""
    lines = [
        "# The catalogue: export formats and the extension vocabulary",
        "",
        "`jjjcredit catalogue export YEAR --format csv|xlsx|json|dcat-jsonld|dcat-turtle` writes one edition.",
        "CSV is UTF-8 with a byte-order mark (or `--csv-encoding gb18030`: Excel on a Chinese Windows reads that",
        "as GBK, so the command names the items holding a character GBK lacks, such as 𠀀, which Excel would",
        "show garbled; UTF-8 keeps them), one row per item, columns in the",
        "order below; XLSX adds a sheet of every layout field; JSON is the very document",
        "`GET /api/v1/catalogue/YEAR` answers (one function builds both): the edition's `year`, `status`,",
        "`based_on` (the edition it was drafted from; `null`: the default catalogue), `comments_until`,",
        "`approved_by`, `approved_at`, `published_at`, `in_force` (whether it is the edition in force on the day",
        "the file is written, in Beijing), `in_force_from` and `in_force_until` (`null` for an edition not",
        "published, or while no later one has taken over), then `items` in their plain form (read back by",
        "`catalogue item add --file`). So a published edition's JSON changes only in `in_force` and",
        "`in_force_until`, as the days pass and a later edition is published; every other format is the same",
        "bytes for the same edition. XLSX keeps every text a text cell as it is; CSV writes a cell Excel would",
        "take for a formula (`=`, `+`, `-`, `@`, a tab or a carriage return first) with a leading apostrophe. DCAT-AP (JSON-LD, Turtle) has the edition as a",
        "`dcat:Catalog` at `BASE/YEAR` (with `dct:title`, `dct:description` and `dct:publisher`, the three",
        "regions' credit departments) and each item as a `dcat:Dataset` at `BASE/YEAR/items/CODE` with",
        "`dct:identifier`, `dct:title`, `dct:description` (its name, provider, scope and legal basis),",
        "`dct:publisher` (the provider), `dcat:contactPoint` (the provider again, as a `vcard:Organization` with",
        "its name as `vcard:fn` and nothing more: the catalogue records no e-mail, telephone or page of a provider),",
        "`dct:language` (the EU language table: ZHO), `dct:accessRights` (the EU",
        "access-right table: public disclosure → PUBLIC, authorized query → RESTRICTED, government sharing →",
        "NON_PUBLIC) and `dct:accrualPeriodicity` (the EU frequency table: "
        + ", ".join(f"{word} → {code}" for word, code in FREQUENCIES.items()) + ").",
        "Both addresses answer: under the default `BASE` (the platform's own `/api/v1/catalogue/`),",
        "`GET /api/v1/catalogue/YEAR` gives the edition and `GET /api/v1/catalogue/YEAR/items/CODE` the item as",
        "the edition's answer holds it (an edition the caller may not see, or a code it has no item of, is a 404);",
        "a `JJJCREDIT_CATALOGUE_BASE_URI` elsewhere must lead to them. Every other node is a fragment of one of",
        "the two (`#publisher`, `#provider`, `#contact-point`, `#field-N`, `#period-N`), so it leads there too.",
        "An item has no `dcat:distribution`: the catalogue describes kinds of information, whose records are",
        "never downloaded whole; `jjjc:recordsAccess` says how they are reached instead. Every text holding a",
        "Chinese character is tagged `@zh`; codes (kind, disclosure mode, subject types, severities, elements)",
        "are plain strings; dates are `xsd:date`. What DCAT lacks is in the extension vocabulary",
        f"`jjjc:` = `{JJJC}`, published in RDF (each term with its labels, comment and range) as",
        f"[`{VOCABULARY_FILE}`](../{VOCABULARY_FILE}):",
        "",
        "| term | label | definition | range |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| `jjjc:{term}` | {label} | {definition} | `{rng}` |"
              for term, (label, definition, rng) in VOCABULARY.items()]
    lines += ["", "Classes:", "", "| class | label | definition |", "| --- | --- | --- |"]
    lines += [f"| `jjjc:{name}` | {label} | {definition} |" for name, (label, definition) in CLASSES.items()]
    labels = {**catalogue.STATUTORY, **catalogue.PLATFORM}
    lines += ["", "CSV and XLSX columns:", "", "| # | column | attribute | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| {n} | {labels[c][0]} | `{c}` | {labels[c][1]} |" for n, c in enumerate(COLUMNS, 1)]
    lines += [
        "",
        "An edition not yet published is marked wherever a reader looks: its DCAT `dct:title` (and",
        "`jjjc:editionStatus`), its XLSX sheet's name and workbook title ("
        + ", ".join(f"{status}: 目录YEAR（{zh}）" for status, (zh, _) in UNPUBLISHED.items())
        + "), and the file name the API offers it under (`catalogue-YEAR-STATUS.csv`; a published one",
        "`catalogue-YEAR.csv`); the command line notes it on stderr. CSV has no place for it but its file name;",
        "JSON has `status`.",
    ]
    lines += ["", "Generated from `jjjcredit.core.credit.catalogue_export` by `scripts/generate_docs.py`."]
    return "\n".join(lines) + "\n"
