"""The columns of credit records as data elements: the national "double publicity" column codes
(``CF_WSH``, ``XK_XKLB`` …, domain.md §7.1) and the list items' columns, each with its Chinese name,
kind of value, length, the header spellings providers use, and the role it plays in a record.

A catalogue item's layout (core/credit/catalogue.Field) names these codes; how a value of each
kind is checked is core/credit/row_checks.py. The lengths are the ones public systems agree on
(*unconfirmed* as official); a catalogue item may set a tighter one.

>>> COLUMNS["CF_WSH"].name, COLUMNS["CF_WSH"].role, COLUMNS["CF_WSH"].max_length
('行政处罚决定书文号', 'document_number', 128)
>>> COLUMNS["CF_XDR_ZJHM"].personal, COLUMNS["CF_XDR_MC"].personal
(True, False)
>>> by_header("行政许可决定文书号").code
'XK_WSH'
>>> by_header("cf_jdrq").code, by_header(" 处罚决定日期 ").code
('CF_JDRQ', 'CF_JDRQ')
>>> penalty_categories("罚款；没收违法所得")
('罚款', '没收违法所得')
"""

from __future__ import annotations

import functools
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from jjjcredit.core.credit import catalogue

#: Kinds of value, each checked its own way (core/credit/row_checks.py).
KINDS = ("text", "date", "amount", "uscc", "identity_number", "subject_category", "penalty_category",
         "licence_category", "licence_status", "severity", "year", "tax_level")
#: What a column does in a record beyond its value.
ROLES = ("subject_name", "subject_category", "subject_code", "identity_type", "identity_number",
         "document_number", "decided_on", "valid_from", "valid_until", "authority_code", "source_code",
         "severity", "penalty_category", "fine", "confiscation", "suspended_licence", "")


#: The length from which a text column holds prose, where a line break is kept (:attr:`Column.multiline`).
MULTILINE_LENGTH = 512


@dataclass(frozen=True)
class Column:
    """One credit record column: ``code`` (the national column code, or the platform's where there is
    none), its Chinese ``name``, the ``kind`` of value, its length, the ``aliases`` providers write in
    headers, and its ``role``. ``personal`` values (identity numbers) are never stored or shown in clear."""

    code: str
    name: str
    kind: str = "text"
    max_length: int | None = None
    role: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def personal(self) -> bool:
        return self.kind == "identity_number"

    @property
    def multiline(self) -> bool:
        """Prose — the facts, the basis, the content, remarks (text of :data:`MULTILINE_LENGTH` characters or
        more): a line break in it (a spreadsheet cell's Alt+Enter) is kept, as ``\\n``."""
        return self.kind == "text" and (self.max_length or 0) >= MULTILINE_LENGTH


def _subject(prefix: str) -> list[Column]:
    """The subject columns the penalty (CF_) and licence (XK_) layouts share."""
    return [
        Column(f"{prefix}_XDR_MC", "行政相对人名称", max_length=200, role="subject_name",
               aliases=("相对人名称", "当事人名称", "行政管理相对人名称")),
        Column(f"{prefix}_XDR_LB", "行政相对人类别", "subject_category", 100, "subject_category",
               ("相对人类别", "当事人类别", "行政相对人类型")),
        Column(f"{prefix}_XDR_SHXYM", "行政相对人代码_1(统一社会信用代码)", "uscc", 18, "subject_code",
               ("统一社会信用代码", "行政相对人代码_1", "相对人统一社会信用代码", "社会信用代码")),
        Column(f"{prefix}_XDR_GSZC", "行政相对人代码_2(工商注册号)", max_length=50, aliases=("工商注册号", "行政相对人代码_2")),
        Column(f"{prefix}_XDR_ZZJG", "行政相对人代码_3(组织机构代码)", max_length=9, aliases=("组织机构代码", "行政相对人代码_3")),
        Column(f"{prefix}_XDR_SWDJ", "行政相对人代码_4(税务登记号)", max_length=15, aliases=("税务登记号", "行政相对人代码_4")),
        Column(f"{prefix}_XDR_SYDW", "行政相对人代码_5(事业单位证书号)", max_length=12,
               aliases=("事业单位证书号", "行政相对人代码_5")),
        Column(f"{prefix}_XDR_SHZZ", "行政相对人代码_6(社会组织登记证号)", max_length=50,
               aliases=("社会组织登记证号", "行政相对人代码_6")),
        Column(f"{prefix}_FRDB", "法定代表人", max_length=50, aliases=("法定代表人姓名", "法人代表")),
        Column(f"{prefix}_FR_ZJLX", "法定代表人证件类型", max_length=64, aliases=("法定代表人证件类别",)),
        Column(f"{prefix}_FR_ZJHM", "法定代表人证件号码", "identity_number", 64, aliases=("法定代表人身份证号",)),
        Column(f"{prefix}_XDR_ZJLX", "证件类型", max_length=64, role="identity_type",
               aliases=("行政相对人证件类型", "证件类别")),
        Column(f"{prefix}_XDR_ZJHM", "证件号码", "identity_number", 64, "identity_number",
               ("行政相对人证件号码", "身份证号码", "身份证号")),
    ]


