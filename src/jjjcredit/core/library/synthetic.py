"""Synthetic organizations: realistic-looking register rows that belong to nobody.

Pure: every random choice is drawn from the ``random.Random`` passed in, so one seed gives the same
organizations on every machine; no I/O beyond the package's division table. Writing files in the
departments' layouts is :mod:`jjjcredit.services.library.demo_data`'s job.

What "realistic" means here, and how each part stays synthetic:

- **Mixes.** Departments (:data:`DEPARTMENT_SHARES`): ~93 % market regulation, of which ~65 %
  individual businesses (92), ~33 % enterprises (91), ~2 % farmers' cooperatives (93); then
  institutional establishment, civil affairs, trade unions, judicial administration, religious
  affairs. Statuses (:data:`STATUS_SHARES`): ~85 % existing, ~8 % deregistered, ~4 % revoked,
  ~3 % other, for market entities; other departments rarely cancel.
- **Names** are built the way registers build them: region prefix + trade name (字号) + industry +
  organizational form (``石家庄鑫盛机械制造有限公司``, ``正定县丰收蔬菜种植专业合作社``,
  ``长安区老李小吃店``, ``北京市朝阳区律师协会``, ``…有限公司工会委员会``). They can coincide with
  real names, as any two-character trade name can.
- **Codes** are valid by construction and unique: the embedded organization code comes from a
  bijection of the organization's index (:class:`CodeSpace`), ``MA…`` for codes issued since 2015,
  all digits for older organizations that brought an organization code along.
- **Places** are real current JJJ divisions (GB/T 2260); addresses are made-up roads and numbers.
- **People**: common surnames, weighted; resident identity numbers that pass the GB 11643 check but
  belong to nobody **by construction**: the sequence number is always 996-999, which GB 11643
  practice reserves for people aged 100 or more when the number was issued, and every synthetic
  person was born 1950-2000. Telephone numbers have a local part starting with 0, which no Chinese
  local number does (0 is the trunk prefix), so none rings anyone.
- **Name changes**: a share of organizations have a former name and a change date
  (:attr:`Organization.former_name`, :attr:`Organization.renamed`); :func:`before_change` gives
  the row as it was before the change. The service writes the earlier row in the main file and the
  change in a later change batch.

>>> rng = random.Random(1)
>>> org = next(organizations(rng, CodeSpace.draw(random.Random(1)), "hebei", "market-regulation", 1))
>>> from jjjcredit.core.codes import uscc, ric
>>> uscc.is_valid(org.uscc), ric.is_valid(org.legal_rep_id_number), org.uscc[:2] in ("91", "92", "93")
(True, True, True)
"""

from __future__ import annotations

import bisect
import datetime
import functools
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from jjjcredit.core.codes import departments, divisions, orgcode, regions, ric, uscc
from jjjcredit.core.library import synthetic_vocabulary as words

#: Region id → GB/T 2260 province prefix (from :mod:`jjjcredit.core.codes.regions`).
REGIONS: dict[str, str] = {r.id: r.prefix for r in regions.REGIONS.values()}
#: The prefixes of the municipalities (Beijing, Tianjin): districts with no prefecture above them.
_MUNICIPALITIES = frozenset(r.prefix for r in regions.REGIONS.values() if r.municipality)
#: Rough shares of registered organizations by region (Hebei has most individual businesses).
REGION_SHARES: dict[str, float] = {"beijing": 0.24, "tianjin": 0.14, "hebei": 0.62}
#: Department id → (USCC department code, from :mod:`jjjcredit.core.codes.departments`; share of all
#: organizations in %).
DEPARTMENT_SHARES: dict[str, tuple[str, float]] = {
    source: (departments.REGISTRATION[source].code, share) for source, share in (
        ("market-regulation", 93.2), ("institutional-establishment", 3.0), ("civil-affairs", 1.5),
        ("trade-unions", 1.5), ("judicial-administration", 0.5), ("religious-affairs", 0.3))}
#: Category mixes within each department (USCC position 2), relative weights.
CATEGORY_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    "9": (("1", 33), ("2", 65), ("3", 2)),
    "1": (("1", 38), ("2", 60), ("3", 1), ("9", 1)),
    "5": (("1", 45), ("2", 52), ("3", 3)),
    "3": (("1", 60), ("2", 5), ("3", 22), ("4", 10), ("5", 1), ("9", 2)),
    "7": (("1", 97), ("2", 2), ("9", 1)),
    "8": (("1", 98), ("9", 2)),
}
#: Status mixes (element ``status`` codes): market entities, and every other department.
STATUS_SHARES: dict[str, tuple[tuple[str, float], ...]] = {
    "market": (("1", 85), ("4", 8), ("3", 4), ("2", 2), ("9", 1)),
    "other": (("1", 94), ("4", 5.5), ("9", 0.5)),
}
#: Share of organizations that changed their name once.
NAME_CHANGE_SHARE = 0.04

FIRST_DATE = datetime.date(1990, 1, 1)
LAST_DATE = datetime.date(2025, 12, 31)
_FIRST, _LAST = FIRST_DATE.toordinal(), LAST_DATE.toordinal()
#: The date every code was issued from (the 2015 reform): organizations established before it got
#: their code later and kept their organization code inside it.
CODE_REFORM = datetime.date(2015, 10, 1).toordinal()
#: The GB 11643 sequence numbers used for synthetic people (reserved for centenarians).
SYNTHETIC_SEQUENCES = ("996", "997", "998", "999")
BIRTH_YEARS = (1950, 2000)


