"""The standard data elements (DB11/DB12/DB13 T 3040-2024, built on GB/T 36104-2018), defined once.

Every element is data: its internal identifier, names, format, value list, whether a record needs
it, and its security level. Documentation (docs/elements.md), the JSON Schema and XSD of one
record, and the column order of every export are generated from :data:`ELEMENTS`.

**Identifiers.** The official 4-digit identifiers were not available, so jjjcredit uses its own
two-segment scheme ``CCSS``: a 2-digit class (:data:`CLASSES`) and a 2-digit sequence within the
class, numbered from 01 without gaps in element order; an identifier is never reused —

====  ======================================================
01    identification (code, organization code, name, registration number)
02    registration (department, transaction, dates, status)
03    location (addresses and their divisions)
04    business (scope, capital, currency, industry, economic type, employees)
05    persons and contacts (legal representative, contact, shareholder)
06    supervision (supervising unit)
07    disclosure
====  ======================================================

**Formats** follow GB/T 7408-style notation: ``an18`` exactly 18 alphanumerics, ``an..200`` up to
200 characters, ``an9..18`` from 9 to 18, ``n..24,8`` up to 24 digits with up to 8 decimals,
``n2`` exactly 2 digits, ``D8`` a date ``YYYYMMDD``.

**Security levels** (:data:`SECURITY_LEVELS`): 1 public; 2 government sharing; 3 restricted
(personal data such as the legal representative's ID number). Access control enforces them.

**Patterns.** Where the standard behind an element fixes an alphabet (GB 32100, GB 11714), the
element carries a regular expression its value matches beyond the format, written so that it means
the same in XML Schema (implicitly anchored) and, anchored, in JSON Schema.

>>> len(ELEMENTS)
32
>>> BY_NAME["uscc"].identifier, BY_NAME["uscc"].format
('0101', 'an18')
>>> BY_NAME["status"].values["4"].zh
'注销'
>>> [e.name for e in ELEMENTS if e.security_level == 3]
['legal_rep_id_number']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum


class Kind(Enum):
    TEXT = "text"  #: an..N / anN
    NUMBER = "number"  #: n..N,D / nN
    DATE = "date"  #: D8


#: The identifier classes (first segment): code → (Chinese, English).
CLASSES: dict[str, tuple[str, str]] = {
    "01": ("标识", "identification"),
    "02": ("登记", "registration"),
    "03": ("地址", "location"),
    "04": ("经营", "business"),
    "05": ("人员与联系", "persons and contacts"),
    "06": ("主管", "supervision"),
    "07": ("公开", "disclosure"),
}

#: Security levels: level → (Chinese, English). Access control enforces them.
SECURITY_LEVELS: dict[int, tuple[str, str]] = {
    1: ("公开", "public"),
    2: ("政务共享", "government sharing"),
    3: ("受限", "restricted"),
}

#: GB 32100 unified social credit code: 31-symbol alphabet, digits in the region positions 3-8.
USCC_PATTERN = "[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}"
#: GB 11714 organization code: 8 digits or upper-case letters, then a digit or X.
ORGCODE_PATTERN = "[0-9A-Z]{8}[0-9X]"


@dataclass(frozen=True)
class Value:
    """One entry of an element's value list."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Element:
    identifier: str  #: the internal two-segment identifier, e.g. "0101"
    name: str  #: the short field name used in code, files and APIs
    zh: str  #: the Chinese name, as the standard writes it
    en: str
    format: str  #: "an18", "an..200", "n..24,8", "D8", ...
    required: bool = False
    security_level: int = 1
    reference: str = ""  #: the standard behind the values, e.g. "GB/T 2260"
    values: dict[str, Value] = field(default_factory=dict)
    unit: str = ""
    personal: bool = False  #: personal data: masked wherever shown
    pattern: str = ""  #: a regular expression the whole value matches beyond its format, if any

    @property
    def kind(self) -> Kind:
        if self.format == "D8":
            return Kind.DATE
        return Kind.NUMBER if self.format.startswith("n") else Kind.TEXT

    @property
    def min_length(self) -> int:
        return _parse_format(self.format)[0]

    @property
    def max_length(self) -> int:
        return _parse_format(self.format)[1]

    @property
    def decimals(self) -> int:
        return _parse_format(self.format)[2]


_FORMAT = re.compile(r"^(an|n)(?:(\d+)|(\d*)\.\.(\d+))(?:,(\d+))?$")


def _parse_format(fmt: str) -> tuple[int, int, int]:
    """(min length, max length, decimals) of a format.

    >>> _parse_format("an18"), _parse_format("an..200"), _parse_format("an9..18"), _parse_format("n..24,8")
    ((18, 18, 0), (1, 200, 0), (9, 18, 0), (1, 24, 8))
    """
    if fmt == "D8":
        return 8, 8, 0
    m = _FORMAT.match(fmt)
    if not m:
        raise ValueError(f"unknown element format {fmt!r}")
    if m.group(2):
        low = high = int(m.group(2))
    else:
        low, high = int(m.group(3) or 1), int(m.group(4))
    return low, high, int(m.group(5) or 0)