_COLUMNS: list[Column] = [
    *_subject("CF"),
    Column("CF_WSH", "行政处罚决定书文号", max_length=128, role="document_number", aliases=("处罚决定书文号", "决定书文号", "文书号")),
    Column("CF_WFXW", "违法行为类型", max_length=2000, aliases=("违法行为",)),
    Column("CF_SY", "违法事实", max_length=2000, aliases=("主要违法事实",)),
    Column("CF_YJ", "处罚依据", max_length=2048),
    Column("CF_CFLB", "处罚类别", "penalty_category", 255, "penalty_category", ("处罚种类", "处罚类别1")),
    Column("CF_NR", "处罚内容", max_length=4000, aliases=("处罚结果",)),
    Column("CF_NR_FK", "罚款金额(万元)", "amount", role="fine", aliases=("罚款金额", "罚款金额（万元）")),
    Column("CF_NR_WFFF", "没收违法所得、没收非法财物的金额(万元)", "amount", role="confiscation",
           aliases=("没收违法所得、没收非法财物的金额", "没收金额", "没收违法所得、没收非法财物的金额（万元）")),
    Column("CF_NR_ZKDX", "暂扣或吊销证照名称及编号", max_length=200, role="suspended_licence"),
    Column("CF_JDRQ", "处罚决定日期", "date", role="decided_on", aliases=("决定日期", "作出处罚决定日期")),
    Column("CF_YXQ", "处罚有效期", "date", role="valid_until", aliases=("有效期",)),
    Column("CF_GSJZQ", "公示截止期", "date", aliases=("公示截止日期",)),
    Column("CF_CFJG", "处罚机关", max_length=200, aliases=("处罚机关名称", "作出处罚决定机关名称")),
    Column("CF_CFJGDM", "处罚机关统一社会信用代码", "uscc", 18, "authority_code", ("处罚机关代码",)),
    Column("CF_SJLY", "数据来源单位", max_length=200, aliases=("数据来源",)),
    Column("CF_SJLYDM", "数据来源单位统一社会信用代码", "uscc", 18, "source_code", ("数据来源单位代码",)),
    Column("XY_YZCD", "失信严重程度", "severity", 10, "severity", ("严重程度", "失信程度", "信用严重程度", "SEVERITY")),
    *_subject("XK"),
    Column("XK_XKWS", "行政许可决定文书名称", max_length=64, aliases=("许可决定文书名称",)),
    Column("XK_WSH", "行政许可决定文书号", max_length=64, role="document_number",
           aliases=("行政许可决定书文号", "许可决定文书号", "许可文书号")),
    Column("XK_XKLB", "许可类别", "licence_category", 256, aliases=("许可类型",)),
    Column("XK_XKZS", "许可证书名称", max_length=64),
    Column("XK_XKBH", "许可编号", max_length=64, aliases=("许可证编号", "证书编号")),
    Column("XK_NR", "许可内容", max_length=4000),
    Column("XK_JDRQ", "许可决定日期", "date", role="decided_on", aliases=("决定日期",)),
    Column("XK_YXQZ", "有效期自", "date", role="valid_from", aliases=("许可有效期自",)),
    Column("XK_YXQZI", "有效期至", "date", role="valid_until", aliases=("许可有效期至", "许可截止日期")),
    Column("XK_XKJG", "许可机关", max_length=200, aliases=("许可机关名称",)),
    Column("XK_XKJGDM", "许可机关统一社会信用代码", "uscc", 18, "authority_code", ("许可机关代码",)),
    Column("XK_ZT", "当前状态", "licence_status", 1, aliases=("状态",)),
    Column("XK_LYDW", "数据来源单位", max_length=200, aliases=("数据来源",)),
    Column("XK_LYDWDM", "数据来源单位统一社会信用代码", "uscc", 18, "source_code", ("数据来源单位代码",)),
    Column("XK_SHLX", "审核类型", max_length=64),
    Column("BZ", "备注", max_length=512),
    # dishonest judgment debtors (失信被执行人)
    Column("SX_MC", "被执行人名称", max_length=200, role="subject_name", aliases=("被执行人姓名/名称", "失信被执行人名称")),
    Column("SX_SHXYM", "统一社会信用代码", "uscc", 18, "subject_code", ("社会信用代码",)),
    Column("SX_ZJHM", "证件号码", "identity_number", 64, "identity_number", ("身份证号码", "身份证号", "身份证号码/组织机构代码")),
    Column("SX_YJWH", "执行依据文号", max_length=128, role="document_number", aliases=("案号", "执行案号")),
    Column("SX_ZXFY", "执行法院", max_length=200),
    Column("SX_QX", "失信行为情形", max_length=2000, aliases=("失信被执行人行为具体情形",)),
    Column("SX_FBRQ", "发布日期", "date", role="decided_on", aliases=("发布时间",)),
    # the serious-dishonesty list (严重失信主体名单)
    Column("YZSX_MC", "主体名称", max_length=200, role="subject_name", aliases=("严重失信主体名称",)),
    Column("YZSX_SHXYM", "统一社会信用代码", "uscc", 18, "subject_code"),
    Column("YZSX_ZJHM", "证件号码", "identity_number", 64, "identity_number", ("身份证号码", "身份证号")),
    Column("YZSX_LRSY", "列入事由", max_length=2000, aliases=("列入原因", "列入严重失信主体名单事由")),
    Column("YZSX_RDBM", "认定部门", max_length=200, aliases=("认定机关",)),
    Column("YZSX_LRRQ", "列入日期", "date", role="decided_on", aliases=("认定日期",)),
    Column("YZSX_WSH", "认定文书号", max_length=128, role="document_number", aliases=("认定决定书文号", "决定书文号")),
    # the abnormal-operation list (经营异常名录)
    Column("YC_MC", "企业名称", max_length=200, role="subject_name", aliases=("市场主体名称",)),
    Column("YC_SHXYM", "统一社会信用代码", "uscc", 18, "subject_code"),
    Column("YC_LRYY", "列入经营异常名录原因", max_length=2000, aliases=("列入原因",)),
    Column("YC_LRRQ", "列入日期", "date", role="decided_on"),
    Column("YC_ZCJG", "作出决定机关", max_length=200, aliases=("列入机关", "决定机关")),
    Column("YC_WSH", "列入决定书文号", max_length=128, role="document_number", aliases=("决定书文号", "文书号")),
    Column("YC_YCRQ", "移出日期", "date"),
    # credit commitments (信用承诺)
    Column("CN_MC", "承诺主体名称", max_length=200, role="subject_name"),
    Column("CN_SHXYM", "统一社会信用代码", "uscc", 18, "subject_code"),
    Column("CN_ZJHM", "证件号码", "identity_number", 64, "identity_number", ("身份证号码", "身份证号")),
    Column("CN_BH", "承诺书编号", max_length=128, role="document_number", aliases=("承诺编号",)),
    Column("CN_LX", "承诺类型", max_length=100),
    Column("CN_NR", "承诺内容", max_length=4000),
    Column("CN_RQ", "承诺日期", "date", role="decided_on", aliases=("承诺作出日期",)),
    Column("CN_SLDW", "受理单位", max_length=200),
    Column("CN_LYZT", "履约状态", max_length=20),
    # tax credit A-level taxpayers (纳税信用A级纳税人)
    Column("NS_MC", "纳税人名称", max_length=200, role="subject_name"),
    Column("NS_SBH", "纳税人识别号", "uscc", 20, "subject_code", ("统一社会信用代码", "纳税人识别号/统一社会信用代码")),
    Column("NS_ND", "评价年度", "year", 4, "document_number", ("年度",)),
    Column("NS_JB", "信用级别", "tax_level", 2, aliases=("纳税信用级别",)),
    Column("NS_PJJG", "评价机关", max_length=200, aliases=("评价税务机关",)),
    Column("NS_PJRQ", "评价日期", "date", role="decided_on", aliases=("发布日期",)),
    # commendations (诚信表彰)
    Column("BZ_MC", "主体名称", max_length=200, role="subject_name", aliases=("受表彰主体名称",)),
    Column("BZ_SHXYM", "统一社会信用代码", "uscc", 18, "subject_code"),
    Column("BZ_ZJHM", "证件号码", "identity_number", 64, "identity_number", ("身份证号码", "身份证号")),
    Column("BZ_MCH", "表彰名称", max_length=200, aliases=("荣誉名称",)),
    Column("BZ_WH", "表彰文号", max_length=128, role="document_number", aliases=("表彰决定文号", "文号")),
    Column("BZ_NR", "表彰内容", max_length=2000),
    Column("BZ_RQ", "表彰日期", "date", role="decided_on"),
    Column("BZ_JG", "表彰机关", max_length=200, aliases=("表彰单位",)),
]

