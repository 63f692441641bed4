"""Credit reports: an organization's public credit report and the special report that replaces
compliance certificates, as plain JSON-ready documents; their numbers; and the signature that lets
anyone check a report file offline. Pure: no I/O (services/sharing/report.py reads, renders and keeps
the issue record).

**The report number** — ``JJJ-2026-7K3MQ9XA-B``: the platform's prefix, the year of issue, 8 random
characters and a check character, all from the unified social credit code's 31 symbols (``0-9`` and
``A-Z`` without I, O, S, V, Z — no letter read as a digit). The check character is
``31 − Σ value·3^i mod 31`` over the year and the 8 characters (the USCC's own rule and weights): a
mistyped or swapped character is caught before anything is looked up. 31^8 ≈ 8.5·10^11 numbers a
year, drawn at random: a number cannot be guessed from another. Lower case, spaces, full-width
characters and missing hyphens are accepted.

>>> format_number("jjj 2026 7k3mq9xa " + check_char("2026" + "7K3MQ9XA"))
'JJJ-2026-7K3MQ9XA-B'
>>> validate_number("JJJ-2026-7K3MQ9XA-B")
'JJJ-2026-7K3MQ9XA-B'
>>> validate_number("JJJ-2026-7K3MQ9AX-B")
Traceback (most recent call last):
...
jjjcredit.core.sharing.report.ReportError: The report number "JJJ-2026-7K3MQ9AX-B" fails its check character: a character was mistyped or two were swapped. Type it again from the report's header.

**The document** (:func:`build_report`): ``report`` (number, kind, title, issuing platform, generated
at, data as of, whose view it shows, the verification address), ``subject``, ``basic`` (the
registration elements the caller sees, in element order), ``summary`` (records per section),
``sections`` (:data:`SECTIONS`, always in that order, each record with its status and an ``objection``
mark) and ``notes``. :func:`build_special` answers, for a period of at most five years and chosen
domains, whether there are penalties, coercive measures and serious-dishonesty list entries — "none
found" where none.

**The signature** of a report file and its offline check: core/sharing/report_signature.py.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.codes import ric, uscc
from jjjcredit.core.codes.personal import personal_in, shown_personal
from jjjcredit.core.credit import columns
from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements

PREFIX = "JJJ"
#: The 31 symbols of a report number: those of the unified social credit code.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
RANDOM_CHARS = 8
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(4 + RANDOM_CHARS))
_NUMBER = re.compile(rf"{PREFIX}(\d{{4}})([{ALPHABET}]{{{RANDOM_CHARS}}})([{ALPHABET}])")
_SEPARATORS = re.compile(r"[\s\-_.·—]")
#: The longest period a special report covers (domain.md §7.4: the subject picks at most five years).
MAX_SPECIAL_YEARS = 5
PLATFORM = "京津冀公共信用信息平台"
KINDS = ("standard", "special")


class ReportError(Error, ValueError):
    """A report cannot be issued as asked, a number is malformed, or a file does not verify: ``code`` is
    one of the ``report.*`` codes of the error table (or ``evidence.*`` for a key)."""


# --- numbers -------------------------------------------------------------------------------------

def check_char(body: str) -> str:
    """The check character of a number's year and random characters.

    >>> check_char("2026" + "00000000")
    '4'
    """
    total = sum(_VALUES[c] * w for c, w in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def new_number(year: int, random_bytes: bytes) -> str:
    """A number for a report issued in ``year`` from (at least 8) random bytes.

    >>> new_number(2026, bytes(8))
    'JJJ-2026-00000000-4'
    """
    chars = "".join(ALPHABET[b % 31] for b in random_bytes[:RANDOM_CHARS])  # bias under 0.4 %: not a key
    body = f"{year:04d}{chars}"
    return format_number(PREFIX + body + check_char(body))


def compact_number(text: str) -> str:
    """A number as typed → ``JJJ2026XXXXXXXXC`` (never validates).

    >>> compact_number(" ｊｊｊ－２０２６－７k3mq9xa－m ")
    'JJJ20267K3MQ9XAM'
    """
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def format_number(text: str) -> str:
    compact = compact_number(text)
    return f"{compact[:3]}-{compact[3:7]}-{compact[7:15]}-{compact[15:]}"


def validate_number(text: str) -> str:
    """The number in its printed form, or :class:`ReportError` (``report.number``) saying what is wrong."""
    compact = compact_number(text)
    shown = text.strip()[:40]
    match = _NUMBER.fullmatch(compact)
    if match is None:
        raise ReportError("report.number", f'"{shown}" is not a report number: expected {PREFIX}-YYYY-XXXXXXXX-C '
                          f"(the year, 8 characters and a check character from {ALPHABET}).", field="number")
    year, chars, check = match.groups()
    if check_char(year + chars) != check:
        raise ReportError("report.number", f'The report number "{shown}" fails its check character: a character was '
                          "mistyped or two were swapped. Type it again from the report's header.", field="number")
    return format_number(compact)


# --- sections ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Section:
    """One section of a report: the catalogue items it gathers, by directory code or by the code's
    group (``JJJ-04-…`` → ``"04"``); an item no section names falls under ``other``."""

    key: str
    title: str
    items: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


#: The sections of a report, in the order they are printed (the national report's order, §7.4).
SECTIONS: tuple[Section, ...] = (
    Section("licences", "行政许可信息", items=("JJJ-03-002",)),
    Section("penalties", "行政处罚信息", items=("JJJ-03-001",)),
    Section("lists", "失信名单及经营异常信息", groups=("02", "04")),
    Section("commendations", "表彰及信用评价信息", groups=("06", "07")),
    Section("commitments", "信用承诺及履约信息", groups=("05",)),
    Section("other", "其他信息"),
)


def section_of(item: str) -> str:
    """The section a catalogue item's records go under.

    >>> section_of("JJJ-03-001"), section_of("JJJ-04-002"), section_of("JJJ-09-001")
    ('penalties', 'lists', 'other')
    """
    parts = item.split("-")
    group = parts[1] if len(parts) == 3 else ""
    for section in SECTIONS:
        if item in section.items or group in section.groups:
            return section.key
    return "other"


@dataclass(frozen=True)
class Question:
    """One question of the special report: the catalogue items that answer it (none: the catalogue has
    no item for it, and the answer says so instead of "none found")."""

    key: str
    title: str
    items: tuple[str, ...]


#: What the special report asks (发改财金〔2025〕565号: penalties, coercive measures, serious-dishonesty lists).
QUESTIONS: tuple[Question, ...] = (
    Question("penalties", "行政处罚", ("JJJ-03-001",)),
    Question("coercive_measures", "行政强制", ()),
    Question("serious_dishonesty", "严重失信主体名单", ("JJJ-04-001", "JJJ-02-001")),
)

#: The domains a special report may be limited to, each with the words that name its departments in
#: a record's provider or deciding authority (a deployment extends this table).
DOMAINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "market_regulation": ("市场监管", ("市场监督管理", "市场监管")),
    "taxation": ("税务", ("税务",)),
    "ecology_environment": ("生态环境", ("生态环境", "环境保护")),
    "emergency_management": ("应急管理与安全生产", ("应急管理", "安全生产")),
    "housing_construction": ("住房和城乡建设", ("住房和城乡建设", "住房城乡建设", "住建")),
    "human_resources": ("人力资源和社会保障", ("人力资源和社会保障", "人社")),
    "transport": ("交通运输", ("交通运输",)),
    "fire_rescue": ("消防救援", ("消防",)),
    "natural_resources": ("自然资源", ("自然资源", "国土资源")),
    "health": ("卫生健康", ("卫生健康", "卫生和计划生育")),
    "courts": ("法院", ("法院",)),
}

#: Words for a record's status in a report.
STATUS_LABELS = {"in_force": "有效", "revoked": "已撤销", "repaired": "已修复", "corrected": "已更正"}
SEVERITY_LABELS = columns.SEVERITY_NAMES
AUDIENCES = {"public": "社会公众公开信息", "client": "应用方可见信息", "staff": "平台工作人员可见信息"}

NOTES = (
    "本报告依据京津冀公共信用信息目录归集的公共信用信息生成，不含信用评分或等级。",
    "信用主体对报告内容有异议的，可通过平台异议渠道提出；符合条件的，可申请信用修复。",
    "报告编号唯一，可扫描二维码或访问核验地址核验报告是否由本平台出具及文件是否被改动。",
)


# --- documents -----------------------------------------------------------------------------------

def _time(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_BEIJING = datetime.timezone(datetime.timedelta(hours=8))


def shown_time(iso: str) -> str:
    """A moment kept as ISO UTC (what the report and its signature hold) as a reader in China reads it.

    >>> shown_time("2026-12-07T02:44:13Z")
    '2026年12月7日 10:44:13（北京时间）'
    >>> shown_time("not a time")
    'not a time'
    """
    try:
        at = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if at.tzinfo is None:
        at = at.replace(tzinfo=datetime.UTC)
    at = at.astimezone(_BEIJING)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M:%S}（北京时间）"


def check_organization(code: str) -> str:
    """The compact code of an organization a report may be issued for; a natural person's number or
    subject key is refused (reports are of organizations), and a code mistyped with what is wrong with it.

    >>> check_organization("P:ab12")
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.report.ReportError: Credit reports are issued for organizations only: give the organization's unified social credit code (18 characters).
    """
    compact = uscc.compact(code)
    if uscc.is_valid(compact):
        return compact
    if code.strip().upper().startswith("P:") or ric.is_valid(compact) or personal_in(code):
        raise ReportError("report.not_organization", "Credit reports are issued for organizations only: give the "
                          "organization's unified social credit code (18 characters).", field="code")
    first = uscc.check(compact).errors[0]  # a code mistyped: what is wrong with it, where
    raise ReportError(first.code, shown_personal(f"{first.message} A credit report is issued for an organization by "
                                                 "its unified social credit code."), field="code")


def _basic(organization: Mapping[str, Any]) -> list[dict[str, str]]:
    shown = []
    for e in elements.ELEMENTS:
        if e.name in ("uscc", "name"):  # the report's subject
            continue
        value = organization.get(e.name)
        if value is None or value == "":
            continue
        text = str(value)
        if e.kind is elements.Kind.DATE and len(text) == 8 and text.isdigit():
            text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        elif e.values and text in e.values:
            text = f"{e.values[text].zh}（{text}）"
        shown.append({"element": e.name, "label": e.zh, "value": text})
    return shown


def _record(record: Mapping[str, Any], subject: Mapping[str, str]) -> dict[str, Any]:
    """A record as a report prints it: its header (document number, status, severity, dates, provider,
    objection mark), then its values without those the header or the report's subject already says."""
    status = str(record.get("status") or "")
    severity = record.get("severity")
    said = {str(v) for v in (record.get("document_number"), record.get("decided_on"), record.get("valid_until"),
                             record.get("provider"), severity, SEVERITY_LABELS.get(str(severity)),
                             subject.get("code"), subject.get("name")) if v}
    return {
        "document_number": record.get("document_number"), "status": status,
        "status_label": STATUS_LABELS.get(status, status), "severity": severity,
        "severity_label": SEVERITY_LABELS.get(str(severity), "") if severity else "",
        "decided_on": record.get("decided_on"), "valid_until": record.get("valid_until"),
        "revoked_on": record.get("revoked_on"), "provider": record.get("provider"),
        "objection": None,  # objection marks: filled once objections are served
        "values": {str(k): _value_shown(str(k), str(v)) for k, v in (record.get("values") or {}).items()
                   if v not in (None, "") and str(v) not in said},
    }


