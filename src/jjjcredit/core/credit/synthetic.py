"""Synthetic credit records for the demo: what providers in Beijing, Tianjin and Hebei submit under
the catalogue's items, in the national column names (core/credit/columns.py), with realistic Chinese
text — pure helpers; the files and their mistakes are services/credit/demo_data.py.

Everything is drawn from a seeded :class:`random.Random`: the same seed, the same rows. Identity
numbers pass the GB 11643 check but carry a centenarians' sequence number (996-999), so they belong
to nobody; authorities' codes are valid unified social credit codes of government bodies (``11``).

>>> rng = random.Random(1)
>>> number = identity_number(rng, "110105", datetime.date(1985, 3, 9))
>>> number[:14], ric.is_valid(number), number[14:17] in synthetic.SYNTHETIC_SEQUENCES
('11010519850309', True, True)
>>> uscc.is_valid(authority_code("北京市市场监督管理局", "110000"))
True
>>> v = VIOLATIONS[0]
>>> v.basis
'《中华人民共和国食品安全法》第一百二十四条第一款'
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass

from jjjcredit.core.codes import divisions, ric, uscc
from jjjcredit.core.library import synthetic
from jjjcredit.core.library import synthetic_vocabulary as words

#: Region id → (short name, the province-level division code, the abbreviation in document numbers).
REGIONS: dict[str, tuple[str, str, str]] = {
    "beijing": ("北京市", "110000", "京"), "tianjin": ("天津市", "120000", "津"), "hebei": ("河北省", "130000", "冀"),
}
#: County-level divisions natural persons are born in (in use since before 1950 or soon after).
BIRTH_DIVISIONS: dict[str, tuple[str, ...]] = {
    "beijing": ("110101", "110102", "110105", "110106", "110108"),
    "tianjin": ("120101", "120102", "120103", "120104", "120105"),
    "hebei": ("130102", "130104", "130203", "130602", "131002", "130302"),
}


@dataclass(frozen=True)
class Violation:
    """A kind of violation a market regulator punishes: its type, a template of the facts, the law
    it breaks, the penalty categories usually imposed, the fine range (万元), and whether a natural
    person (a stall keeper) can commit it."""

    kind: str
    facts: str
    basis: str
    categories: tuple[str, ...]
    fine: tuple[float, float]
    person: bool = False


#: ``{product}``, ``{value}``, ``{day}`` are filled in by :func:`facts`.
VIOLATIONS: tuple[Violation, ...] = (
    Violation("销售不符合食品安全标准的食品", "当事人于{day}销售的{food}经抽样检验，{item}项目不符合食品安全标准，"
              "货值金额{value}元。", "《中华人民共和国食品安全法》第一百二十四条第一款",
              ("罚款；没收违法所得", "罚款", "警告；罚款"), (5, 20), True),
    Violation("未取得食品经营许可从事食品经营活动", "当事人在未取得食品经营许可证的情况下，自{day}起在经营场所从事"
              "{food}销售活动，违法所得{value}元。", "《中华人民共和国食品安全法》第一百二十二条第一款",
              ("罚款；没收违法所得", "罚款"), (0.5, 5), True),
    Violation("销售不合格产品", "当事人销售的{product}经{authority}监督抽查，判定为不合格产品，货值金额{value}元。",
              "《中华人民共和国产品质量法》第四十九条", ("罚款；没收违法所得", "警告；罚款"), (0.5, 10)),
    Violation("发布虚假广告", "当事人在其微信公众号发布的{product}广告中含有“国家级”“最佳”等用语，"
              "且宣传内容与实际不符，广告费用{value}元。", "《中华人民共和国广告法》第五十五条第一款",
              ("罚款", "警告；罚款"), (2, 30)),
    Violation("虚假宣传", "当事人通过网络店铺对{product}作虚假的商业宣传，欺骗、误导消费者，"
              "经营额{value}元。", "《中华人民共和国反不正当竞争法》第二十条第一款", ("罚款",), (5, 50)),
    Violation("不按规定明码标价", "当事人在经营场所销售的{product}未按规定标明价格，"
              "经执法人员{day}现场检查发现。", "《明码标价和禁止价格欺诈规定》第二十一条；《中华人民共和国价格法》第四十二条",
              ("警告", "警告；罚款", "罚款"), (0.1, 0.5), True),
    Violation("使用未经检验的特种设备", "当事人使用的{equipment}超过检验有效期未申报定期检验，"
              "于{day}仍在继续使用。", "《中华人民共和国特种设备安全法》第八十四条第一项",
              ("责令停产停业；罚款", "罚款"), (3, 30)),
    Violation("侵犯注册商标专用权", "当事人销售的{product}使用了与他人注册商标相同的标识，经商标权利人鉴定为侵权商品，"
              "货值金额{value}元。", "《中华人民共和国商标法》第六十条第二款",
              ("没收非法财物；罚款", "罚款；没收违法所得"), (1, 20), True),
    Violation("无照经营", "当事人未依法取得营业执照，自{day}起从事{product}经营活动，违法所得{value}元。",
              "《无证无照经营查处办法》第十三条", ("罚款；没收违法所得", "警告"), (0.1, 1), True),
    Violation("未按规定办理变更登记", "当事人住所变更后未在规定期限内向登记机关申请变更登记，"
              "经执法人员{day}核查发现。", "《中华人民共和国市场主体登记管理条例》第四十六条",
              ("警告", "罚款"), (0.1, 3)),
    Violation("销售劣药", "当事人销售的{drug}经检验不符合药品标准，判定为劣药，货值金额{value}元。",
              "《中华人民共和国药品管理法》第一百一十七条第一款", ("罚款；没收违法所得", "吊销许可证件；罚款"), (10, 50)),
    Violation("计量器具未按照规定申请检定", "当事人使用的{meter}属强制检定的工作计量器具，未按照规定申请检定，"
              "于{day}被执法人员查获。", "《中华人民共和国计量法实施细则》第四十三条", ("警告；罚款", "罚款"), (0.1, 1)),
)
FOODS = ("散装白酒", "鲜肉包子", "熟肉制品", "食用植物油", "豆芽", "糕点", "冷冻饮品", "腌制蔬菜", "瓶装饮用水")
FOOD_ITEMS = ("菌落总数", "大肠菌群", "过氧化值", "苯甲酸及其钠盐", "4-氯苯氧乙酸钠", "铅（以Pb计）", "酸价")
PRODUCTS = ("电热水壶", "电动自行车头盔", "儿童玩具", "插座", "运动鞋", "羽绒服", "保健食品", "空气净化器", "化妆品",
            "手机充电器", "家用燃气灶")
EQUIPMENT = ("电梯", "叉车", "压力容器", "起重机械", "燃气锅炉")
DRUGS = ("板蓝根颗粒", "阿莫西林胶囊", "维生素C片", "感冒灵颗粒")
METERS = ("电子计价秤", "加油机", "血压计", "出租汽车计价器")

#: (licence certificate, the document's name, category, what is licensed).
LICENCES: tuple[tuple[str, str, str, str], ...] = (
    ("食品经营许可证", "准予行政许可决定书", "普通", "预包装食品（含冷藏冷冻食品）销售；散装食品（含冷藏冷冻食品）销售"),
    ("食品生产许可证", "准予行政许可决定书", "普通", "糕点；饮料；方便食品生产"),
    ("道路运输经营许可证", "道路运输经营许可决定书", "普通", "道路普通货物运输"),
    ("建筑业企业资质证书", "准予行政许可决定书", "认可", "建筑工程施工总承包二级"),
    ("危险化学品经营许可证", "准予行政许可决定书", "普通", "危险化学品经营（不带储存设施）"),
    ("排污许可证", "排污许可决定书", "普通", "大气污染物、水污染物排放"),
    ("人力资源服务许可证", "准予行政许可决定书", "普通", "职业介绍；人力资源供求信息的收集和发布"),
    ("医疗器械经营许可证", "准予行政许可决定书", "普通", "第三类医疗器械经营"),
    ("公共场所卫生许可证", "准予行政许可决定书", "普通", "住宿；美容美发"),
    ("取水许可证", "准予取水许可决定书", "特许", "取用地下水，年取水量5万立方米"),
)
#: (reason a subject is put on the serious-dishonesty list, the rule).
SERIOUS_REASONS: tuple[str, ...] = (
    "因拖欠农民工工资，经人力资源社会保障行政部门责令限期支付后逾期未支付，依据《拖欠农民工工资失信联合惩戒对象名单管理"
    "暂行办法》第五条列入失信联合惩戒对象名单。",
    "因提供虚假材料取得许可且情节严重，依据《市场监督管理严重违法失信名单管理办法》第十条列入严重违法失信名单。",
    "在政府采购活动中提供虚假材料谋取中标，依据《中华人民共和国政府采购法》第七十七条被处以禁止参加政府采购活动。",
    "发生生产安全责任事故且情节严重，依据《安全生产严重失信主体名单管理办法》第五条列入安全生产严重失信主体名单。",
    "生产销售不符合食品安全标准的食品被处以较重行政处罚，依据《市场监督管理严重违法失信名单管理办法》第七条列入严重违法失信名单。",
)
#: Reasons for the abnormal-operation list (Interim Regulations on Enterprise Information Publicity).
ABNORMAL_REASONS: tuple[str, ...] = (
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "未在市场监督管理部门依照《企业信息公示暂行条例》第十条规定责令的期限内公示有关企业信息",
    "公示企业信息隐瞒真实情况、弄虚作假",
)
#: (the commendation, what it says).
COMMENDATIONS: tuple[tuple[str, str], ...] = (
    ("守合同重信用企业", "连续两年合同履约率100%，无违法失信记录，授予“守合同重信用企业”称号。"),
    ("诚信经营示范单位", "诚信经营、规范服务，消费投诉处理及时，授予“诚信经营示范单位”称号。"),
    ("纳税信用示范企业", "依法诚信纳税，纳税信用连续三年评为A级。"),
    ("劳动保障诚信示范单位", "依法签订劳动合同、按时足额支付工资、依法参加社会保险。"),
    ("诚信之星", "拾金不昧、诚实守信，事迹突出，评为年度“诚信之星”。"),
)


def authority_code(name: str, division: str) -> str:
    """The unified social credit code of a government body (department ``1``, category ``1``), the
    same for the same name."""
    return uscc.generate(random.Random(f"jjjcredit-demo-authority:{name}"), "1", "1", region=division)


def identity_number(rng: random.Random, division: str, born: datetime.date) -> str:
    """A resident identity number: division + birth date + a sequence no one is issued (996-999,
    whose parity gives the sex) + the GB 11643 check character."""
    body = division + born.strftime("%Y%m%d") + synthetic.SYNTHETIC_SEQUENCES[int(rng.random() * 4)]
    return body + ric.calc_check_char(body)


def natural_person(rng: random.Random, region: str, today: datetime.date) -> tuple[str, str]:
    """(name, identity number) of a synthetic person aged 20 to 60, born in the region."""
    choices = BIRTH_DIVISIONS[region]
    for _ in range(20):
        division = choices[int(rng.random() * len(choices))]
        born = today - datetime.timedelta(days=int(365.25 * 20) + int(rng.random() * 365.25 * 40))
        if divisions.name_in(division, born.year) is not None:
            break
    number = identity_number(rng, division, born)
    return synthetic.person_name(rng, int(number[16]) % 2 == 1), number


def facts(rng: random.Random, violation: Violation, day: datetime.date, authority: str) -> str:
    """The facts of a case of ``violation``, filled in."""
    return violation.facts.format(
        day=f"{day.year}年{day.month}月{day.day}日", food=pick(rng, FOODS), item=pick(rng, FOOD_ITEMS),
        product=pick(rng, PRODUCTS), equipment=pick(rng, EQUIPMENT), drug=pick(rng, DRUGS), meter=pick(rng, METERS),
        value=f"{int(200 + rng.random() * rng.random() * 50_000):,}", authority=authority)


def fine(rng: random.Random, low: float, high: float) -> str:
    """A fine in 万元 as written (``2``, ``0.5``, ``12.35``)."""
    amount = round(low + (high - low) * rng.random() * rng.random(), 2)
    return format(max(amount, 0.05), "g") if amount < 100 else str(int(amount))


def content(categories: str, amount: str, confiscated: str) -> str:
    """处罚内容 as a decision states it."""
    parts = []
    for c in categories.split("；"):
        if c == "罚款":
            parts.append(f"罚款人民币{amount}万元")
        elif c == "没收违法所得":
            parts.append(f"没收违法所得{confiscated}万元")
        elif c == "没收非法财物":
            parts.append("没收侵权商品")
        else:
            parts.append(c)
    return "，".join(parts)


def company_name(rng: random.Random, region: str) -> str:
    """A plausible enterprise name in ``region`` (for subjects the library does not hold)."""
    place = REGIONS[region][0]
    trade = pick(rng, words.TRADE_CHARS) + pick(rng, words.TRADE_CHARS)
    industry = pick(rng, [i[0] for i in words.ENTERPRISE_INDUSTRIES])
    return f"{place.removesuffix('省')}{trade}{industry}有限公司"


def pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[int(rng.random() * len(items))]
