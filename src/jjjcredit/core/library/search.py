"""Search keys of organization names, and how well a name answers a query. Pure: the services store
the keys and fetch candidates; this module makes the keys and scores, so ranking is the same on every
database.

- :func:`name_key`: the one form names are compared in, :func:`jjjcredit.core.library.names.normalize`
  (identity authentication compares names by it too): half-width, no spaces, one bracket style ``()``,
  one company form (有限责任公司 → 有限公司, 股份有限公司 → 股份公司), upper case.
- :func:`core_key`: the name key without a leading region name (河北省, 石家庄市, 石家庄, 长安区 …),
  for a query that leaves the region out — or puts it in.
- :func:`initials`: the pinyin initials of the name key (石家庄 → ``SJZ``); letters and digits stay.
- :func:`pinyin`: the full pinyin of the name key (大兴 → ``DAXING``), each character read alone;
  the keys hold it for the whole name and for the name after its first region (北京市大兴区… →
  ``DAXINGQU…``), so ``daxing`` finds what lies in Daxing and what is named after it.
- Former names: the name keys (and keys without the region) of every name an organization carried
  before a change, so a name people still use finds it.
- :func:`grams`: the key's character pairs, company form left out: fuzzy candidates share some
  (the library indexes those of the name without its region, as the query is compared by).
- :func:`score`: 0–1 and the kind of match, best first: ``exact``, ``exact_without_region``,
  ``code``, ``former_name``, ``prefix``, ``initials``, ``pinyin``, ``fuzzy``. A region the query names counts: a name equal
  once the regions are left out scores 0.99 in that region, 0.97 where either names none, 0.93
  elsewhere.

>>> name_key("石家庄（某某） 机械有限责任公司")
'石家庄(某某)机械有限公司'
>>> core_key("河北省石家庄市某某机械有限公司"), core_key("石家庄某某机械有限公司")
('某某机械有限公司', '某某机械有限公司')
>>> initials("石家庄某某1机械(中国)有限公司")
'SJZMM1JXZGYXGS'
>>> pinyin("北京大兴(中国)有限公司")
'BEIJINGDAXINGZHONGGUOYOUXIANGONGSI'
>>> sorted(grams("某某机械有限公司"))
['机械', '某机', '某某']
>>> score(query("石家庄某某机械有限责任公司"), "913501007000000001", "石家庄某某机械有限公司")
(1.0, 'exact')
>>> score(query("某某机械有限公司"), "913501007000000001", "石家庄某某机械有限公司")
(0.97, 'exact_without_region')
>>> score(query("大兴第十四中学"), "X", "北京市大兴区第十四中学"), score(query("大兴第十四中学"), "X", "保定市第十四中学")
((0.99, 'exact_without_region'), (0.93, 'exact_without_region'))
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from jjjcredit.core.codes import divisions
from jjjcredit.core.library import names

#: Endings that almost every name has: left out of the fuzzy grams (they would match everything).
_ENDINGS = ("股份公司", "有限公司", "分公司", "公司", "合作社", "(普通合伙)", "(有限合伙)", "合伙企业")
_DIVISION_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县",
                      "新区", "地区", "省", "市", "县", "区", "盟", "旗")
_USCC_CHARS = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{2,18}$")
_LETTERS = re.compile(r"^[A-Z0-9]+$")
#: What is not a letter, digit or ideograph (``\w`` is ``str.isalnum`` plus the underscore).
_SIGNS = re.compile(r"[\W_]+")
#: Most fuzzy candidates fetched from the database before scoring.
FUZZY_CANDIDATES = 200
#: A fuzzy match scoring below this is no answer.
FUZZY_FLOOR = 0.45


#: The key names are searched by: the one normalizer identity authentication compares names by too.
name_key = names.normalize


def _short(name: str) -> str:
    """A division name without its kind (石家庄市 → 石家庄, 大兴区 → 大兴), while two characters stay."""
    for suffix in _DIVISION_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@functools.cache
def _region_names() -> dict[str, str]:
    """Division names and their short forms (石家庄市, 石家庄), each with its short form."""
    short: dict[str, str] = {}
    for code in divisions.codes():
        for period in divisions.periods(code):
            name = period.name
            if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") or len(name) < 2:
                continue
            short[name] = short[_short(name)] = _short(name)
    return short


@functools.cache
def _region_starts() -> dict[str, tuple[int, ...]]:
    """The first two characters of every region name, each with the lengths of the names starting with
    them, longest first: most names start with none of them, and the others try one to three lengths."""
    lengths: dict[str, set[int]] = {}
    for n in _region_names():
        lengths.setdefault(n[:2], set()).add(len(n))
    return {start: tuple(sorted(found, reverse=True)) for start, found in lengths.items()}


def split_regions(name: str) -> tuple[tuple[str, ...], str]:
    """The leading region names of the name key (as short forms) and what follows them (only while
    three characters are left).

    Looked up by prefix length, longest first, among the lengths of the region names that start with
    the same two characters: a dictionary look-up or three per name, not one comparison per division.

    >>> split_regions("北京市大兴区第十四中学")
    (('北京', '大兴'), '第十四中学')
    """
    return _split_key(name_key(name))


def _split_key(key: str) -> tuple[tuple[str, ...], str]:
    # One position moves along the key (no copy of what is left per region found): linear in the key's
    # length, however many region names it repeats.
    known, starts = _region_names(), _region_starts()
    found: list[str] = []
    at, size = 0, len(key)
    while lengths := starts.get(key[at:at + 2]):
        for n in lengths:
            if size - at - n >= 3 and key[at:at + n] in known:
                found.append(known[key[at:at + n]])
                at += n
                break
        else:
            break
    return tuple(found), key[at:] if at else key


def core_key(name: str) -> str:
    """The name key without its leading region names (only while something is left)."""
    return split_regions(name)[1]


class _Initials(dict[int, str]):
    """A ``str.translate`` table that learns: character → its pinyin initial ("" for signs)."""

    def __missing__(self, char: int) -> str:
        # pypinyin loads its phrase dictionaries on import (~0.2 s): only when a name needs them, not
        # with every command that imports this module.
        from pypinyin import Style, lazy_pinyin

        part = lazy_pinyin(chr(char), style=Style.FIRST_LETTER, errors="default")
        letter = "".join(part).upper()
        self[char] = letter if _LETTERS.match(letter) else ""
        return self[char]


_INITIALS = _Initials()


class _Pinyin(dict[int, str]):
    """A ``str.translate`` table that learns: character → its full pinyin, upper case ("" for signs)."""

    def __missing__(self, char: int) -> str:
        from pypinyin import Style, lazy_pinyin

        part = "".join(lazy_pinyin(chr(char), style=Style.NORMAL, errors="default")).upper()
        self[char] = part if _LETTERS.match(part) else ""
        return self[char]


_PINYIN = _Pinyin()


def pinyin(name: str) -> str:
    """The full pinyin of the name key, without tones or spaces; letters and digits kept, other signs
    dropped. Each character is read alone (its most common reading), as the initials are."""
    return name_key(name).translate(_PINYIN)


def _local(key: str) -> str:
    """The key after its first leading region name (the key itself when it starts with none)."""
    regions, core = _split_key(key)
    if len(regions) < 2:
        return core
    known, starts = _region_names(), _region_starts()
    for n in starts.get(key[:2], ()):
        if len(key) - n >= 3 and key[:n] in known:
            return key[n:]
    return key  # pragma: no cover - a key that starts with regions starts with one


def initials(name: str) -> str:
    """Pinyin initials of the name key; letters and digits kept, other signs dropped. One
    ``translate`` through a table that learns each character once, so a million names take seconds."""
    return _key_initials(name_key(name))


def _key_initials(key: str) -> str:
    return key.translate(_INITIALS)


def _body(key: str) -> str:
    for ending in _ENDINGS:
        if key.endswith(ending) and len(key) > len(ending):
            return key[: -len(ending)]
    return key


def grams(key: str) -> set[str]:
    """Character pairs of the key's letters, digits and ideographs, company form left out (one
    character: itself). Signs are left out, so a database's tokenizer keeps each pair whole."""
    return set(_pairs(key))


