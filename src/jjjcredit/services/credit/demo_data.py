"""Synthetic credit records beside the demo's department files: what the regions' providers submit
under the catalogue's credit items, with mistakes real files contain.

``write_credit_data(out, manifest)`` writes into ``out/credit/``, for the demo's regions:

- administrative penalties (JJJ-03-001), one file per region from its market regulator — Beijing a
  UTF-8 CSV, Tianjin an XLSX workbook, Hebei a GB18030 CSV with dates as ``2026年5月20日`` — of
  organizations the demo's department files hold, a few organizations they do not (flagged
  ``credit.unknown_organization`` on ingest) and some natural persons (identity numbers valid but
  belonging to nobody);
- administrative licences (JJJ-03-002), serious-dishonesty list entries (JJJ-04-001),
  abnormal-operation list entries (JJJ-04-002) and commendations (JJJ-07-001), one file each, fewer rows.

Most records are decided within the item's collection time limit before ``today`` (the day they are
generated, and meant to be submitted); some were decided weeks or months earlier, so they arrive late.

**Mistakes** (a share ``mistake_rate`` of the rows, at least one of each kind a file can have when
the rate is above 0): a date that does not exist, a decision date in the future, a valid-until
before the decision, a penalty or licence category the law does not have, a subject code with a
wrong check character, an identity number with a wrong check character, an empty required value,
a document number twice in a file. ``manifest.json`` gets a ``credit`` section listing every file
(item, provider, rows) and every mistake by row (the header is row 1), field and the error code
the checker gives (docs/errors.md). The same seed writes the same records.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

from jjjcredit.core.codes import uscc
from jjjcredit.core.credit import synthetic as credit_synthetic
from jjjcredit.core.library import synthetic
from jjjcredit.services.library.demo_data import Manifest, Subject

FOLDER = "credit"
#: Mistake kinds, by the error code the checker gives.
DATE, FUTURE, UNTIL_BEFORE, VALUE, SUBJECT_CODE, IDENTITY, REQUIRED, DUPLICATE = (
    "record.date", "credit.future_date", "credit.valid_until_before", "record.value", "credit.subject_code",
    "credit.identity_number", "record.required", "credit.duplicate")
#: Penalty rows per region for a demo of ``count`` organizations: count / 50, from 30 to 600.
PENALTIES_PER_ORGANIZATION = 50
MAX_PENALTIES = 600
MIN_PENALTIES = 30
UNKNOWN_SHARE = 0.04  #: organizations the library does not hold
LATE_SHARE = 0.15  #: records decided long before they are submitted


@dataclass(frozen=True)
class _Party:
    """Whom a record is about."""

    kind: str  #: organization, individual_business, natural_person
    name: str
    code: str = ""
    legal_rep: str = ""
    number: str = ""
    known: bool = True  #: the library holds it


@dataclass
class CreditFile:
    file: str  #: relative to the demo folder, e.g. ``credit/beijing-penalties.csv``
    item: str
    provider: str
    format: str
    encoding: str | None
    rows: int = 0
    natural_persons: int = 0
    unknown_organizations: list[int] = field(default_factory=list)
    mistakes: list[dict[str, object]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "item": self.item, "provider": self.provider, "format": self.format,
                "encoding": self.encoding, "rows": self.rows, "natural_persons": self.natural_persons,
                "unknown_organizations": self.unknown_organizations, "mistakes": self.mistakes}


@dataclass
class CreditManifest:
    seed: int
    today: datetime.date
    mistake_rate: float
    files: list[CreditFile] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def mistakes(self) -> int:
        return sum(len(f.mistakes) for f in self.files)

    def to_json(self) -> dict[str, object]:
        return {"folder": FOLDER, "seed": self.seed, "today": self.today.isoformat(),
                "mistake_rate": self.mistake_rate, "rows": self.rows, "mistakes": self.mistakes(),
                "files": [f.to_json() for f in self.files]}


@dataclass(frozen=True)
class _Spec:
    """One kind of file: its item, header, and the fields each mistake touches."""

    key: str
    item: str
    header: tuple[str, ...]
    decided: str
    document: str
    required: str
    code: str
    days: int  #: the item's collection time limit in working days
    until: str = ""
    identity: str = ""
    value: tuple[str, tuple[str, ...]] | None = None
    person_share: float = 0.0
    market_only: bool = True
    also_clear: tuple[str, ...] = ()  #: dates emptied when the decision date is made wrong

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k for k, ok in ((DATE, True), (FUTURE, True), (UNTIL_BEFORE, bool(self.until)),
                                     (VALUE, self.value is not None), (SUBJECT_CODE, True),
                                     (IDENTITY, bool(self.identity)), (REQUIRED, True), (DUPLICATE, True)) if ok)


_PENALTY_HEADER = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政处罚决定书文号", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）",
    "没收违法所得、没收非法财物的金额（万元）", "暂扣或吊销证照名称及编号", "处罚决定日期", "处罚有效期",
    "公示截止期", "处罚机关", "处罚机关统一社会信用代码", "数据来源单位", "数据来源单位统一社会信用代码",
    "失信严重程度", "备注")
_LICENCE_HEADER = (
    "行政相对人名称", "行政相对人类别", "统一社会信用代码", "法定代表人", "证件类型", "证件号码",
    "行政许可决定文书名称", "行政许可决定文书号", "许可类别", "许可证书名称", "许可编号", "许可内容",
    "许可决定日期", "有效期自", "有效期至", "许可机关", "许可机关统一社会信用代码", "当前状态", "数据来源单位",
    "数据来源单位统一社会信用代码", "备注")

PENALTIES = _Spec("penalties", "JJJ-03-001", _PENALTY_HEADER, "处罚决定日期", "行政处罚决定书文号", "违法事实",
                  "统一社会信用代码", 7, until="处罚有效期", identity="证件号码",
                  value=("处罚类别", ("责令改正", "罚金", "责令限期改正", "约谈")), person_share=0.12,
                  also_clear=("公示截止期",))
LICENCES = _Spec("licences", "JJJ-03-002", _LICENCE_HEADER, "许可决定日期", "行政许可决定文书号", "许可内容",
                 "统一社会信用代码", 7, until="有效期至", value=("许可类别", ("行政许可", "备案", "审批")))
SERIOUS = _Spec("serious-dishonesty", "JJJ-04-001",
                ("主体名称", "统一社会信用代码", "证件号码", "列入事由", "认定部门", "列入日期", "认定文书号"),
                "列入日期", "认定文书号", "列入事由", "统一社会信用代码", 3, identity="证件号码", person_share=0.2,
                market_only=False)
ABNORMAL = _Spec("abnormal-operation", "JJJ-04-002",
                 ("企业名称", "统一社会信用代码", "列入经营异常名录原因", "列入日期", "作出决定机关", "列入决定书文号",
                  "移出日期"),
                 "列入日期", "列入决定书文号", "列入经营异常名录原因", "统一社会信用代码", 7, also_clear=("移出日期",))
COMMENDATIONS = _Spec("commendations", "JJJ-07-001",
                      ("主体名称", "统一社会信用代码", "证件号码", "表彰名称", "表彰文号", "表彰内容", "表彰日期",
                       "表彰机关"),
                      "表彰日期", "表彰文号", "表彰名称", "统一社会信用代码", 7, identity="证件号码", person_share=0.15,
                      market_only=False)

#: Region → provider per kind of file.
PROVIDERS: dict[str, dict[str, str]] = {
    "beijing": {"penalties": "北京市市场监督管理局", "licences": "北京市政务服务和数据管理局",
                "serious-dishonesty": "北京市发展和改革委员会", "abnormal-operation": "北京市市场监督管理局",
                "commendations": "首都精神文明建设委员会办公室"},
    "tianjin": {"penalties": "天津市市场监督管理委员会", "licences": "天津市政务服务办公室",
                "serious-dishonesty": "天津市发展和改革委员会", "abnormal-operation": "天津市市场监督管理委员会",
                "commendations": "天津市精神文明建设委员会办公室"},
    "hebei": {"penalties": "河北省市场监督管理局", "licences": "河北省政务服务管理办公室",
              "serious-dishonesty": "河北省发展和改革委员会", "abnormal-operation": "河北省市场监督管理局",
              "commendations": "河北省精神文明建设委员会办公室"},
}
#: Region → how its penalty file is written: (format, encoding, date style).
PENALTY_FILES: dict[str, tuple[str, str | None, str]] = {
    "beijing": ("csv", "utf-8-sig", "iso"), "tianjin": ("xlsx", None, "iso"), "hebei": ("csv", "gb18030", "chinese"),
}
#: The other files: the region preferred for each (the first of the demo's regions in this order).
OTHER_FILES: tuple[tuple[_Spec, tuple[str, ...]], ...] = (
    (LICENCES, ("tianjin", "beijing", "hebei")), (SERIOUS, ("beijing", "hebei", "tianjin")),
    (ABNORMAL, ("hebei", "tianjin", "beijing")), (COMMENDATIONS, ("hebei", "beijing", "tianjin")),
)
_DOCUMENT_WORDS = {"penalties": "市监罚", "licences": "政许准", "serious-dishonesty": "发改信用",
                   "abnormal-operation": "市监异", "commendations": "文明办"}


def penalty_rows(count: int) -> int:
    """Penalty rows per region for a demo of ``count`` organizations.

    >>> penalty_rows(20_000), penalty_rows(100), penalty_rows(10**6)
    (400, 30, 600)
    """
    return min(MAX_PENALTIES, max(MIN_PENALTIES, count // PENALTIES_PER_ORGANIZATION))


def write_credit_data(out: Path, manifest: Manifest, mistake_rate: float | None = None,
                      today: datetime.date | None = None) -> CreditManifest:
    """Write the credit record files into ``out/credit/`` for the organizations the demo wrote
    (``manifest.sample``), and add their ``credit`` section to ``out/manifest.json`` (when it exists)."""
    rate = manifest.mistake_rate if mistake_rate is None else mistake_rate
    day = today or datetime.date.today()
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    credit = CreditManifest(manifest.seed, day, rate)
    regions = [r for r in manifest.regions if r in PROVIDERS]
    sample = list(manifest.sample)
    rows = penalty_rows(manifest.count)
    for region in regions:
        fmt, encoding, style = PENALTY_FILES[region]
        credit.files.append(_write(folder, PENALTIES, region, rows, fmt, encoding, style, sample, manifest.seed,
                                   rate, day))
    for spec, preferred in OTHER_FILES:
        region = next((r for r in preferred if r in regions), regions[0])
        credit.files.append(_write(folder, spec, region, max(10, rows // 4), "csv", "utf-8-sig", "iso", sample,
                                   manifest.seed, rate, day))
    path = out / "manifest.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        data["credit"] = credit.to_json()
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return credit


def _write(folder: Path, spec: _Spec, region: str, count: int, fmt: str, encoding: str | None, style: str,
           sample: Sequence[Subject], seed: int, rate: float, today: datetime.date) -> CreditFile:
    tag = f"jjjcredit-demo:{seed}:credit:{region}:{spec.key}"
    rng = random.Random(tag)
    wrong = random.Random(tag + ":mistakes")
    provider = PROVIDERS[region][spec.key]
    report = CreditFile(f"{FOLDER}/{region}-{spec.key}.{fmt}", spec.item, provider, fmt, encoding)
    planned = _plan_mistakes(wrong, spec, count, rate)
    parties = _Parties(rng, spec, region, sample, today)
    build = _BUILDERS[spec.key]
    place, province, abbr = credit_synthetic.REGIONS[region]
    authority = (provider, credit_synthetic.authority_code(provider, province))
    first = 100 + int(rng.random() * 400)
    written: list[list[str]] = []
    clean_documents: list[str] = []
    for i in range(count):
        row = i + 2  # the header is row 1
        mistake = planned.get(i)
        party = parties.draw(mistake)
        decided = _decided(rng, today, spec.days, mistake == FUTURE)
        document = f"{abbr}{_DOCUMENT_WORDS[spec.key]}〔{decided.year}〕{first + i}号"
        values = build(rng, party, decided, document, authority, place, today)
        values[spec.decided] = _day(decided, style)
        if spec.until and values.get(spec.until):
            values[spec.until] = _day(datetime.date.fromisoformat(values[spec.until]), style)
        for name in spec.also_clear:
            if values.get(name):
                later = datetime.date.fromisoformat(values[name])
                values[name] = "" if mistake in (DATE, FUTURE) else _day(later, style)
        fld = _apply(wrong, spec, mistake, values, decided, style, clean_documents)
        if mistake is not None:
            report.mistakes.append({"row": row, "field": fld, "code": mistake})
        else:
            clean_documents.append(document)
            if not party.known:
                report.unknown_organizations.append(row)
        report.natural_persons += party.kind == "natural_person"
        written.append([values.get(h, "") for h in spec.header])
    report.rows = len(written)
    path = folder / Path(report.file).name
    if fmt == "xlsx":
        _write_xlsx(path, spec.header, written, f"{spec.item}")
    else:
        with path.open("w", encoding=encoding or "utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow(spec.header)
            writer.writerows(written)
    return report


def _plan_mistakes(rng: random.Random, spec: _Spec, count: int, rate: float) -> dict[int, str]:
    """Row index → mistake kind: ``rate`` of the rows, each kind at least once; never the first row
    (a duplicate needs an earlier good one)."""
    if rate <= 0 or count < 2:
        return {}
    kinds = list(spec.kinds)
    n = min((count - 1) // 3, max(len(kinds), round(count * rate)))
    rows = sorted(rng.sample(range(1, count), n))
    rng.shuffle(kinds)
    return {r: kinds[i % len(kinds)] for i, r in enumerate(rows)}


def _decided(rng: random.Random, today: datetime.date, days: int, future: bool) -> datetime.date:
    """A decision date: mostly within the collection time limit before ``today`` (not late), a share
    a month to a year earlier (late); in the future for that mistake."""
    if future:
        return today + datetime.timedelta(days=20 + int(rng.random() * 60))
    if rng.random() < LATE_SHARE:
        return today - datetime.timedelta(days=30 + int(rng.random() * 300))
    return today - datetime.timedelta(days=int(rng.random() * days))


def _day(day: datetime.date, style: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if style == "chinese" else day.isoformat()


def _apply(rng: random.Random, spec: _Spec, mistake: str | None, values: dict[str, str], decided: datetime.date,
           style: str, documents: Sequence[str]) -> str:
    """Put ``mistake`` into ``values``; return the header of the field it is in ('' for a duplicate)."""
    if mistake == DATE:
        month, day = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))[int(rng.random() * 6)]
        values[spec.decided] = (f"{decided.year}年{month}月{day}日" if style == "chinese"
                                else f"{decided.year}-{month:02d}-{day}")
        return spec.decided
    if mistake == FUTURE:
        return spec.decided
    if mistake == UNTIL_BEFORE:
        values[spec.until] = _day(decided - datetime.timedelta(days=1 + int(rng.random() * 60)), style)
        return spec.until
    if mistake == VALUE and spec.value is not None:
        name, bad = spec.value
        values[name] = credit_synthetic.pick(rng, bad)
        return name
    if mistake == SUBJECT_CODE:
        code = values[spec.code]
        values[spec.code] = code[:17] + next(c for c in uscc.ALPHABET[int(rng.random() * 31):] + uscc.ALPHABET
                                             if c != code[17])
        return spec.code
    if mistake == IDENTITY:
        number = values[spec.identity]
        values[spec.identity] = number[:17] + next(c for c in "0123456789X"[int(rng.random() * 11):] + "0123456789X"
                                                   if c != number[17])
        return spec.identity
    if mistake == REQUIRED:
        values[spec.required] = ""
        return spec.required
    if mistake == DUPLICATE:
        values[spec.document] = documents[int(rng.random() * len(documents))]
        return ""
    return ""


class _Parties:
    """Draws whom each row is about: organizations the demo wrote (its market-regulation ones where
    the item is theirs), now and then one the library does not hold, and natural persons."""

    def __init__(self, rng: random.Random, spec: _Spec, region: str, sample: Sequence[Subject],
                 today: datetime.date) -> None:
        self.rng, self.spec, self.region, self.today = rng, spec, region, today
        local = [s for s in sample if s.region == region] or list(sample)
        market = [s for s in local if s.department == "market-regulation"]
        self.subjects = market if spec.market_only and market else local
        self.known = {s.uscc for s in sample}
        province = credit_synthetic.REGIONS[region][1]
        self.divisions = sorted({s.division for s in local}) or [province]

    def draw(self, mistake: str | None) -> _Party:
        rng, spec = self.rng, self.spec
        if spec.identity and (mistake == IDENTITY or (mistake != SUBJECT_CODE and rng.random() < spec.person_share)):
            name, number = credit_synthetic.natural_person(rng, self.region, self.today)
            return _Party("natural_person", name, number=number)
        if (mistake is None and rng.random() < UNKNOWN_SHARE) or not self.subjects:
            division = self.divisions[int(rng.random() * len(self.divisions))]
            code = uscc.generate(rng, "9", "1", region=division)
            while code in self.known:
                code = uscc.generate(rng, "9", "1", region=division)
            legal_rep = synthetic.person_name(rng, rng.random() < 0.7)
            return _Party("organization", credit_synthetic.company_name(rng, self.region), code, legal_rep, known=False)
        s = self.subjects[int(rng.random() * len(self.subjects))]
        kind = "individual_business" if s.uscc.startswith("92") else "organization"
        return _Party(kind, s.name, s.uscc, s.legal_rep)


_ABBREVIATIONS = {place: abbr for place, _province, abbr in credit_synthetic.REGIONS.values()}
_CATEGORY = {"organization": "法人及非法人组织", "individual_business": "个体工商户", "natural_person": "自然人"}
_SEVERITY_MONTHS = {"轻微": 3, "一般": 12, "严重": 36}

_Builder = Callable[[random.Random, _Party, datetime.date, str, tuple[str, str], str, datetime.date], dict[str, str]]


def _months_later(day: datetime.date, months: int) -> datetime.date:
    """The day before the same day ``months`` later (a period of so many months)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last)) - datetime.timedelta(days=1)