#: Every column by code.
COLUMNS: dict[str, Column] = {c.code: c for c in _COLUMNS}

#: 行政相对人类别 → subject type (core/credit/catalogue.SUBJECT_TYPES), with the spellings met in data.
SUBJECT_CATEGORIES: dict[str, str] = {
    "法人及非法人组织": "organization", "法人及其他组织": "organization", "法人": "organization",
    "非法人组织": "organization", "法人和非法人组织": "organization",
    "自然人": "natural_person", "个体工商户": "individual_business",
}
#: 处罚类别 (Administrative Penalty Law 2021, Art. 9), and the older law's spellings still met in data.
PENALTY_CATEGORIES: tuple[str, ...] = (
    "警告", "通报批评", "罚款", "没收违法所得", "没收非法财物", "暂扣许可证件", "降低资质等级", "吊销许可证件",
    "限制开展生产经营活动", "责令停产停业", "责令关闭", "限制从业", "行政拘留", "其他",
    "法律、行政法规规定的其他行政处罚", "其他行政处罚", "暂扣或者吊销许可证", "暂扣或者吊销执照", "暂扣许可证",
    "吊销许可证", "吊销营业执照", "暂扣执照",
)
#: Categories that require the fine amount, the confiscated amount, the suspended licence.
FINE_CATEGORIES = frozenset({"罚款"})
CONFISCATION_CATEGORIES = frozenset({"没收违法所得", "没收非法财物"})
LICENCE_CATEGORIES_OF_PENALTY = frozenset(c for c in PENALTY_CATEGORIES if "吊销" in c or "暂扣" in c)
#: 许可类别.
LICENCE_CATEGORIES: tuple[str, ...] = ("普通", "特许", "认可", "核准", "登记", "其他")
#: 当前状态 of a licence: code → meaning.
LICENCE_STATUSES: dict[str, str] = {"0": "正常", "1": "撤销", "2": "异议", "3": "其他"}
#: The same, word → code (providers write either).
LICENCE_STATUS_CODES: dict[str, str] = {v: k for k, v in LICENCE_STATUSES.items()}
#: 失信严重程度 → severity class (core/credit/catalogue.SEVERITIES).
SEVERITY_WORDS: dict[str, str] = {
    "轻微": "minor", "轻微失信": "minor", "minor": "minor",
    "一般": "general", "一般失信": "general", "general": "general",
    "严重": "serious", "严重失信": "serious", "serious": "serious",
}
#: Severity class → the word people read (国办发〔2025〕22号: 轻微 / 一般 / 严重); the class is what is stored.
SEVERITY_NAMES: dict[str, str] = {"minor": "轻微", "general": "一般", "serious": "严重"}
TAX_LEVELS: tuple[str, ...] = ("A", "B", "M", "C", "D")
#: How departments write an open-ended validity, read as the 2099-12-31 the national format writes for it.
OPEN_ENDED_WORDS: tuple[str, ...] = ("长期", "长期有效", "永久", "永久有效", "无期限", "无固定期限", "不限期")
#: 证件类型 codes of the resident identity card (GB/T 2261.x and GA/T 517 lists as departments write them: 111
#: the card, 112 the temporary card) — spellings are judged by :func:`is_resident_card`.
RESIDENT_CARD_CODES = frozenset({"", "01", "1", "111", "112"})
#: Words of a card type that is not the mainland resident identity card although it may say 身份证.
_OTHER_CARDS = ("港", "澳", "台", "外国", "外籍", "护照", "军", "警", "回乡", "通行证", "居留", "居住证", "境外", "其他",
                "其它")