#: Values kept as the national layouts' codes, printed with their meaning (as registration's are).
_CODED = {"当前状态": columns.LICENCE_STATUSES}


def _value_shown(field: str, value: str) -> str:
    """A record's value as a report prints it: a coded one with its meaning.

    >>> _value_shown("当前状态", "0"), _value_shown("备注", "0")
    ('正常（0）', '0')
    """
    meaning = _CODED.get(field, {}).get(value)
    return f"{meaning}（{value}）" if meaning else value


def _header(number: str, kind: str, title: str, issued_at: datetime.datetime, data_as_of: datetime.date,
            audience: str, verify_url: str) -> dict[str, Any]:
    return {"number": number, "kind": kind, "title": title, "platform": PLATFORM, "generated_at": _time(issued_at),
            "data_as_of": data_as_of.isoformat(), "audience": audience,
            "audience_label": AUDIENCES.get(audience, audience), "verification": verify_url, "version": 1}


def _subject(code: str, organization: Mapping[str, Any]) -> dict[str, str]:
    return {"code": code, "name": str(organization.get("name") or "")}


def build_report(number: str, issued_at: datetime.datetime, data_as_of: datetime.date, audience: str,
                 verify_url: str, code: str, organization: Mapping[str, Any],
                 records: Mapping[str, Any]) -> dict[str, Any]:
    """The public credit report of an organization from what the redaction point gave: its elements
    (``organization``) and its records by catalogue item (``records``, the shape of
    services/sharing/disclosure.subject_records). Nothing is filtered here.

    >>> doc = build_report("JJJ-2026-00000000-4", datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC),
    ...                    datetime.date(2026, 6, 1), "public", "https://x/api/v1/reports/JJJ-2026-00000000-4",
    ...                    "91130102MA4CL12T22", {"name": "某公司", "status": "1"},
    ...                    {"items": [{"item": "JJJ-03-001", "item_name": "行政处罚信息", "kind": "negative",
    ...                                "records": [{"document_number": "罚1", "status": "in_force"}]}]})
    >>> [(s["section"], s["count"]) for s in doc["summary"]][:3], doc["basic"][0]["value"]
    ([('licences', 0), ('penalties', 1), ('lists', 0)], '存续（1）')
    >>> doc["sections"][1]["items"][0]["records"][0]["status_label"]
    '有效'
    """
    grouped: dict[str, list[dict[str, Any]]] = {s.key: [] for s in SECTIONS}
    subject = _subject(code, organization)
    for group in records.get("items", ()):
        item = str(group["item"])
        grouped[section_of(item)].append({
            "item": item, "item_name": group.get("item_name") or "", "kind": group.get("kind") or "",
            "records": [_record(r, subject) for r in group.get("records", ())]})
    sections = [{"section": s.key, "title": s.title, "items": grouped[s.key],
                 "count": sum(len(i["records"]) for i in grouped[s.key])} for s in SECTIONS]
    return {
        "report": _header(number, "standard", "公共信用信息报告", issued_at, data_as_of, audience, verify_url),
        "subject": subject,
        "basic": _basic(organization),
        "summary": [{"section": s["section"], "title": s["title"], "count": s["count"]} for s in sections],
        "sections": sections,
        "notes": list(NOTES),
    }