def _pairs(key: str) -> tuple[str, ...]:
    """:func:`grams` in the order they first occur in the key."""
    body = _SIGNS.sub("", _body(key))
    if len(body) < 2:
        return (body,) if body else ()
    return tuple(dict.fromkeys(map(operator.add, body, body[1:])))


@dataclass(frozen=True)
class Query:
    """A query in every form it is looked up by."""

    text: str
    key: str
    core: str
    code: str | None  # the query as a code prefix, when it can be one
    letters: str | None  # the query as pinyin initials, when it can be
    grams: frozenset[str]
    regions: tuple[str, ...] = ()  # the regions the query starts with (short forms)


def query(text: str) -> Query:
    key = name_key(text)
    regions, core = split_regions(text)
    return Query(text, key, core, key if _USCC_CHARS.match(key) else None,
                 key if _LETTERS.match(key) and any(c.isalpha() for c in key) else None,
                 frozenset(grams(core)), regions)


def _region_fit(asked: tuple[str, ...], named: tuple[str, ...]) -> float:
    """The score of a name equal to the query once both lose their regions: higher when the name is
    in the regions the query names (大兴 → 北京市大兴区…), lower when it is somewhere else (保定市…)."""
    if not asked or not named:
        return 0.97
    return 0.99 if set(asked) <= set(named) else 0.93


@dataclass(frozen=True)
class Keys:
    """The keys of one name, as the library stores them (a row of ``organization_search``)."""

    name_key: str
    core_key: str
    initials: str
    core_initials: str
    pinyin: str = ""
    local_pinyin: str = ""  #: the pinyin of the name after its first region


@dataclass(frozen=True)
class Former:
    """The keys of a name an organization carried before (a row of ``organization_search_former``)."""

    name_key: str
    core_key: str