@dataclass(slots=True)
class Organization:
    """One synthetic organization, in the data elements' own forms; dates are proleptic ordinals
    (``datetime.date.toordinal``; 0 = none), capital in whole yuan (0 = none)."""

    index: int  #: unique across a run: the code body is derived from it
    uscc: str
    name: str
    department: str  #: USCC position 1
    category: str  #: USCC position 2
    authority: str  #: the registering authority's division (USCC positions 3-8)
    division: str  #: the address's county-level division
    address: str
    legal_rep: str
    legal_rep_id_number: str
    established: int
    approved: int
    last_updated: int
    status: str
    transaction_type: str
    capital: int
    currency: str
    industry: str
    economic_type: str
    employees: int
    telephone: str
    contact: str
    business_scope: str
    registration_number: str
    registering_department: str
    registering_department_code: str
    supervisor: str
    supervisor_code: str
    shareholder: str
    valid_from: int
    valid_to: int
    disclosure: str
    former_name: str = ""
    renamed: int = 0

    @property
    def orgcode(self) -> str:
        return self.uscc[8:17]

    @property
    def legal_rep_id_type(self) -> str:
        return "10"

    @property
    def operating_address(self) -> str:
        return self.address

    @property
    def operating_division(self) -> str:
        return self.division


def before_change(org: Organization) -> Organization:
    """The organization as registered before its name change (its first, earlier row).

    >>> rng = random.Random(3)
    >>> orgs = organizations(rng, CodeSpace.draw(rng), "beijing", "market-regulation", 400)
    >>> changed = next(o for o in orgs if o.former_name)
    >>> old = before_change(changed)
    >>> old.name == changed.former_name, old.last_updated < changed.renamed, old.uscc == changed.uscc
    (True, True, True)
    """
    if not org.former_name:
        return org
    updated = min(org.renamed - 1, max(org.established, org.renamed - 200))
    return replace(org, name=org.former_name, former_name="", renamed=0, approved=org.established,
                   last_updated=updated, transaction_type="01", status="1")


# --- codes -------------------------------------------------------------------------------------

_MA_SPACE = 31**6
_DIGIT_LOW, _DIGIT_HIGH = 10_000_000, 80_000_000  # first digit 1-7: 8 and 9 are kept for authorities