_CARD_NOISE = re.compile(r"[\s\u3000()（）:：*＊]+")


def is_resident_card(kind: str) -> bool:
    """Whether a 证件类型 names the resident identity card (a number under it is checked as GB 11643): its
    codes, or any spelling that says 身份证 or 身份号码 of no other card — 二代身份证, 居民身份证号码, 身份证件,
    中国居民身份证, 临时居民身份证 (a number under another card type is kept as written, not checked as one).

    >>> [is_resident_card(k) for k in ("", "111", "二代身份证", "居民身份证号码", "身份证件", "中国居民身份证", "身份证号")]
    [True, True, True, True, True, True, True]
    >>> [is_resident_card(k) for k in ("护照", "港澳居民来往内地通行证", "外国人永久居留身份证", "其他身份证件", "外籍人员身份证")]
    [False, False, False, False, False]
    """
    key = _CARD_NOISE.sub("", unicodedata.normalize("NFKC", kind))
    if key in RESIDENT_CARD_CODES:
        return True
    return ("身份证" in key or "身份号码" in key) and not any(word in key for word in _OTHER_CARDS)

_SPLIT = re.compile(r"[;；,，、/\s]+")
_HEADER_NOISE = re.compile(r"[\s\u3000*＊:：]+")


def _key(text: str) -> str:
    """A header as compared: no spaces or stars, full-width parentheses as ASCII, case folded."""
    return _HEADER_NOISE.sub("", text).replace("（", "(").replace("）", ")").casefold()