@dataclass(frozen=True)
class Period:
    """The days a special report covers, both included."""

    start: datetime.date
    end: datetime.date


def check_period(start: datetime.date | None, end: datetime.date | None, today: datetime.date) -> Period:
    """The period of a special report: by default the five years up to ``today``; at most five years,
    not after ``today``, the start not after the end.

    >>> check_period(datetime.date(2021, 6, 2), None, datetime.date(2026, 6, 1))
    Period(start=datetime.date(2021, 6, 2), end=datetime.date(2026, 6, 1))
    >>> check_period(datetime.date(2021, 6, 1), None, datetime.date(2026, 6, 1))
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.report.ReportError: The period 2021-06-01 to 2026-06-01 is longer than 5 years: a special report covers at most 5 years; start on 2021-06-02 or later.
    """
    end = end or today
    if end > today:
        raise ReportError("report.period", f"The period ends on {end.isoformat()}, after today ({today.isoformat()}): "
                          "a report covers what is known; end it today at the latest.", field="to")
    earliest = _years_before(end, MAX_SPECIAL_YEARS) + datetime.timedelta(days=1)
    start = start or earliest
    if start > end:
        raise ReportError("report.period", f"The period starts on {start.isoformat()}, after its end "
                          f"({end.isoformat()}): give the earlier day as from.", field="from")
    if start < earliest:
        raise ReportError("report.period", f"The period {start.isoformat()} to {end.isoformat()} is longer than "
                          f"{MAX_SPECIAL_YEARS} years: a special report covers at most {MAX_SPECIAL_YEARS} years; "
                          f"start on {earliest.isoformat()} or later.", field="from")
    return Period(start, end)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_domains(names: Iterable[str]) -> tuple[str, ...]:
    """The domains asked for, known ones only, in the table's order (none: every domain).

    >>> check_domains(["taxation", " market_regulation "])
    ('market_regulation', 'taxation')
    >>> check_domains(["tax"])
    Traceback (most recent call last):
    ...
    jjjcredit.core.sharing.report.ReportError: Domain "tax" is not known: expected some of market_regulation, taxation, ecology_environment, emergency_management, housing_construction, human_resources, transport, fire_rescue, natural_resources, health, courts (none: every domain).
    """
    asked = {n.strip() for n in names if n.strip()}
    unknown = sorted(asked - set(DOMAINS))
    if unknown:
        raise ReportError("report.domain", f'Domain {", ".join(repr(u).replace(chr(39), chr(34)) for u in unknown)} is '
                          f'not known: expected some of {", ".join(DOMAINS)} (none: every domain).', field="domains")
    return tuple(d for d in DOMAINS if d in asked)