def _values(*items: tuple[str, str, str]) -> dict[str, Value]:
    return {code: Value(code, zh, en) for code, zh, en in items}


STATUS = _values(
    ("1", "存续", "normal (existing / operating)"),
    ("2", "异常", "abnormal (e.g. no annual report)"),
    ("3", "吊销", "licence revoked"),
    ("4", "注销", "deregistered (cancelled)"),
    ("9", "其他", "other"),
)
TRANSACTION = _values(
    ("01", "设立", "establishment"), ("02", "变更", "change"), ("03", "注销", "deregistration"),
    ("11", "机关", "organ"), ("12", "机关内设机构", "organ internal unit"), ("90", "其他", "other"),
)
ID_TYPE = _values(
    ("10", "居民身份证", "resident identity card"),
    ("20", "军官证、警官证、士兵证、文职干部证", "officer / police / soldier / civilian staff card"),
    ("30", "港澳居民来往内地通行证", "Hong Kong and Macao residents' permit"),
    ("40", "台湾居民来往大陆通行证", "Taiwan compatriot permit"),
    ("50", "护照", "passport"),
    ("60", "外国人永久居留身份证", "foreigner's permanent residence card"),
    ("90", "其他", "other"),
)
CURRENCY = _values(
    ("CNY", "人民币", "renminbi"), ("USD", "美元", "US dollar"), ("EUR", "欧元", "euro"),
    ("HKD", "港元", "Hong Kong dollar"), ("JPY", "日元", "yen"), ("GBP", "英镑", "pound sterling"),
    ("MOP", "澳门元", "pataca"), ("TWD", "新台币", "new Taiwan dollar"), ("KRW", "韩元", "won"),
    ("SGD", "新加坡元", "Singapore dollar"), ("CHF", "瑞士法郎", "Swiss franc"),
    ("CAD", "加拿大元", "Canadian dollar"), ("AUD", "澳大利亚元", "Australian dollar"),
)
ECONOMIC_TYPE = _values(
    ("100", "内资", "domestic"), ("110", "国有全资", "wholly state-owned"),
    ("120", "集体全资", "wholly collective"), ("130", "股份合作", "joint-stock cooperative"),
    ("140", "联营", "joint operation"), ("150", "有限责任（公司）", "limited liability (company)"),
    ("151", "国有独资（公司）", "wholly state-owned company"),
    ("159", "其他有限责任（公司）", "other limited liability company"),
    ("160", "股份有限（公司）", "company limited by shares"), ("170", "私有", "private"),
    ("171", "私有独资", "private sole proprietorship"), ("172", "私有合伙", "private partnership"),
    ("173", "私营有限责任（公司）", "private limited liability company"),
    ("174", "私营股份有限（公司）", "private company limited by shares"),
    ("175", "个体经营", "individual business"), ("179", "其他私有", "other private"),
    ("190", "其他内资", "other domestic"), ("200", "港澳台投资", "Hong Kong, Macao, Taiwan investment"),
    ("210", "内地和港澳台合资", "mainland–HK/Macao/Taiwan equity joint venture"),
    ("220", "内地和港澳台合作", "mainland–HK/Macao/Taiwan cooperative joint venture"),
    ("230", "港澳台独资", "wholly HK/Macao/Taiwan-owned"),
    ("240", "港澳台投资股份有限（公司）", "HK/Macao/Taiwan-invested company limited by shares"),
    ("290", "其他港澳台投资", "other HK/Macao/Taiwan investment"), ("300", "国外投资", "foreign investment"),
    ("310", "中外合资", "Sino-foreign equity joint venture"),
    ("320", "中外合作", "Sino-foreign cooperative joint venture"), ("330", "外商独资", "wholly foreign-owned"),
    ("340", "国外投资股份有限（公司）", "foreign-invested company limited by shares"),
    ("390", "其他国外投资", "other foreign investment"), ("900", "其他", "other"),
)
DISCLOSURE = _values(("1", "公开", "public"), ("2", "不公开", "not public"))

#: GB/T 4754-2017 sections by the 2-digit division ranges they cover (the element holds a division,
#: group or class code of up to 4 digits; its first two digits name the section).
INDUSTRY_SECTIONS: tuple[tuple[str, int, int, str, str], ...] = (
    ("A", 1, 5, "农、林、牧、渔业", "agriculture, forestry, animal husbandry and fishery"),
    ("B", 6, 12, "采矿业", "mining"), ("C", 13, 43, "制造业", "manufacturing"),
    ("D", 44, 46, "电力、热力、燃气及水生产和供应业", "electricity, heat, gas and water"),
    ("E", 47, 50, "建筑业", "construction"), ("F", 51, 52, "批发和零售业", "wholesale and retail"),
    ("G", 53, 60, "交通运输、仓储和邮政业", "transport, storage and post"),
    ("H", 61, 62, "住宿和餐饮业", "accommodation and catering"),
    ("I", 63, 65, "信息传输、软件和信息技术服务业", "information and software services"),
    ("J", 66, 69, "金融业", "finance"), ("K", 70, 70, "房地产业", "real estate"),
    ("L", 71, 72, "租赁和商务服务业", "leasing and business services"),
    ("M", 73, 75, "科学研究和技术服务业", "research and technical services"),
    ("N", 76, 79, "水利、环境和公共设施管理业", "water, environment and public facilities"),
    ("O", 80, 82, "居民服务、修理和其他服务业", "resident and other services"),
    ("P", 83, 83, "教育", "education"), ("Q", 84, 85, "卫生和社会工作", "health and social work"),
    ("R", 86, 90, "文化、体育和娱乐业", "culture, sports and entertainment"),
    ("S", 91, 96, "公共管理、社会保障和社会组织", "public administration and social organizations"),
    ("T", 97, 97, "国际组织", "international organizations"),
)