_BY_HEADER: dict[str, Column] = {}
for _column in _COLUMNS:
    for _spelling in (_column.code, _column.name):
        _BY_HEADER.setdefault(_key(_spelling), _column)


def by_header(header: str) -> Column | None:
    """The column a header names by its code or its national name (aliases are matched per item,
    where they are not ambiguous: core/credit/layouts.bind)."""
    return _BY_HEADER.get(_key(header))


def shown_stored(code: str, value: str) -> str:
    """A value as stored in column ``code``, as people read it: a severity class in the words of the
    catalogue's rules (the class itself is what periods and disclosure decide by); any other value as it is.

    >>> shown_stored("XY_YZCD", "general"), shown_stored("CF_WSH", "general")
    ('一般', 'general')
    """
    column = COLUMNS.get(code)
    return SEVERITY_NAMES.get(value, value) if column is not None and column.kind == "severity" else value


def severity_names(classes: Iterable[str]) -> str:
    """Severity classes as a message names them: the word people read, the class in brackets.

    >>> severity_names(("minor", "general"))
    '轻微 (minor)、一般 (general)'
    """
    return "、".join(f"{SEVERITY_NAMES.get(c, c)} ({c})" for c in classes)


def header_key(header: str) -> str:
    return _key(header)


@functools.lru_cache(maxsize=1 << 12)
def penalty_categories(value: str) -> tuple[str, ...]:
    """The categories a 处罚类别 cell names (several are separated by ；、, or /), in order.

    The 2021 law's "罚款、没收违法所得、没收非法财物" is one of its groups; its parts are read apart, but a
    whole name that holds the separator (``法律、行政法规规定的其他行政处罚``) is kept whole.
    """
    text = value.strip()
    if text in PENALTY_CATEGORIES:
        return (text,)
    return tuple(p for p in _SPLIT.split(text) if p)