@dataclass(frozen=True)
class CodeSpace:
    """Bijections from an organization's index to the 8-character body of its organization code, so
    that every code in a run is distinct by construction. ``MA`` + 6 characters (31^6 ≈ 887 million
    bodies) for codes issued since 2015; 8 digits in 10000000-79999999 for older organizations."""

    ma_multiplier: int
    ma_offset: int
    digit_multiplier: int
    digit_offset: int

    @classmethod
    def draw(cls, rng: random.Random) -> CodeSpace:
        def coprime(modulus: int, factors: tuple[int, ...]) -> int:
            while True:
                value = rng.randrange(modulus // 3, modulus)
                if all(value % f for f in factors):
                    return value

        digits = _DIGIT_HIGH - _DIGIT_LOW
        return cls(coprime(_MA_SPACE, (31,)), rng.randrange(_MA_SPACE),
                   coprime(digits, (2, 5, 7)), rng.randrange(digits))

    def ma_body(self, index: int) -> str:
        value = (index * self.ma_multiplier + self.ma_offset) % _MA_SPACE
        return "MA" + _PAIRS[value // 923521] + _PAIRS[value // 961 % 961] + _PAIRS[value % 961]

    def digit_body(self, index: int) -> str:
        digits = _DIGIT_HIGH - _DIGIT_LOW
        return str(_DIGIT_LOW + (index * self.digit_multiplier + self.digit_offset) % digits)


_PAIRS = tuple(a + b for a in uscc.ALPHABET for b in uscc.ALPHABET)


@functools.cache
def _code_prefix_sum(prefix: str) -> int:
    return sum(uscc.VALUES[c] * w for c, w in zip(prefix, uscc.WEIGHTS, strict=False))


def _pair_tables() -> tuple[tuple[dict[str, tuple[int, int]], ...], dict[str, int]]:
    """Per pair of body positions: pair → (organization-code weighted sum, code weighted sum)."""
    org_values = {c: i for i, c in enumerate(orgcode.BODY_ALPHABET)}
    tables = []
    for p in range(4):
        table: dict[str, tuple[int, int]] = {}
        for pair in _PAIRS:
            a, b = pair[0], pair[1]
            org = org_values[a] * orgcode.WEIGHTS[2 * p] + org_values[b] * orgcode.WEIGHTS[2 * p + 1]
            code = uscc.VALUES[a] * uscc.WEIGHTS[8 + 2 * p] + uscc.VALUES[b] * uscc.WEIGHTS[9 + 2 * p]
            table[pair] = (org, code)
        tables.append(table)
    checks = {c: uscc.VALUES[c] * uscc.WEIGHTS[16] for c in "0123456789X"}
    return tuple(tables), checks


_PAIR_SUMS, _CHECK_SUMS = _pair_tables()
_ORG_CHECK = {r: ("X" if 11 - r == 10 else "0" if 11 - r == 11 else str(11 - r)) for r in range(11)}


def make_code(prefix: str, body: str) -> str:
    """The full code for an 8-character ``prefix`` (department, category, region) and an
    8-character organization-code ``body`` (in the code's alphabet): both check characters computed.

    >>> make_code("91350100", "M000100Y")
    '91350100M000100Y43'
    >>> all(make_code("92130102", b)[8:17] == b + orgcode.calc_check_char(b) for b in ("MA0C1234", "12345678"))
    True
    """
    t0, t1, t2, t3 = _PAIR_SUMS
    a, b, c, d = t0[body[0:2]], t1[body[2:4]], t2[body[4:6]], t3[body[6:8]]
    check = _ORG_CHECK[(a[0] + b[0] + c[0] + d[0]) % 11]
    total = _code_prefix_sum(prefix) + a[1] + b[1] + c[1] + d[1] + _CHECK_SUMS[check]
    return prefix + body + check + uscc.ALPHABET[(31 - total % 31) % 31]


# --- tables ------------------------------------------------------------------------------------

class _Weighted:
    """Weighted choice by bisecting cumulative weights: one ``rng.random()`` per draw."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, pairs: Sequence[tuple[str, float]]) -> None:
        self.items = tuple(p[0] for p in pairs)
        self.cumulative = tuple(itertools.accumulate(p[1] for p in pairs))
        self.total = self.cumulative[-1]

    def index(self, rng: random.Random) -> int:
        return bisect.bisect_right(self.cumulative, rng.random() * self.total)

    def pick(self, rng: random.Random) -> str:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class County:
    code: str
    name: str  #: 长安区, 正定县, 辛集市, 朝阳区
    prefecture: str  #: the prefecture-level code (110000 for Beijing and Tianjin districts)
    prefecture_name: str  #: 石家庄市; 北京市
    province_name: str  #: 河北省
    rural: bool  #: a county (县) or county-level city, or an outer district
    full_name: str = ""  #: the name an address starts with: 河北省石家庄市长安区, 北京市朝阳区

    def __post_init__(self) -> None:
        if not self.full_name:
            prefecture = "" if self.prefecture_name == self.province_name else self.prefecture_name
            object.__setattr__(self, "full_name", self.province_name + prefecture + self.name)


#: Relative weight of Beijing districts and Tianjin districts (registered market entities, roughly).
_DISTRICT_WEIGHTS: dict[str, float] = {
    "110105": 20, "110108": 16, "110106": 8, "110102": 6, "110101": 4, "110107": 2, "110109": 1,
    "110111": 4, "110112": 6, "110113": 5, "110114": 6, "110115": 6, "110116": 2, "110117": 2,
    "110118": 2, "110119": 1, "120116": 25, "120101": 3, "120102": 4, "120103": 5, "120104": 5,
    "120105": 4, "120106": 3, "120110": 5, "120111": 5, "120112": 5, "120113": 5, "120114": 6,
    "120115": 4, "120117": 3, "120118": 4, "120119": 4,
}
#: Hebei prefectures by population in millions (each prefecture's counties share its weight).
_PREFECTURE_WEIGHTS: dict[str, float] = {
    "1301": 11.2, "1302": 7.7, "1303": 3.1, "1304": 9.4, "1305": 7.1, "1306": 11.5, "1307": 4.1,
    "1308": 3.4, "1309": 7.3, "1310": 5.5, "1311": 4.2,
}
_OUTER = frozenset(("110111", "110112", "110113", "110114", "110115", "110116", "110117", "110118",
                    "110119", "120110", "120111", "120112", "120113", "120114", "120115", "120116",
                    "120117", "120118", "120119"))


@dataclass(frozen=True)
class _RegionTables:
    province: str  #: 130000
    province_name: str  #: 河北省
    short: str  #: 河北
    counties: tuple[County, ...]
    weights: _Weighted  #: over counties (items are indexes as strings)
    rural: _Weighted
    prefectures: tuple[str, ...]  #: prefecture codes (Beijing/Tianjin: the province)


def _short(name: str) -> str:
    """石家庄市 → 石家庄, 河北省 → 河北, 正定县 → 正定, 长安区 → 长安 (two-character names keep theirs)."""
    for suffix in ("新区", "省", "市", "县", "区"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def _region_tables(region: str) -> _RegionTables:
    prefix = REGIONS[region]
    province = prefix + "0000"
    province_name = divisions.latest_name(province) or region
    counties: list[County] = []
    weights: list[tuple[str, float]] = []
    current = [c for c in divisions.codes() if c.startswith(prefix) and not c.endswith("00")
               and divisions.is_current(c) and divisions.current_name(c) != "市辖区"]
    siblings: dict[str, int] = {}
    for code in current:
        siblings[code[:4]] = siblings.get(code[:4], 0) + 1
    for code in current:
        name = divisions.current_name(code) or ""
        if prefix in _MUNICIPALITIES:
            prefecture, prefecture_name = province, province_name
            weight = _DISTRICT_WEIGHTS.get(code, 2)
            rural = code in _OUTER
        else:
            prefecture = code[:4] + "00"
            prefecture_name = divisions.current_name(prefecture) or name
            weight = _PREFECTURE_WEIGHTS.get(code[:4], 3) / siblings[code[:4]]
            rural = not name.endswith("区")
        counties.append(County(code, name, prefecture, prefecture_name, province_name, rural))
        weights.append((str(len(counties) - 1), weight))
    rural_weights = [(i, w * (3 if counties[int(i)].rural else 0.3)) for i, w in weights]
    prefectures = tuple(sorted({c.prefecture for c in counties}))
    return _RegionTables(province, province_name, _short(province_name), tuple(counties),
                         _Weighted(weights), _Weighted(rural_weights), prefectures)


@functools.cache
def _birth_regions() -> dict[int, tuple[tuple[str, int], ...]]:
    """County-level codes in use in each birth year, with their check-sum contribution."""
    table: dict[int, list[tuple[str, int]]] = {}
    weights = ric._WEIGHTS
    first, last = BIRTH_YEARS
    for code in divisions.codes():
        if code.endswith("00") or code.startswith("10") or code == "133100":
            continue
        partial = sum(int(c) * w for c, w in zip(code, weights[:6], strict=True))
        years: set[int] = set()
        for period in divisions.periods(code):
            if period.name != "市辖区":
                years.update(range(max(first, period.start or first), min(last, period.end or last) + 1))
        for year in sorted(years):
            table.setdefault(year, []).append((code, partial))
    return {year: tuple(codes) for year, codes in table.items()}


@functools.cache
def _birth_dates() -> tuple[tuple[str, int, int], ...]:
    """Every day of :data:`BIRTH_YEARS`: (YYYYMMDD, its check-sum contribution, the year)."""
    weights = ric._WEIGHTS[6:14]
    start = datetime.date(BIRTH_YEARS[0], 1, 1).toordinal()
    end = datetime.date(BIRTH_YEARS[1], 12, 31).toordinal()
    out = []
    for ordinal in range(start, end + 1):
        text = datetime.date.fromordinal(ordinal).strftime("%Y%m%d")
        out.append((text, sum(int(c) * w for c, w in zip(text, weights, strict=True)), int(text[:4])))
    global _BIRTH_DATES
    _BIRTH_DATES = tuple(out)
    return _BIRTH_DATES


_BIRTH_DATES: tuple[tuple[str, int, int], ...] = ()  # filled on first use by _birth_dates()
_SEQUENCE_SUMS = tuple(sum(int(c) * w for c, w in zip(s, ric._WEIGHTS[14:], strict=True))
                       for s in SYNTHETIC_SEQUENCES)
_RIC_CHECK = "10X98765432"
_BIRTH_START = datetime.date(BIRTH_YEARS[0], 1, 1).toordinal()

#: Year weights of establishment dates: registrations grew fast after the 2014 reform.
_YEAR_WEIGHTS = tuple((str(y), 1.0 if y < 2000 else 2.0 if y < 2010 else 4.0 if y < 2014 else
                       8.0 if y < 2020 else 10.0 if y < 2025 else 6.0) for y in range(1990, 2026))
_YEARS = _Weighted(_YEAR_WEIGHTS)
_SURNAMES = _Weighted(words.SURNAMES)
_ENTERPRISE_INDUSTRIES = _Weighted([(str(i), w) for i, w in enumerate(words.ENTERPRISE_INDUSTRY_WEIGHTS)])
_SHOPS = _Weighted([(str(i), s[3]) for i, s in enumerate(words.SHOPS)])
_ASSOCIATION_FORMS = _Weighted(words.ASSOCIATION_FORMS)
_SOCIAL_SERVICES = _Weighted([(str(i), s[2]) for i, s in enumerate(words.SOCIAL_SERVICES)])
_INSTITUTIONS = _Weighted([(str(i), s[2]) for i, s in enumerate(words.INSTITUTIONS)])
_VENUES = _Weighted(words.VENUES)
#: The supervising bureau of schools, hospitals and care homes, by industry division (index in BUREAUS).
_SUPERVISORS = {"83": words.BUREAUS.index("教育局"), "84": words.BUREAUS.index("卫生健康委员会"),
                "85": words.BUREAUS.index("民政局"), "80": words.BUREAUS.index("民政局")}
_CATEGORIES = {dept: _Weighted(shares) for dept, shares in CATEGORY_SHARES.items()}
_STATUSES = {kind: _Weighted(shares) for kind, shares in STATUS_SHARES.items()}
_ENTERPRISE_FORMS = _Weighted((("有限公司", 78), ("有限责任公司", 10), ("股份有限公司", 2.5), ("分公司", 5),
                               ("合伙企业（有限合伙）", 3), ("（个人独资）", 1.5)))
_ECONOMIC_TYPES = {"有限公司": "173", "有限责任公司": "159", "股份有限公司": "174", "分公司": "173",
                   "合伙企业（有限合伙）": "172", "（个人独资）": "171"}
_FOREIGN = (("310", "USD"), ("320", "USD"), ("330", "USD"), ("210", "HKD"), ("230", "HKD"), ("330", "EUR"))
_AUTHORITY_LEVELS: dict[str, tuple[float, float]] = {  # (province share, prefecture share)
    "91": (0.07, 0.18), "92": (0.0, 0.0), "93": (0.0, 0.0), "1": (0.1, 0.3), "5": (0.1, 0.3),
    "31": (0.6, 0.3), "3": (0.2, 0.5), "7": (0.0, 0.2), "8": (0.05, 0.25),
}
_AUTHORITY_SUFFIX = {"9": "市场监督管理局", "5": "民政局", "3": "司法局", "7": "民族宗教事务局", "8": "总工会"}
_PROVINCE_AUTHORITY = {
    ("9", "11"): "北京市市场监督管理局", ("9", "12"): "天津市市场监督管理委员会", ("9", "13"): "河北省市场监督管理局",
    ("5", "11"): "北京市民政局", ("5", "12"): "天津市民政局", ("5", "13"): "河北省民政厅",
    ("3", "11"): "北京市司法局", ("3", "12"): "天津市司法局", ("3", "13"): "河北省司法厅",
    ("7", "11"): "北京市民族宗教事务委员会", ("7", "12"): "天津市民族和宗教事务委员会",
    ("7", "13"): "河北省民族宗教事务厅",
}


# --- people ------------------------------------------------------------------------------------

def person_name(rng: random.Random, male: bool) -> str:
    """A plausible Chinese name: a weighted common surname and one or two given characters.

    >>> person_name(random.Random(1), True)[:1] in {s for s, _ in words.SURNAMES}
    True
    """
    name = _SURNAMES.pick(rng)
    pool = words.GIVEN_MALE if male else words.GIVEN_FEMALE
    r = rng.random()
    if r < 0.25:
        return name + pool[int(rng.random() * len(pool))]
    if r < 0.4:
        neutral = words.GIVEN_NEUTRAL
        return name + neutral[int(rng.random() * len(neutral))] + pool[int(rng.random() * len(pool))]
    return name + pool[int(rng.random() * len(pool))] + pool[int(rng.random() * len(pool))]


def person(rng: random.Random, region: str = "hebei", on: int = _LAST) -> tuple[str, str]:
    """A synthetic person aged 20-60 on the day ``on`` (an ordinal; born within :data:`BIRTH_YEARS`
    whatever the day), mostly born in the region's province: (name, resident identity number).
    The number passes the GB 11643 check and carries a centenarians' sequence number (996-999), so
    it belongs to nobody.

    >>> name, number = person(random.Random(5))
    >>> ric.is_valid(number), number[14:17] in SYNTHETIC_SEQUENCES, 2 <= len(name) <= 4
    (True, True, True)
    """
    random_ = rng.random
    sequence = int(random_() * 4)
    name = person_name(rng, sequence % 2 == 1)
    dates = _BIRTH_DATES or _birth_dates()
    # Ages at registration cluster around 40 (a triangular draw between 20 and 60).
    born = on - 7305 - int((random_() + random_()) * 7305) - _BIRTH_START
    born = 0 if born < 0 else len(dates) - 1 if born >= len(dates) else born
    text, born_sum, year = dates[born]
    if random_() < 0.8:
        places = _local_birth_regions(year, REGIONS.get(region, "13"))
    else:
        places = _birth_regions()[year]
    code, code_sum = places[int(random_() * len(places))]
    return name, code + text + SYNTHETIC_SEQUENCES[sequence] + _RIC_CHECK[
        (code_sum + born_sum + _SEQUENCE_SUMS[sequence]) % 11]


@functools.cache
def _local_birth_regions(year: int, prefix: str) -> tuple[tuple[str, int], ...]:
    return tuple(c for c in _birth_regions()[year] if c[0].startswith(prefix)) or _birth_regions()[year]


def telephone(rng: random.Random, county: County) -> str:
    """A number that looks local but rings nobody: the local part starts with 0.

    >>> telephone(random.Random(1), _region_tables("beijing").counties[0])[:5]
    '010-0'
    """
    area = words.AREA_CODES.get(county.code[:4], "0311")
    return f"{area}-0{int(rng.random() * 10_000_000):07d}"


@functools.cache
def _regno_state(prefix: str) -> int:
    """The ISO 7064 MOD 11,10 state after ``prefix`` (see :mod:`jjjcredit.core.codes.regno`)."""
    p = 10
    for c in prefix:
        t = (p + int(c)) % 10
        p = (t or 10) * 2 % 11
    return p


def registration_number(authority: str, serial: str) -> str:
    """A 15-digit business registration number (GS 15-2006) with its check digit.

    >>> from jjjcredit.core.codes import regno
    >>> registration_number("110108", "00000001") == "11010800000001" + regno.calc_check_char("11010800000001")
    True
    """
    p = _regno_state(authority)
    for c in serial:
        t = (p + ord(c) - 48) % 10
        p = (t or 10) * 2 % 11
    return f"{authority}{serial}{(11 - p) % 10}"


# --- places and names --------------------------------------------------------------------------

_PROVINCE, _PREFECTURE, _COUNTY = 0, 1, 2
_NUMERALS = "零一二三四五六七八九十"


def _chinese_number(n: int) -> str:
    """1-99 in Chinese numerals.

    >>> _chinese_number(3), _chinese_number(10), _chinese_number(21)
    ('三', '十', '二十一')
    """
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens] + "十")
    return head + ("" if ones == 0 else _NUMERALS[ones])


def _area(tables: _RegionTables, county: County, level: int) -> str:
    """The area an organization is named after: 河北省, 石家庄市, 石家庄市长安区 / 正定县, 北京市朝阳区."""
    if level == _PROVINCE:
        return tables.province_name
    if level == _PREFECTURE:
        return county.prefecture_name
    if county.name.endswith("区"):
        return county.prefecture_name + county.name
    return county.name


def _trade(rng: random.Random) -> str:
    chars = words.TRADE_CHARS
    n = len(chars)
    a = chars[int(rng.random() * n)]
    b = chars[int(rng.random() * n)]
    if a == b and rng.random() < 0.8:
        b = chars[(chars.index(b) + 1 + int(rng.random() * (n - 1))) % n]
    return a + b


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[int(rng.random() * len(items))]


def _town(rng: random.Random) -> str:
    return _TOWN_NAMES[int(rng.random() * len(_TOWN_NAMES))]


_STREETS = tuple(road + suffix for road in words.ROADS for suffix, weight in words.ROAD_SUFFIXES
                 for _ in range(int(weight * 2)))
_VILLAGES = tuple(town + suffix for town in words.TOWNS for suffix in words.VILLAGE_SUFFIXES)
_TOWN_NAMES = (*(town + ("" if len(town) > 1 else middle) + suffix for town in words.TOWNS
                  for middle in words.TOWN_MIDDLES for suffix in words.TOWN_SUFFIXES),
               *(road + "街道" for road in words.ROADS))


def address(rng: random.Random, county: County) -> str:
    """A made-up street address in a real division: 河北省石家庄市长安区建设大街128号.

    >>> address(random.Random(2), _region_tables("hebei").counties[0]).startswith("河北省石家庄市")
    True
    """
    random_ = rng.random
    r = random_()
    number = 1 + int(random_() * (60, 300, 999)[int(r * 3000) % 3])
    if county.rural and r < 0.35:
        return (f"{county.full_name}{_TOWN_NAMES[int(random_() * len(_TOWN_NAMES))]}"
                f"{_VILLAGES[int(random_() * len(_VILLAGES))]}{number}号")
    return (f"{county.full_name}{_STREETS[int(random_() * len(_STREETS))]}{number}号"
            f"{words.BUILDINGS[int(random_() * len(words.BUILDINGS))]}")


def _enterprise_prefix(rng: random.Random, tables: _RegionTables, county: County, level: int) -> str:
    if level == _PROVINCE or county.prefecture == tables.province:
        return tables.short
    if level == _PREFECTURE:
        return _short(county.prefecture_name)
    r = rng.random()
    if r < 0.55 or county.name.endswith("区"):
        return _short(county.prefecture_name)
    return county.name if r < 0.85 else _short(county.name)


def enterprise_name(rng: random.Random, tables: _RegionTables, county: County, level: int,
                    industry: str) -> tuple[str, str]:
    """(name, organizational form) of an enterprise: 石家庄鑫盛机械制造有限公司."""
    prefix = _enterprise_prefix(rng, tables, county, level)
    form = _ENTERPRISE_FORMS.pick(rng)
    trade = _trade(rng)
    if form == "分公司":
        branch = _short(county.name) if county.prefecture == tables.province or county.name.endswith(("县", "市")) \
            else _short(county.prefecture_name)
        parent_prefix = tables.short if prefix != tables.short else _short(county.prefecture_name)
        return f"{parent_prefix}{trade}{industry}有限公司{branch}分公司", form
    if form == "合伙企业（有限合伙）":
        return f"{prefix}{trade}{industry}合伙企业（有限合伙）", form
    if form == "（个人独资）":
        return f"{prefix}{trade}{industry}中心（个人独资）", form
    if rng.random() < 0.04:
        return f"{trade}（{prefix}）{industry}{form}", form
    return f"{prefix}{trade}{industry}{form}", form


_NICE_CAPITAL = _Weighted((("1", 1), ("3", 2), ("5", 4), ("10", 8), ("20", 4), ("30", 4), ("50", 8),
                           ("100", 12), ("200", 6), ("300", 4), ("500", 6), ("1000", 5), ("2000", 2),
                           ("3000", 1.5), ("5000", 1.5), ("10000", 1), ("50000", 0.3)))


def _capital(rng: random.Random, low_wan: float, high_wan: float) -> int:
    """An amount in yuan between two amounts in 万元, mostly round."""
    if rng.random() < 0.85:
        for _ in range(4):
            wan = int(_NICE_CAPITAL.pick(rng))
            if low_wan <= wan <= high_wan:
                return wan * 10_000
    return int((low_wan + rng.random() * (high_wan - low_wan)) * 100) * 100


@dataclass(slots=True)
class _Business:
    name: str
    industry: str
    scope: str
    capital: int
    economic_type: str
    currency: str
    employees: int
    shareholder: str


def _market(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
            operator: str) -> _Business:
    if category == "1":
        i = _ENTERPRISE_INDUSTRIES.index(rng)
        words_, industry, scope = words.ENTERPRISE_INDUSTRIES[i]
        name, form = enterprise_name(rng, tables, county, level, words_)
        economic, currency = _ECONOMIC_TYPES[form], "CNY"
        r = rng.random()
        if r < 0.03 and form in ("有限公司", "有限责任公司"):
            economic, currency = _FOREIGN[int(rng.random() * len(_FOREIGN))]
        elif r < 0.05:
            economic = "151" if form in ("有限公司", "有限责任公司") else economic
        capital = _capital(rng, 1, 100_000 if form == "股份有限公司" else 20_000)
        if form == "分公司":
            capital = 0
        employees = max(1, int(rng.lognormvariate(2.0, 1.2)))
        shareholder = operator if rng.random() < 0.5 else (
            operator + "、" + person_name(rng, rng.random() < 0.6) if rng.random() < 0.7 else f"{tables.short}{_trade(rng)}投资有限公司")
        return _Business(name, industry, scope + "。（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
                         capital, economic, currency, employees, shareholder)
    if category == "2":
        shop, industry, scope, _w = words.SHOPS[_SHOPS.index(rng)]
        place = _area(tables, county, _COUNTY)
        r = rng.random()
        if r < 0.80:
            name = place + _trade(rng) + shop
        elif r < 0.92:
            surname = _SURNAMES.pick(rng)
            name = place + ("老" + surname if rng.random() < 0.5 else surname + "记") + shop
        else:
            name = operator  # many individual businesses have no trade name: the operator's name stands in
        capital = _capital(rng, 0.5, 50) if rng.random() < 0.7 else 0
        return _Business(name, industry, scope, capital, "175", "CNY", 1 + int(rng.random() * 6), operator)
    product, kind, industry = words.COOPERATIVES[int(rng.random() * len(words.COOPERATIVES))]
    village = _VILLAGES[int(rng.random() * len(_VILLAGES))] if rng.random() < 0.3 else ""
    union = "联合社" if rng.random() < 0.03 else ""
    name = f"{county.name}{village}{_trade(rng)}{product}{kind}专业合作社{union}"
    scope = f"组织收购、销售成员{product}产品；引进新技术、新品种，开展技术培训、技术交流和咨询服务"
    return _Business(name, industry, scope, _capital(rng, 10, 1000), "190", "CNY",
                     5 + int(rng.random() * 60), operator)


def _civil(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
           operator: str) -> _Business:
    area = _area(tables, county, level)
    if category == "1":
        form = _ASSOCIATION_FORMS.pick(rng)
        topic = _pick(rng, words.HOME_PROVINCES if form == "商会" else words.ASSOCIATION_TOPICS)
        return _Business(area + topic + form, "9522" if form in ("协会", "商会") else "9521",
                         f"开展{topic}领域的行业交流、业务培训、咨询服务", _capital(rng, 3, 10), "190", "CNY",
                         2 + int(rng.random() * 10), "")
    if category == "2":
        service, industry, _w = words.SOCIAL_SERVICES[_SOCIAL_SERVICES.index(rng)]
        return _Business(area + _trade(rng) + service, industry, f"{service}相关公益服务",
                         _capital(rng, 3, 100), "190", "CNY", 3 + int(rng.random() * 40), operator)
    topic = _pick(rng, words.FOUNDATION_TOPICS)
    area = _area(tables, county, min(level, _PREFECTURE))
    name = area + (_trade(rng) if rng.random() < 0.6 else "") + topic + "基金会"
    return _Business(name, "9530", f"资助{topic}公益项目", _capital(rng, 200, 2000), "190", "CNY",
                     3 + int(rng.random() * 15), "")


def _judicial(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
              operator: str) -> _Business:
    if category == "1":
        prefix = tables.province_name if tables.province[:2] in _MUNICIPALITIES else (
            tables.short if level == _PROVINCE else _short(county.prefecture_name))
        name = (f"{_trade(rng)}（{_short(county.prefecture_name)}）律师事务所" if rng.random() < 0.08
                else f"{prefix}{_trade(rng)}律师事务所")
        return _Business(name, "7231", "律师法律服务", _capital(rng, 10, 100), "172", "CNY",
                         3 + int(rng.random() * 60), operator)
    if category == "2":
        area = _area(tables, county, level)
        name = area + (_trade(rng) if rng.random() < 0.5 else "") + "公证处"
        return _Business(name, "7232", "公证服务", 0, "110", "CNY", 5 + int(rng.random() * 30), "")
    if category == "3":
        return _Business(county.name + _town(rng) + "法律服务所", "7239", "基层法律服务", 0, "190", "CNY",
                         2 + int(rng.random() * 6), operator)
    if category == "4":
        name = _area(tables, county, level) + _trade(rng) + _pick(rng, words.FORENSIC_FORMS)
        return _Business(name, "7239", "司法鉴定服务", _capital(rng, 10, 200), "190", "CNY",
                         3 + int(rng.random() * 30), operator)
    if category == "5":
        return _Business(_short(county.prefecture_name) + "仲裁委员会", "7239", "仲裁服务", 0, "110", "CNY",
                         5 + int(rng.random() * 20), "")
    return _Business(county.name + _town(rng) + "人民调解委员会", "7239", "人民调解", 0, "190", "CNY",
                     3 + int(rng.random() * 8), "")


def _institutional(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
                   operator: str) -> _Business:
    area = _area(tables, county, level)
    if category == "1":
        if level == _COUNTY and rng.random() < 0.2:
            town = _town(rng)
            suffix = "办事处" if town.endswith("街道") else "人民政府"
            return _Business(area + town + suffix, "9221", "", 0, "110", "CNY", 10 + int(rng.random() * 60), "")
        return _Business(area + _pick(rng, words.BUREAUS), "9225", "", 0, "110", "CNY",
                         20 + int(rng.random() * 200), "")
    if category == "2":
        pattern, industry, _w = words.INSTITUTIONS[_INSTITUTIONS.index(rng)]
        name = area + pattern.replace("{n}", _chinese_number(1 + int(rng.random() * 30)))
        return _Business(name, industry, "", _capital(rng, 10, 5000), "110", "CNY",
                         10 + int(rng.random() * 300), "")
    if category == "3":
        return _Business(area + _pick(rng, words.MASS_ORGANIZATIONS), "9519", "", 0, "110", "CNY",
                         5 + int(rng.random() * 30), "")
    return _Business(area + "机关后勤服务中心", "7214", "", _capital(rng, 10, 500), "110", "CNY",
                     5 + int(rng.random() * 40), "")


def _religious(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
               operator: str) -> _Business:
    if category == "1":
        kind = _VENUES.pick(rng)
        names = words.VENUE_NAMES[kind]
        if kind in ("基督教堂", "天主教堂"):
            name = county.name + (_pick(rng, names) if rng.random() < 0.5 else "") + kind
        elif kind == "清真寺":
            name = county.name + _pick(rng, names) + kind
        else:
            name = (_short(county.name) if rng.random() < 0.4 else "") + _pick(rng, names) + kind
        return _Business(name, "9542", "宗教活动", 0, "900", "CNY", 1 + int(rng.random() * 15), "")
    if category == "2":
        return _Business(tables.short + _pick(rng, words.RELIGIOUS_SCHOOLS), "8341", "宗教教育", 0, "900", "CNY",
                         10 + int(rng.random() * 50), "")
    religion = _pick(rng, ("佛教", "道教", "伊斯兰教", "天主教", "基督教"))
    return _Business(_area(tables, county, level) + religion + "协会", "9541", "宗教团体服务", 0, "900", "CNY",
                     2 + int(rng.random() * 10), "")


def _union(rng: random.Random, category: str, tables: _RegionTables, county: County, level: int,
           operator: str) -> _Business:
    area = _area(tables, county, level)
    if category == "9":
        industry = words.ENTERPRISE_INDUSTRIES[_ENTERPRISE_INDUSTRIES.index(rng)][0]
        return _Business(area + industry + "行业工会联合会", "9511", "", 0, "900", "CNY", 2, "")
    r = rng.random()
    if r < 0.75:
        industry = words.ENTERPRISE_INDUSTRIES[_ENTERPRISE_INDUSTRIES.index(rng)][0]
        name = enterprise_name(rng, tables, county, level, industry)[0] + "工会委员会"
    elif r < 0.9:
        name = area + _pick(rng, words.BUREAUS) + "工会委员会"
    else:
        name = _area(tables, county, _COUNTY) + _town(rng) + "总工会"
    return _Business(name, "9511", "", 0, "900", "CNY", 1 + int(rng.random() * 5), "")


_MAKERS = {"9": _market, "5": _civil, "3": _judicial, "1": _institutional, "7": _religious, "8": _union}


# --- organizations -----------------------------------------------------------------------------

@functools.cache
def authority(department: str, division: str) -> tuple[str, str]:
    """(name, own code) of the registering authority of ``department`` at ``division``.

    >>> authority("9", "130102")[0], authority("9", "130100")[0], authority("9", "110000")[0]
    ('石家庄市长安区市场监督管理局', '石家庄市市场监督管理局', '北京市市场监督管理局')
    >>> uscc.is_valid(authority("9", "130102")[1])
    True
    """
    province = division[:2]
    if division.endswith("0000") and (department, province) in _PROVINCE_AUTHORITY:
        name = _PROVINCE_AUTHORITY[(department, province)]
    else:
        own = divisions.latest_name(division) or ""
        if province in _MUNICIPALITIES and not division.endswith("0000"):
            place = (divisions.latest_name(province + "0000") or "") + own  # 北京市朝阳区
        elif division.endswith("00") or not own.endswith("区"):
            place = own  # 石家庄市, 正定县, 辛集市
        else:
            place = (divisions.prefecture_name(division) or "") + own  # 石家庄市长安区
        if department == "1":
            name = f"中共{place}委机构编制委员会办公室"
        else:
            name = place + _AUTHORITY_SUFFIX.get(department, "人民政府")
    category = "3" if department == "8" else "1"
    return name, make_code("1" + category + division, f"8{department}{division}")


_YEAR_STARTS = {y: datetime.date(y, 1, 1).toordinal() for y in range(1989, 2027)}


def _date_in(rng: random.Random, start: int, end: int) -> int:
    """A day between ``start`` and ``end`` (ordinals); ``start`` when the span is empty."""
    return start + int(rng.random() * (end - start + 1)) if end > start else start


def organizations(rng: random.Random, codes: CodeSpace, region: str, department: str, count: int,
                  start: int = 0, name_change_share: float = NAME_CHANGE_SHARE) -> Iterator[Organization]:
    """``count`` organizations registered by ``department`` (a crosswalk department id, e.g.
    ``market-regulation``) in ``region`` (``beijing``, ``tianjin``, ``hebei``), with indexes
    ``start`` … ``start + count - 1`` (distinct indexes give distinct codes).

    >>> orgs = list(organizations(random.Random(9), CodeSpace.draw(random.Random(9)), "tianjin", "civil-affairs", 50))
    >>> len({o.uscc for o in orgs}), {o.uscc[:4] for o in orgs} <= {"5112", "5212", "5312"}
    (50, True)
    """
    dept = DEPARTMENT_SHARES[department][0]
    tables = _region_tables(region)
    make = _MAKERS[dept]
    categories = _CATEGORIES[dept]
    statuses = _STATUSES["market" if dept == "9" else "other"]
    counties = tables.counties
    random_ = rng.random
    bisect_ = bisect.bisect_right
    cat_items, cat_cum, cat_total = categories.items, categories.cumulative, categories.total
    year_cum, year_total = _YEARS.cumulative, _YEARS.total
    year_starts = _YEAR_STARTS
    for index in range(start, start + count):
        category = cat_items[bisect_(cat_cum, random_() * cat_total)]
        key = dept + category
        place = tables.rural if key == "93" or (dept == "7" and random_() < 0.6) else tables.weights
        county = counties[bisect_(place.cumulative, random_() * place.total)]
        province_share, prefecture_share = _AUTHORITY_LEVELS.get(key) or _AUTHORITY_LEVELS[dept]
        r = random_()
        level = _PROVINCE if r < province_share else _PREFECTURE if r < province_share + prefecture_share \
            else _COUNTY
        if key == "33":
            level = _COUNTY
        authority_code = (tables.province if level == _PROVINCE else
                          county.prefecture if level == _PREFECTURE else county.code)
        year = 1990 + bisect_(year_cum, random_() * year_total)
        if key == "92" and year < 2012 and random_() < 0.6:
            year = 1990 + bisect_(year_cum, random_() * year_total)
        first_day = year_starts[year]
        established = first_day + int(random_() * (year_starts[year + 1] - first_day))
        if established > _LAST:
            established = _LAST
        operator, id_number = person(rng, region, established)
        business = make(rng, category, tables, county, level, operator)
        status = statuses.pick(rng)
        transaction = "01"
        approved = established
        if status in ("3", "4"):
            approved = _date_in(rng, min(established + 90, _LAST), _LAST)
            transaction = "03" if status == "4" else "90"
        elif status == "9":
            transaction = "90"
        elif random_() < 0.3:
            approved = _date_in(rng, min(established + 30, _LAST), _LAST)
            transaction = "02"
        if dept == "1" and category == "1":
            transaction = "11"
        last_updated = min(_LAST, approved + int(random_() * random_() * 900))
        issued_old = established < CODE_REFORM and (key in ("91", "93") or dept != "9") and random_() < 0.9
        body = codes.digit_body(index) if issued_old else codes.ma_body(index)
        code = make_code(dept + category + authority_code, body)
        if dept == "9" and established < CODE_REFORM:
            registration = registration_number(
                authority_code, f"{'6' if category == '2' else '1'}{index % 10_000_000:07d}")
        else:
            registration = code
        department_name, department_code = authority(dept, authority_code)
        supervisor = supervisor_code = ""
        if (dept == "5" and category != "3") or (dept == "1" and category == "2"):
            bureau = _SUPERVISORS.get(business.industry[:2], -1)
            if bureau < 0:
                bureau = int(random_() * len(words.BUREAUS))
            supervisor = _area(tables, county, level) + words.BUREAUS[bureau]
            supervisor_code = make_code("11" + authority_code, f"B{uscc.ALPHABET[bureau]}{authority_code}")
        elif dept in ("3", "7", "8"):  # the supervising judicial, religious-affairs or union body
            supervisor, supervisor_code = department_name, department_code
        valid_from = valid_to = 0
        if key == "91":
            valid_from = established
            if random_() < 0.5:
                valid_to = established + int(365.25 * int(_pick(rng, ("20", "30", "30", "50"))))
        elif dept == "5":
            valid_from = approved
            valid_to = approved + 5 * 365
        contact = operator if random_() < 0.6 else person_name(rng, random_() < 0.5)
        org = Organization(
            index, code, business.name, dept, category, authority_code, county.code, address(rng, county),
            operator, id_number, established, approved, last_updated, status, transaction, business.capital,
            business.currency, business.industry, business.economic_type, business.employees,
            telephone(rng, county), contact, business.scope, registration, department_name, department_code,
            supervisor, supervisor_code, business.shareholder, valid_from, valid_to,
            "1" if random_() < 0.97 else "2")
        if status in ("1", "2") and business.name != operator and random_() < name_change_share:
            renamed = _date_in(rng, established + 365, _LAST)
            if renamed <= _LAST:
                org.former_name = make(rng, category, tables, county, level, operator).name
                if org.former_name != org.name:
                    org.renamed = renamed
                    org.approved = max(org.approved, renamed)
                    org.last_updated = max(org.last_updated, renamed)
                    org.transaction_type = "02"
                else:
                    org.former_name = ""
        yield org


def values(org: Organization) -> dict[str, str]:
    """The organization as element name → value in the element's own form (dates YYYYMMDD, capital in
    万元), empty strings where the organization has none.

    >>> org = next(organizations(random.Random(4), CodeSpace.draw(random.Random(4)), "hebei", "market-regulation", 1))
    >>> v = values(org)
    >>> v["uscc"] == org.uscc, len(v["established"]), v["legal_rep_id_type"]
    (True, 8, '10')
    """
    return {
        "uscc": org.uscc, "orgcode": org.orgcode, "name": org.name, "registration_number": org.registration_number,
        "registering_department": org.registering_department,
        "registering_department_code": org.registering_department_code,
        "transaction_type": org.transaction_type, "established": _d8(org.established),
        "approved": _d8(org.approved), "last_updated": _d8(org.last_updated), "status": org.status,
        "valid_from": _d8(org.valid_from), "valid_to": _d8(org.valid_to), "address": org.address,
        "address_division": org.division, "operating_address": org.address, "operating_division": org.division,
        "business_scope": org.business_scope, "registered_capital": wan(org.capital), "currency": org.currency,
        "industry": org.industry, "economic_type": org.economic_type, "employees": str(org.employees),
        "legal_rep": org.legal_rep, "legal_rep_id_type": "10", "legal_rep_id_number": org.legal_rep_id_number,
        "telephone": org.telephone, "contact": org.contact, "shareholder": org.shareholder,
        "supervisor": org.supervisor, "supervisor_code": org.supervisor_code, "disclosure": org.disclosure,
    }


def _d8(ordinal: int) -> str:
    return datetime.date.fromordinal(ordinal).strftime("%Y%m%d") if ordinal else ""


def wan(yuan: int) -> str:
    """Whole yuan → 万元 as the element writes it (no trailing zeros); 0 → empty.

    >>> wan(5_000_000), wan(12_345), wan(0)
    ('500', '1.2345', '')
    """
    if not yuan:
        return ""
    whole, rest = divmod(yuan, 10_000)
    return f"{whole}.{rest:04d}".rstrip("0") if rest else str(whole)