def _in_domains(record: Mapping[str, Any], domains: Sequence[str]) -> bool:
    if not domains:
        return True
    values = record.get("values") or {}
    text = " ".join(str(v) for v in (record.get("provider"), *values.values()) if v)
    return any(word in text for d in domains for word in DOMAINS[d][1])


def _in_period(record: Mapping[str, Any], period: Period) -> bool:
    decided = record.get("decided_on")
    if not decided:
        return False
    return period.start.isoformat() <= str(decided)[:10] <= period.end.isoformat()


def build_special(number: str, issued_at: datetime.datetime, data_as_of: datetime.date, audience: str,
                  verify_url: str, code: str, organization: Mapping[str, Any], records: Mapping[str, Any],
                  period: Period, domains: Sequence[str]) -> dict[str, Any]:
    """The special report (in place of compliance certificates): for each of :data:`QUESTIONS`, the
    records decided within ``period`` in ``domains`` — ``found`` with them, ``none_found`` with a
    statement, or ``not_covered`` where the catalogue has no item for the question. A revoked record is
    listed but not counted.

    >>> doc = build_special("JJJ-2026-00000000-4", datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC),
    ...     datetime.date(2026, 6, 1), "public", "u", "91130102MA4CL12T22", {"name": "某公司"}, {"items": []},
    ...     Period(datetime.date(2024, 1, 1), datetime.date(2026, 6, 1)), ())
    >>> [(q["question"], q["answer"]) for q in doc["questions"]]
    [('penalties', 'none_found'), ('coercive_measures', 'not_covered'), ('serious_dishonesty', 'none_found')]
    >>> doc["questions"][0]["statement"]
    '2024-01-01至2026-06-01期间，在全部领域内，未发现该主体的行政处罚记录。'
    """
    by_item = {str(g["item"]): g for g in records.get("items", ())}
    subject = _subject(code, organization)
    where = "、".join(DOMAINS[d][0] for d in domains) + "领域" if domains else "全部领域"
    span = f"{period.start.isoformat()}至{period.end.isoformat()}期间，在{where}内，"
    questions = []
    for q in QUESTIONS:
        found = [dict(_record(r, subject), item=item, item_name=by_item[item].get("item_name") or "")
                 for item in q.items if item in by_item for r in by_item[item].get("records", ())
                 if _in_period(r, period) and _in_domains(r, domains)]
        counted = sum(r["status"] != "revoked" for r in found)
        if not q.items:
            answer, statement = "not_covered", f"平台公共信用信息目录尚无{q.title}信息事项，本报告不能证明有无{q.title}记录。"
        elif counted:
            answer, statement = "found", f"{span}发现该主体的{q.title}记录{counted}条。"
        else:
            answer, statement = "none_found", f"{span}未发现该主体的{q.title}记录。"
        questions.append({"question": q.key, "title": q.title, "items": list(q.items), "answer": answer,
                          "found": counted, "statement": statement, "records": found})
    header = _header(number, "special", "专项信用报告（替代有无违法违规记录证明）", issued_at, data_as_of, audience,
                     verify_url)
    header["period"] = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    header["domains"] = [{"domain": d, "title": DOMAINS[d][0]} for d in domains]
    return {"report": header, "subject": subject, "basic": _basic(organization),
            "questions": questions, "notes": list(NOTES)}