E = Element
ELEMENTS: tuple[Element, ...] = (
    E("0101", "uscc", "统一社会信用代码", "unified social credit code", "an18", True, 1, "GB 32100",
      pattern=USCC_PATTERN),
    E("0102", "orgcode", "组织机构代码", "organization code", "an9", False, 1, "GB 11714",
      pattern=ORGCODE_PATTERN),
    E("0103", "name", "机构名称", "organization name", "an..200", True, 1),
    E("0104", "registration_number", "注册号", "registration number", "an..100", False, 1,
      "licence or approval number"),
    E("0201", "registering_department", "登记管理部门名称", "registering department name", "an..200"),
    E("0202", "registering_department_code", "登记管理部门代码", "registering department code", "an9..18",
      reference="the department's own USCC or organization code",
      pattern=f"{USCC_PATTERN}|{ORGCODE_PATTERN}"),
    E("0203", "transaction_type", "登记业务类型", "registration transaction type", "n2", values=TRANSACTION),
    E("0204", "established", "成立日期", "establishment date", "D8"),
    E("0205", "approved", "核准日期", "approval date", "D8"),
    E("0206", "last_updated", "最后更新日期", "last update date", "D8"),
    E("0207", "status", "状态", "status", "n1", values=STATUS),
    E("0208", "valid_from", "有效期自", "valid from", "D8"),
    E("0209", "valid_to", "有效期至", "valid to", "D8"),
    E("0301", "address", "注册地址", "registered address", "an..400"),
    E("0302", "address_division", "注册地址行政区划代码", "registered-address division", "n6",
      reference="GB/T 2260"),
    E("0303", "operating_address", "生产经营地址", "operating address", "an..400"),
    E("0304", "operating_division", "生产经营地址行政区划代码", "operating-address division", "n6",
      reference="GB/T 2260"),
    E("0401", "business_scope", "经营范围", "business scope", "an..2000"),
    E("0402", "registered_capital", "注册资金", "registered capital", "n..24,8", unit="万元 (10 000 yuan)"),
    E("0403", "currency", "货币种类", "currency", "an3", reference="GB/T 12406", values=CURRENCY),
    E("0404", "industry", "经济行业代码", "industry code", "n..4", reference="GB/T 4754"),
    E("0405", "economic_type", "经济类型代码", "economic type", "n..3", reference="GB/T 12402",
      values=ECONOMIC_TYPE),
    E("0406", "employees", "职工人数", "number of employees", "n..6", security_level=2),
    E("0501", "legal_rep", "法定代表人或负责人姓名", "legal representative or person in charge", "an..100"),
    E("0502", "legal_rep_id_type", "法定代表人或负责人证件类型", "their ID document type", "an..50",
      security_level=2, values=ID_TYPE),
    E("0503", "legal_rep_id_number", "法定代表人或负责人证件号码", "their ID document number", "an..25",
      security_level=3, reference="GB 11643 for resident identity cards", personal=True),
    E("0504", "telephone", "联系电话", "telephone", "an..18", security_level=2, personal=True),
    E("0505", "contact", "联系人", "contact person", "an..100", security_level=2, personal=True),
    E("0506", "shareholder", "股东或投资人名称", "shareholder or investor", "an..200", security_level=2),
    E("0601", "supervisor", "主管单位", "supervising unit", "an..200"),
    E("0602", "supervisor_code", "主管单位代码", "supervising unit code", "an9..18",
      reference="the supervising unit's own USCC or organization code",
      pattern=f"{USCC_PATTERN}|{ORGCODE_PATTERN}"),
    E("0701", "disclosure", "是否公开", "disclosure flag", "n1", values=DISCLOSURE),
)
del E

BY_NAME: dict[str, Element] = {e.name: e for e in ELEMENTS}
BY_ZH: dict[str, Element] = {e.zh: e for e in ELEMENTS}
BY_IDENTIFIER: dict[str, Element] = {e.identifier: e for e in ELEMENTS}
#: The column order of every export: element order.
COLUMN_ORDER: tuple[str, ...] = tuple(e.name for e in ELEMENTS)


def industry_section(code: str) -> str | None:
    """The GB/T 4754 section letter of an industry code, or ``None``.

    >>> industry_section("3311"), industry_section("7")
    ('C', None)
    """
    if len(code) < 2 or not code[:2].isdigit():
        return None
    division = int(code[:2])
    for letter, low, high, _zh, _en in INDUSTRY_SECTIONS:
        if low <= division <= high:
            return letter
    return None