def _subject_columns(party: _Party) -> dict[str, str]:
    person = party.kind == "natural_person"
    return {"行政相对人名称": party.name, "行政相对人类别": _CATEGORY[party.kind], "统一社会信用代码": party.code,
            "法定代表人": "" if person else party.legal_rep, "证件类型": "身份证" if person else "",
            "证件号码": party.number}


def _penalty(rng: random.Random, party: _Party, decided: datetime.date, document: str,
             authority: tuple[str, str], place: str, today: datetime.date) -> dict[str, str]:
    person = party.kind == "natural_person"
    choices = [v for v in credit_synthetic.VIOLATIONS if v.person] if person else credit_synthetic.VIOLATIONS
    violation = choices[int(rng.random() * len(choices))]
    categories = credit_synthetic.pick(rng, violation.categories)
    named = categories.split("；")
    amount = credit_synthetic.fine(rng, *violation.fine) if "罚款" in named else ""
    confiscated = credit_synthetic.fine(rng, 0.05, violation.fine[1] / 2) \
        if "没收违法所得" in named or "没收非法财物" in named else ""
    r = rng.random()
    severity = "严重" if any("吊销" in c or "停产" in c for c in named) else \
        "轻微" if r < 0.3 and not amount else "一般" if r < 0.85 else "严重"
    until = _months_later(decided, _SEVERITY_MONTHS[severity])
    licence = ""
    if any("吊销" in c or "暂扣" in c for c in named):
        licence = f"药品经营许可证（编号：{_ABBREVIATIONS[place]}AA{int(rng.random() * 10**7):07d}）"
    name, code = authority
    found = decided - datetime.timedelta(days=30 + int(rng.random() * 90))
    return {**_subject_columns(party), "行政处罚决定书文号": document, "违法行为类型": violation.kind,
            "违法事实": credit_synthetic.facts(rng, violation, found, name),
            "处罚依据": violation.basis, "处罚类别": categories,
            "处罚内容": credit_synthetic.content(categories, amount, confiscated), "罚款金额（万元）": amount,
            "没收违法所得、没收非法财物的金额（万元）": confiscated, "暂扣或吊销证照名称及编号": licence,
            "处罚决定日期": decided.isoformat(), "处罚有效期": until.isoformat(), "公示截止期": until.isoformat(),
            "处罚机关": name, "处罚机关统一社会信用代码": code, "数据来源单位": name,
            "数据来源单位统一社会信用代码": code, "失信严重程度": severity, "备注": ""}