def text_fields(document: Mapping[str, Any]) -> list[str]:
    """Every text a reader of the report sees, in the order a rendering prints it (the PDF's text is
    checked against this).

    >>> text_fields({"report": {"title": "报告", "number": "N"}, "subject": {"name": "某公司"}})[:3]
    ['报告', 'N', '某公司']
    """
    head = document.get("report", {})
    generated = head.get("generated_at")  # (printed as a reader in China reads it)
    texts = [head.get("title"), head.get("number"), head.get("platform"), generated and shown_time(generated),
             head.get("data_as_of"), head.get("audience_label")]
    if "period" in head:
        texts += [head["period"]["from"], head["period"]["to"], *(d["title"] for d in head.get("domains", ()))]
    texts += [document.get("subject", {}).get("name"), document.get("subject", {}).get("code")]
    for b in document.get("basic", ()):
        texts += [b["label"], b["value"]]
    for s in document.get("summary", ()):
        texts += [s["title"], str(s["count"])]
    for s in document.get("sections", ()):
        texts.append(s["title"])
        for i in s["items"]:
            texts.append(i["item_name"])
            texts += _record_texts(i["records"])
    for q in document.get("questions", ()):
        texts += [q["title"], q["statement"]]
        texts += _record_texts(q["records"])
    texts += list(document.get("notes", ()))
    return [str(t) for t in texts if t not in (None, "")]


def _record_texts(records: Iterable[Mapping[str, Any]]) -> list[str]:
    texts: list[str] = []
    for r in records:
        texts += [r["document_number"], r["status_label"], r["severity_label"], r["decided_on"], r["valid_until"],
                  r["provider"]]
        for k, v in r["values"].items():
            texts += [k, v]
    return [t for t in texts if t]