def _required(f: catalogue.Field, classes: bool) -> str:
    """docs/credit.md's word for whether a file of an item has the field's column (``classes``: the item allows
    several severity classes, so a record says which)."""
    if f.required:
        return "yes"
    return "yes (the item allows several classes)" if classes and f.element == "XY_YZCD" else ""


def markdown() -> str:
    """docs/credit.md: the credit record columns, their kinds, lengths, roles and accepted headers, and
    each default catalogue item's layout (generated by scripts/generate_docs.py)."""
    lines = [
        "# Credit record columns",
        "",
        "The columns of credit records, as data elements: the national \"double publicity\" codes (penalties",
        "`CF_`, licences `XK_`) and the list items' columns, each with the kind of value and how it is",
        "checked (core/credit/row_checks.py), its length (the one public systems agree on: *unconfirmed* as",
        "official; a catalogue item may set a tighter one), the role it plays in a record, and the header",
        "spellings a provider's file may use besides the code and the national name. Identity numbers",
        "(`identity_number`) are personal data: never stored, logged or shown in clear. A line break in a",
        f"value (a spreadsheet cell's Alt+Enter) is kept in text of {MULTILINE_LENGTH} characters or more — the facts,",
        "the basis, the content, remarks — and refuses the row elsewhere (`credit.control_characters`: a name,",
        "a number or a code is one line), as any other control or invisible character does.",
        "",
        "Generated from `jjjcredit.core.credit.columns` by `scripts/generate_docs.py`; a test keeps it in step.",
        "",
        "| code | name | kind | length | role | also accepted as header |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| `{c.code}` | {c.name} | {c.kind} | {c.max_length or ''} | {c.role} | {'、'.join(c.aliases)} |"
              for c in _COLUMNS]
    lines += ["", "## Subjects", "",
              "A record is kept under its credit subject's key: an organization's or individual business's unified",
              "social credit code (the `subject_code` column), or for a natural person `P:` and a keyed hash of the",
              "identity number (core/credit/persons.py) — the number itself kept only sealed (AES-GCM), masked in",
              "the values. A natural person is identified by the identity number alone: a row of category 自然人",
              "that also gives a unified social credit code is refused (`credit.person_with_code`), and a",
              "correction cannot file a person under a code. Rows like that were once filed under the",
              "organization's code; no reader opens the person's number for that organization (its own view and",
              "its authorizations are not the person's), and `jjjcredit credit rekey-persons` moves each, with its",
              "versions, to the person's key found from the sealed number (docs/cli.md).",
              "", "## A record's subject, a file sent again, columns not read", "",
              "A record is identified by its item, its provider and its document number (compared without spaces,",
              "full-width forms or bracket styles: 石市监罚〔2026〕101号 = 石市监罚(2026)101号), and belongs to one",
              "subject. A later row with that document number for the same subject (the same code, or the same",
              "person's identity number) is a new version of the record; a row for another subject is refused,",
              "`credit.other_subject`, and the record stays its subject's: a file never moves a record to another",
              "subject, nor puts one subject's values in another's history. The refusal names the document number",
              "only — never that other subject's name, code or identity number. A subject named wrongly is corrected",
              "with `jjjcredit credit correct`, stating the reason (the record takes its versions along); a new",
              "decision has its own document number.",
              "",
              "A file sent again — the same bytes as an earlier batch of the provider under the item — changes",
              "nothing, unless a record it holds was corrected since: that record is left as the correction made it,",
              "its subject too, not set back to the file's older values; each is said with a warning",
              "(`credit.corrected_since`), and the message names the earlier batch and how many records were left so.",
              "A file of other bytes is the provider's word as it always is, and updates the records it changes (a",
              "revoked record is not brought back: `credit.revoked`).",
              "",
              "A column whose header names none of the item's fields is not read: the summary lists it (`ignored`),",
              "and its message names it, with the field it is close to and how a header of one's own is mapped",
              "(`credit ingest --columns` on the command line, `columns=` over the API).",
              "",
              "A field the file has no column for — a file of fewer columns, or one whose header is not read — is",
              "not cleared in the records the file sends again: they keep the values they hold of it (a fine, the",
              "end of publication stated), and the message names those fields. An empty cell under the field's",
              "column clears its value. The subject, the identity number, the document number, the severity and",
              "the dates are the file's own to say, and are never taken from the record.",
              "", "## Value lists", "",
              f"- 行政相对人类别: {' / '.join(SUBJECT_CATEGORIES)}",
              f"- 处罚类别 (several separated by ；、, or /): {'、'.join(PENALTY_CATEGORIES)}",
              f"- 许可类别: {' / '.join(LICENCE_CATEGORIES)}",
              f"- 当前状态 (licences): {', '.join(f'{k} {v}' for k, v in LICENCE_STATUSES.items())}",
              f"- 失信严重程度: {' / '.join(SEVERITY_WORDS)}",
              f"- 信用级别 (tax): {' / '.join(TAX_LEVELS)}",
              f"- A valid-until (有效期至, 处罚有效期) of {' / '.join(OPEN_ENDED_WORDS)}: 2099-12-31, as the national "
              "format writes an open-ended one",
              "", "## A length a later edition shortens", "",
              "A catalogue edition may give a field a shorter length than an earlier one did (a document number of",
              "at most 64 characters where it was 128). The records kept before keep their values, and stay their",
              "provider's to send again: a row with a free-text value over the limit in force — the document number",
              "included, which identifies the record — is accepted when the record it names exists and holds that",
              "very value, recorded under the earlier edition's longer limit. Sent as it is, the record is",
              "unchanged; sent with other fields changed, it is updated and keeps the long value. Each such value",
              "is said with a warning, `credit.length_kept` (the field, its length, the limit now), and the summary's",
              "message counts them. A value that differs from the one the record holds — respelled too — meets the",
              "limit in force (`record.length`, saying that the record's own value only is kept), and so does every",
              "value of a new record: no value over the limit in force comes into a new record. `credit correct`",
              "likewise leaves a value it does not change as it was kept. Identity numbers are not kept this way:",
              "they meet the limit in force.",
              "", "## Timeliness", "",
              "`jjjcredit credit timeliness` (and /metrics, `jjjcredit_credit_silent`) reads each provider's batches",
              "under each item against the item's update period. Its legend:", "",
              *textwrap.wrap(catalogue.TIMELINESS_LEGEND, 110, break_on_hyphens=False),
              "", "## The default catalogue's layouts", ""]
    for item in catalogue.default_items():
        if item.kind == "basic":
            continue
        lines += [f"### {item.code} {item.name}", "", "| field | column | required | length |",
                  "| --- | --- | --- | --- |"]
        lines += [f"| {f.name} | `{f.element}` | {_required(f, item.says_severity)} | {f.max_length or ''} |"
                  for f in item.fields]
        lines.append("")
    return "\n".join(lines)