def former(name: str) -> Former:
    """
    >>> former("北京市大兴区某某机械厂")
    Former(name_key='北京市大兴区某某机械厂', core_key='某某机械厂')
    """
    key = name_key(name)
    return Former(key, _split_key(key)[1])


def keys(name: str) -> Keys:
    """
    >>> keys("石家庄某某机械有限责任公司")  # doctest: +NORMALIZE_WHITESPACE
    Keys(name_key='石家庄某某机械有限公司', core_key='某某机械有限公司', initials='SJZMMJXYXGS', core_initials='MMJXYXGS',
         pinyin='SHIJIAZHUANGMOUMOUJIXIEYOUXIANGONGSI', local_pinyin='MOUMOUJIXIEYOUXIANGONGSI')
    """
    key = name_key(name)
    core = _split_key(key)[1]
    return Keys(key, core, _key_initials(key), _key_initials(core), key.translate(_PINYIN),
                _local(key).translate(_PINYIN))


def score(q: Query, code: str, name: str, former_names: Sequence[str] = ()) -> tuple[float, str]:
    """How well ``name`` (of ``code``, formerly ``former_names``) answers ``q``: a score from 0 to 1
    and the kind of match.

    >>> score(query("daxing"), "X", "北京市大兴区第十四中学"), score(query("某某机械"), "X", "保定新名有限公司", ["石家庄某某机械厂"])
    ((0.6322, 'pinyin'), (0.83, 'former_name'))
    """
    return score_keys(q, code, keys(name), [former(n) for n in former_names])


def score_keys(q: Query, code: str, k: Keys, formers: Sequence[Former] = ()) -> tuple[float, str]:
    """:func:`score` from the stored keys of the name, which the search ranks by (no name is
    normalized again at query time). A former name scores a little below the same match on the
    current name: the current name, when it answers as well, comes first."""
    best = _score_name(q, code, k)
    for f in formers:
        if q.key == f.name_key:
            found = (0.9, "former_name")
        elif q.core == f.core_key:
            found = (0.88, "former_name")
        elif f.name_key.startswith(q.key) or f.core_key.startswith(q.core):
            whole = f.core_key if f.core_key.startswith(q.core) else f.name_key
            found = (round(0.75 + 0.1 * len(q.core) / max(len(whole), 1), 4), "former_name")
        else:
            continue
        best = max(best, found)
    return best


def _score_name(q: Query, code: str, k: Keys) -> tuple[float, str]:
    key, core = k.name_key, k.core_key
    if q.code and code == q.code:
        return 1.0, "code"
    if key == q.key:
        return 1.0, "exact"
    if core == q.core:
        return _region_fit(q.regions, _split_key(key)[0]), "exact_without_region"
    best = (0.0, "fuzzy")
    if q.code and code.startswith(q.code):
        best = max(best, (round(0.8 + 0.1 * len(q.code) / 18, 4), "code"))
    for whole in (key, core):
        if whole.startswith(q.core) or whole.startswith(q.key):
            best = max(best, (round(0.8 + 0.15 * len(q.core) / len(whole), 4), "prefix"))
    if q.letters:
        for letters in (k.initials, k.core_initials):
            if letters == q.letters:
                best = max(best, (0.85, "initials"))
            elif letters.startswith(q.letters):
                best = max(best, (round(0.6 + 0.2 * len(q.letters) / len(letters), 4), "initials"))
        for letters in (k.pinyin, k.local_pinyin):
            if letters == q.letters:
                best = max(best, (0.84, "pinyin"))
            elif letters.startswith(q.letters):
                best = max(best, (round(0.58 + 0.2 * len(q.letters) / len(letters), 4), "pinyin"))
    similar = round(0.8 * fuzz.ratio(_body(q.core), _body(core)) / 100, 4)
    if similar >= FUZZY_FLOOR and similar > best[0]:
        best = (similar, "fuzzy")
    return best


@dataclass(frozen=True)
class IndexEntry:
    """What the library stores for one organization: its keys (a row of ``organization_search``)
    and the character pairs of its name without the region (what a fuzzy query is compared by)."""

    keys: dict[str, str]
    grams: frozenset[str]


def index_entry(code: str, name: str) -> IndexEntry:
    """
    >>> index_entry("913501007000000001", "石家庄某某机械有限公司").keys["core_initials"]
    'MMJXYXGS'
    """
    key = name_key(name)
    core = _split_key(key)[1]
    pairs = _pairs(core)
    letters = _key_initials(key)
    # Initials go character by character, so those of the name without its region end those of the name.
    core_letters = letters[len(_key_initials(key[:len(key) - len(core)])):] if core != key else letters
    full = key.translate(_PINYIN)
    local = _local(key)
    local_full = full[len(key[:len(key) - len(local)].translate(_PINYIN)):] if local != key else full
    return IndexEntry({"uscc": code, "name_key": key, "core_key": core, "initials": letters,
                       "core_initials": core_letters, "grams": " ".join(pairs), "pinyin": full,
                       "local_pinyin": local_full}, frozenset(pairs))