def _licence(rng: random.Random, party: _Party, decided: datetime.date, document: str,
             authority: tuple[str, str], place: str, today: datetime.date) -> dict[str, str]:
    certificate, paper, category, scope = credit_synthetic.LICENCES[int(rng.random() * len(credit_synthetic.LICENCES))]
    name, code = authority
    until = _months_later(decided, 60)
    number = f"{_ABBREVIATIONS[place]}{decided.year}{int(rng.random() * 10**8):08d}"
    return {**_subject_columns(party), "行政许可决定文书名称": paper, "行政许可决定文书号": document,
            "许可类别": category, "许可证书名称": certificate, "许可编号": number, "许可内容": scope,
            "许可决定日期": decided.isoformat(), "有效期自": decided.isoformat(), "有效期至": until.isoformat(),
            "许可机关": name, "许可机关统一社会信用代码": code, "当前状态": "0", "数据来源单位": name,
            "数据来源单位统一社会信用代码": code, "备注": ""}


def _serious(rng: random.Random, party: _Party, decided: datetime.date, document: str,
             authority: tuple[str, str], place: str, today: datetime.date) -> dict[str, str]:
    return {"主体名称": party.name, "统一社会信用代码": party.code, "证件号码": party.number,
            "列入事由": credit_synthetic.pick(rng, credit_synthetic.SERIOUS_REASONS), "认定部门": authority[0],
            "列入日期": decided.isoformat(), "认定文书号": document}


