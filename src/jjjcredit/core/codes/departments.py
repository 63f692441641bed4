"""Registration management departments (position 1) and their categories (position 2), GB 32100.

The table agreed by four or more independent copies (see docs/glossary.md). A different table that
circulates in code on the web (3 education, 4 public security, ...) is wrong and is not used.

>>> DEPARTMENTS["9"].en
'industry and commerce / market regulation'
>>> sorted(DEPARTMENTS["9"].categories)
['1', '2', '3']
>>> DEPARTMENTS["Y"].categories["1"].zh
'其他'
>>> REGISTRATION["civil-affairs"].code
'5'
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str


@dataclass(frozen=True)
class Department:
    code: str
    zh: str
    en: str
    categories: dict[str, Category] = field(default_factory=dict)
    #: The id the department's files are declared by (``hebei/market-regulation``), for the
    #: registration departments that send files to the library; else ``None``.
    source: str | None = None


def _dept(code: str, zh: str, en: str, *cats: tuple[str, str, str], source: str | None = None) -> Department:
    return Department(code, zh, en, {c: Category(c, czh, cen) for c, czh, cen in cats}, source)


_OTHER = ("9", "其他", "other")

DEPARTMENTS: dict[str, Department] = {
    d.code: d
    for d in (
        _dept("1", "机构编制", "institutional establishment",
              ("1", "机关", "government organ"), ("2", "事业单位", "public institution"),
              ("3", "中央编办直接管理机构编制的群众团体",
               "mass organization under the central establishment office"), _OTHER,
              source="institutional-establishment"),
        _dept("2", "外交", "foreign affairs",
              ("1", "外国常驻新闻机构", "resident office of a foreign news agency"), _OTHER),
        _dept("3", "司法行政", "judicial administration",
              ("1", "律师执业机构", "law firm"), ("2", "公证处", "notary office"),
              ("3", "基层法律服务所", "grassroots legal service office"),
              ("4", "司法鉴定机构", "forensic appraisal institution"),
              ("5", "仲裁委员会", "arbitration commission"), _OTHER, source="judicial-administration"),
        _dept("4", "文化", "culture", ("1", "外国在华文化中心", "foreign cultural centre"), _OTHER),
        _dept("5", "民政", "civil affairs",
              ("1", "社会团体", "social association"),
              ("2", "民办非企业单位", "private non-enterprise unit (social service organization)"),
              ("3", "基金会", "foundation"), _OTHER, source="civil-affairs"),
        _dept("6", "旅游", "tourism",
              ("1", "外国旅游部门常驻代表机构", "foreign tourism office"),
              ("2", "港澳台地区旅游部门常驻内地（大陆）代表机构",
               "Hong Kong/Macao/Taiwan tourism office"), _OTHER),
        _dept("7", "宗教", "religious affairs",
              ("1", "宗教活动场所", "venue for religious activities"),
              ("2", "宗教院校", "religious school"), _OTHER, source="religious-affairs"),
        _dept("8", "工会", "trade unions", ("1", "基层工会", "grassroots trade union"), _OTHER,
              source="trade-unions"),
        _dept("9", "工商", "industry and commerce / market regulation",
              ("1", "企业", "enterprise"), ("2", "个体工商户", "individual business"),
              ("3", "农民专业合作社", "farmers' specialized cooperative"), source="market-regulation"),
        _dept("A", "中央军委改革和编制办公室", "central military commission establishment office",
              ("1", "军队事业单位", "military public institution"), _OTHER),
        _dept("N", "农业", "agriculture and rural affairs",
              ("1", "组级集体经济组织", "group-level collective economic organization"),
              ("2", "村级集体经济组织", "village-level collective economic organization"),
              ("3", "乡镇级集体经济组织", "township-level collective economic organization"),
              _OTHER),
        _dept("Y", "其他", "other departments", ("1", "其他", "other")),
    )
}

#: The registration departments that send files to the library, by source id, in the order sources
#: are listed (``beijing/market-regulation`` first).
REGISTRATION: dict[str, Department] = {
    source: next(d for d in DEPARTMENTS.values() if d.source == source)
    for source in ("market-regulation", "civil-affairs", "judicial-administration", "institutional-establishment",
                   "religious-affairs", "trade-unions")}