def _abnormal(rng: random.Random, party: _Party, decided: datetime.date, document: str,
              authority: tuple[str, str], place: str, today: datetime.date) -> dict[str, str]:
    removed = ""
    if (today - decided).days > 60 and rng.random() < 0.3:
        removed = (decided + datetime.timedelta(days=30 + int(rng.random() * 20))).isoformat()
    return {"企业名称": party.name, "统一社会信用代码": party.code,
            "列入经营异常名录原因": credit_synthetic.pick(rng, credit_synthetic.ABNORMAL_REASONS),
            "列入日期": decided.isoformat(), "作出决定机关": authority[0], "列入决定书文号": document,
            "移出日期": removed}


def _commendation(rng: random.Random, party: _Party, decided: datetime.date, document: str,
                  authority: tuple[str, str], place: str, today: datetime.date) -> dict[str, str]:
    person = party.kind == "natural_person"
    choices = credit_synthetic.COMMENDATIONS[-1:] if person else credit_synthetic.COMMENDATIONS[:-1]
    title, text = choices[int(rng.random() * len(choices))]
    return {"主体名称": party.name, "统一社会信用代码": party.code, "证件号码": party.number,
            "表彰名称": f"{decided.year}年度{place}{title}", "表彰文号": document, "表彰内容": text,
            "表彰日期": decided.isoformat(), "表彰机关": authority[0]}


_BUILDERS: dict[str, _Builder] = {"penalties": _penalty, "licences": _licence, "serious-dishonesty": _serious,
                                  "abnormal-operation": _abnormal, "commendations": _commendation}


def _write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]], title: str) -> None:
    book = Workbook(write_only=True)
    book.properties.creator = "jjjcredit demo-data"
    book.properties.created = book.properties.modified = datetime.datetime(2024, 1, 1)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
