"""The public credit information catalogue: items as data, editions by year (the diff of two is
core/credit/catalogue_diff.py).

Every item states the twelve attributes the Hebei Regulations (Art. 11) require — directory code,
provider, item name, data format, right to use, collection scope, collection procedure, collection
path, collection time limit, publication method, update period, security level — plus what the
platform acts on: kind, subject types, legal basis, the record layout, the disclosure mode, the
severity classes a negative item allows and its publication period rules by severity.

An edition is one year's catalogue: ``draft`` → ``comment`` (public comment period) → ``approved``
→ ``published``, after which it never changes. The state lives in the database
(services/credit/catalogue.py); the rules of each step are here, pure.

>>> item = default_items()[0]
>>> item.code, item.kind, item.security_level
('JJJ-01-001', 'basic', 1)
>>> change_item(item, {"update_period": "每周"}).update_period
'每周'
>>> require_status(2026, "published", ("draft", "comment"), "change an item")
Traceback (most recent call last):
...
jjjcredit.core.credit.catalogue.CatalogueError: The 2026 edition is published and never changes; a change asked for now goes to the 2027 draft.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jjjcredit.core.codes.personal import personal_in, shown_personal
from jjjcredit.core.credit import columns
from jjjcredit.core.errors import Error
from jjjcredit.core.library import names

#: The twelve statutory attributes, in the order the regulation lists them: name in code → (Chinese, English).
STATUTORY: dict[str, tuple[str, str]] = {
    "code": ("目录编码", "directory code"),
    "provider": ("提供单位", "provider"),
    "name": ("信息事项名称", "item name"),
    "data_format": ("数据格式", "data format"),
    "right_to_use": ("使用权限", "right to use"),
    "collection_scope": ("归集范围", "collection scope"),
    "collection_procedure": ("归集程序", "collection procedure"),
    "collection_path": ("归集路径", "collection path"),
    "collection_time_limit": ("归集时限", "collection time limit"),
    "publication_method": ("公开方式", "publication method"),
    "update_period": ("更新周期", "update period"),
    "security_level": ("安全等级", "security level"),
}
#: What the platform adds to act on an item.
PLATFORM: dict[str, tuple[str, str]] = {
    "kind": ("信息类别", "kind"),
    "subject_types": ("主体类型", "subject types"),
    "legal_basis": ("法律依据", "legal basis"),
    "disclosure_mode": ("共享公开属性", "disclosure mode"),
    "severities": ("失信严重程度", "severity classes"),
    "contested": ("争议较大或社会影响较大", "contested or large social impact"),
    "fields": ("数据项", "record layout"),
    "period_rules": ("公示期限", "publication periods"),
}
KINDS = ("basic", "negative", "positive", "other")
SUBJECT_TYPES = ("organization", "individual_business", "natural_person")
DISCLOSURE_MODES = ("public_disclosure", "authorized_query", "government_sharing")
SEVERITIES = ("minor", "general", "serious")
SECURITY_LEVELS = (1, 2, 3)
#: An edition's states, in order.
STATUSES = ("draft", "comment", "approved", "published")
#: The states in which an edition is open to everyone (a draft is seen only by those who compile it).
PUBLIC_STATUSES = ("comment", "approved", "published")
#: Attributes a change may set (everything but the code: an item is withdrawn and another added instead).
CHANGEABLE = tuple(a for a in (*STATUTORY, *PLATFORM) if a != "code")


class CatalogueError(Error):
    """A catalogue step refused; ``code`` is one of ``catalogue.*`` (docs/errors.md)."""


@dataclass(frozen=True)
class Field:
    """One field of an item's record layout: its name as providers write it, the data element it
    holds (a national column code such as ``CF_WSH`` or a library element), and its bounds."""

    name: str
    element: str
    required: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class PeriodRule:
    """How long a record of ``severity`` stays published, in months from the decision date, for
    decisions from ``applies_from`` on (until a later rule of the same severity applies); and how long
    it then stays in government sharing.

    ``sharing_months`` counts from the end of the public window (the decision date plus
    ``max_months``), not from the decision: a record leaves public view, is archived and stays shared
    among government departments that many months more, then leaves government sharing (and every
    authorized query) too; the platform's staff and the subject itself still see it — a record is
    archived, never deleted. Counting from the end of the window keeps the two periods apart: a
    sharing period can never end before publication does, and one figure holds for every severity
    whatever its maximum. ``None``: no end (an edition stored before the attribute existed reads so).
    ``sharing_source`` says where the figure comes from."""

    severity: str
    min_months: int
    max_months: int
    applies_from: datetime.date
    source: str
    sharing_months: int | None = None
    sharing_source: str = ""


#: The provincial rule set of the 2017 era (domain.md §4): every negative record at most 5 years,
#: whatever its class. Those texts count from the end of the conduct; the platform counts every
#: period from the decision date (the date it holds), so this ceiling is the one a provider's data
#: can be held to. Kept beside the national rules for decisions taken while it was the rule.
PROVINCIAL_2017_SOURCE = ("Provincial rules of the 2017 era (Shanghai, Zhejiang, Henan, Shandong): at most 5 years, "
                          "counted there from the end of the conduct; Hebei Regulations adopted 2017-09-28, their "
                          "own period unconfirmed")
#: How long a record stays in government sharing after its public window, by default: 5 years. No text
#: found gives a figure for sharing after publication ends (domain.md §4 and §7.3 speak of archiving,
#: not of an end), so this one is the platform's own, labelled as such in every default rule
#: (:data:`PLATFORM_SHARING_SOURCE`); a deployment sets its own in each item's period rules.
PLATFORM_SHARING_MONTHS = 60
PLATFORM_SHARING_SOURCE = ("Platform default, no source text: shared among government departments 5 years after the "
                           "public window ends; a setting of each item's period rules")
#: Sourced defaults (domain.md §4, §7.3), a setting per item (its ``period_rules``): the provincial
#: 5-year rule set from 2017-09-28 (the Hebei Regulations' adoption; the day they came into force is
#: unconfirmed), Credit China's pre-2025 rule, the State Council's 2025 plan (国办发〔2025〕22号) and
#: NDRC Order No. 36 in force 2026-04-01. The rule in force for a decision is the one of its severity
#: with the latest ``applies_from`` not after the decision date (:func:`period_rule`). Each keeps a
#: record in government sharing :data:`PLATFORM_SHARING_MONTHS` after its public window.
_SHARING = (PLATFORM_SHARING_MONTHS, PLATFORM_SHARING_SOURCE)
_CREDIT_CHINA = "Credit China rule before 2025 (unconfirmed start)"
DEFAULT_PERIOD_RULES: tuple[PeriodRule, ...] = (
    PeriodRule("minor", 0, 60, datetime.date(2017, 9, 28), PROVINCIAL_2017_SOURCE, *_SHARING),
    PeriodRule("general", 0, 60, datetime.date(2017, 9, 28), PROVINCIAL_2017_SOURCE, *_SHARING),
    PeriodRule("serious", 0, 60, datetime.date(2017, 9, 28), PROVINCIAL_2017_SOURCE, *_SHARING),
    PeriodRule("general", 3, 12, datetime.date(2019, 7, 1), _CREDIT_CHINA, *_SHARING),
    PeriodRule("serious", 6, 36, datetime.date(2019, 7, 1), _CREDIT_CHINA, *_SHARING),
    PeriodRule("minor", 0, 3, datetime.date(2025, 6, 22), "国办发〔2025〕22号", *_SHARING),
    PeriodRule("general", 3, 12, datetime.date(2025, 6, 22), "国办发〔2025〕22号", *_SHARING),
    PeriodRule("serious", 12, 36, datetime.date(2025, 6, 22), "国办发〔2025〕22号", *_SHARING),
    PeriodRule("minor", 0, 3, datetime.date(2026, 4, 1), "NDRC Order No. 36 (2025)", *_SHARING),
    PeriodRule("general", 3, 12, datetime.date(2026, 4, 1), "NDRC Order No. 36 (2025)", *_SHARING),
    PeriodRule("serious", 12, 36, datetime.date(2026, 4, 1), "NDRC Order No. 36 (2025)", *_SHARING),
)


@dataclass(frozen=True)
class Item:
    """One catalogue item: the twelve statutory attributes, then the platform's."""

    code: str
    provider: str
    name: str
    data_format: str
    right_to_use: str
    collection_scope: str
    collection_procedure: str
    collection_path: str
    collection_time_limit: str
    publication_method: str
    update_period: str
    security_level: int
    kind: str
    subject_types: tuple[str, ...]
    legal_basis: str
    disclosure_mode: str
    fields: tuple[Field, ...] = ()
    severities: tuple[str, ...] = ()
    period_rules: tuple[PeriodRule, ...] = ()
    contested: bool = False

    @property
    def says_severity(self) -> bool:
        """Whether each record of the item says its severity class (失信严重程度): a negative item allowing several,
        whose records' publication periods follow the class — its layout holds the field, its files the column."""
        return self.kind == "negative" and len(self.severities) > 1


def _bad(message: str, field: str | None = None) -> CatalogueError:
    return CatalogueError("catalogue.item", message, field=field)


def _text(data: Mapping[str, Any], key: str, code: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        label = STATUTORY.get(key, PLATFORM.get(key, (key, key)))[1]
        if value is not None and not isinstance(value, str):
            shown = json.dumps(value, ensure_ascii=False)[:40]
            raise _bad(f'Item "{code}": the {label} ({key}) is {shown}, not text; '
                       "expected words (on the command line a value that reads as a number or true is taken as one: "
                       f"write it as a JSON string, --set '{key}=\"…\"').", key)
        raise _bad(f'Item "{code}": the {label} ({key}) is missing or empty; every item states it.', key)
    return value.strip()


def _choices(values: Any, allowed: Sequence[str], key: str, code: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(values, list | tuple):
        raise _bad(f'Item "{code}": {key} is a list of {", ".join(allowed)}.', key)
    for v in values:
        if v not in allowed:
            raise _bad(f'Item "{code}": {key} "{v}" is not one of {", ".join(allowed)}.', key)
    return tuple(sorted(set(values), key=list(allowed).index))


def _date(value: Any, code: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise _bad(f'Item "{code}": a period rule applies from "{value}", not a date (YYYY-MM-DD).',
                   "period_rules") from None


#: An item's update period → the days within which its provider is expected to send something.
#: What the timeliness report (``credit timeliness``, /metrics) calls silent, and its flags — its legend, and
#: docs/credit.md's.
TIMELINESS_LEGEND = (
    "SILENT: no batch that recorded something, or reported none (a header only), within the item's update period "
    "(实时/每日 1 day, 每周 7, 每月 31, 每季度 92, 每半年 183, 每年 366), judged on Beijing's day. A batch whose every row "
    "was rejected is no update: it is flagged ALL REJECTED (JSON last_batch_all_rejected, with last_batch_rows "
    "and last_batch_rejected), and silence counts from the last batch that recorded (last_recorded) — a provider "
    "whose every batch was rejected whole is silent from the start. RETIRED and WITHDRAWN pairs are never silent.")
UPDATE_PERIODS: dict[str, int] = {"实时": 1, "每日": 1, "每周": 7, "每月": 31, "每季度": 92, "每半年": 183, "每年": 366}
_WORKING_DAYS = re.compile(r"([0-9]+|[一二两三四五六七八九十]+)\s*个?\s*工作日")
_NUMERALS = {c: n for n, c in enumerate("零一二三四五六七八九", start=0)} | {"两": 2}


def collection_days(limit: str) -> int | None:
    """The working days a collection time limit allows, in figures or Chinese numerals (up to 99).

    >>> collection_days("作出决定之日起 7 个工作日内"), collection_days("作出决定之日起五个工作日内")
    (7, 5)
    >>> collection_days("十五个工作日"), collection_days("二十个工作日"), collection_days("每月10日前")
    (15, 20, None)
    """
    m = _WORKING_DAYS.search(limit)
    if m is None:
        return None
    text = m.group(1)
    if text.isdigit():
        return int(text)
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return _NUMERALS[text] if len(text) == 1 else None
    value = (_NUMERALS.get(tens, 0) if tens else 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)
    return value if len(tens) <= 1 and len(ones) <= 1 else None


#: The security levels each disclosure mode goes with: what is disclosed to the public is of level 1
#: (public); what is shared between departments or queried with the subject's authorization is not.
LEVELS_OF_MODE: dict[str, tuple[int, ...]] = {"public_disclosure": (1,), "government_sharing": (2, 3),
                                              "authorized_query": (2, 3)}


def level_disagreement(item: Item) -> str | None:
    """Why an item's security level and disclosure mode contradict each other (the public shown what
    is restricted, or public data kept from the public), or ``None`` when they agree.

    >>> level_disagreement(default_item("JJJ-03-001")) is None
    True
    >>> print(level_disagreement(change_item(default_item("JJJ-03-001"), {"security_level": 3})))
    Item "JJJ-03-001": disclosure mode public_disclosure (public disclosure) goes with security level 1, not 3 (a change of one sets the other with it).
    """
    allowed = LEVELS_OF_MODE[item.disclosure_mode]
    if item.security_level in allowed:
        return None
    return (f'Item "{item.code}": disclosure mode {item.disclosure_mode} ({item.disclosure_mode.replace("_", " ")}) '
            f'goes with security level {" or ".join(map(str, allowed))}, not {item.security_level} (a change of one '
            "sets the other with it).")


def check_actionable(item: Item) -> None:
    """Refuse an item added or changed that the platform cannot act on: its security level contradicts its
    disclosure mode (:func:`level_disagreement`), its collection time limit names no count of working days
    (lateness could never be judged), its update period is not one the timeliness report knows (silence could
    never be judged), its layout has no document number (no record could be taken), or a severity class it
    allows has no publication period rule (no record of it could be disclosed)."""
    level = level_disagreement(item)
    if level is not None:
        raise _bad(level, "security_level")
    if item.kind == "basic":
        return
    if collection_days(item.collection_time_limit) is None:
        raise _bad(f'Item "{item.code}": the collection time limit "{item.collection_time_limit}" names no count of '
                   "working days, so lateness could never be judged; expected a limit such as 作出决定之日起 7 个"
                   "工作日内 (figures or 五, 十五 …).", "collection_time_limit")
    if item.update_period not in UPDATE_PERIODS:
        raise _bad(f'Item "{item.code}": the update period "{item.update_period}" is not one the timeliness report '
                   f"knows, so a silent provider could never be found; expected one of {'、'.join(UPDATE_PERIODS)}.",
                   "update_period")
    if not any((c := columns.COLUMNS.get(f.element)) is not None and c.role == "document_number" for f in item.fields):
        raise _bad(f'Item "{item.code}": its record layout has no field that holds the document number identifying a '
                   "record (行政处罚决定书文号 CF_WSH, 行政许可决定文书号 XK_WSH …), so no file could ever be taken under "
                   "it; expected the item's fields, one of them its document number.", "fields")
    if item.says_severity and not any(f.element == "XY_YZCD" for f in item.fields):
        raise _bad(f'Item "{item.code}": it allows {columns.severity_names(item.severities)} but its record layout has '
                   "no 失信严重程度 (XY_YZCD) field to say which, so no record's publication period could be set; "
                   "expected the field in the layout.", "fields")
    unruled = [s for s in item.severities if not any(r.severity == s for r in item.period_rules)]
    if unruled:
        raise _bad(f'Item "{item.code}": no publication period rule for {columns.severity_names(unruled)}, so a record '
                   "of that class could never be published or withdrawn on time; expected a rule (severity, "
                   "min_months, max_months, applies_from, source) for each severity class the item allows.",
                   "period_rules")


#: The longest ``max_length`` a layout field given as input may state.
FIELD_CHARS = 100_000
#: A directory code: letters, digits and ``-``, ``_`` or ``.`` between them (it names the item in a URL, an
#: IRI of the DCAT export and a file's summary), at most 64 characters.
CODE_PATTERN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?")


def shown_code(code: str) -> str:
    r"""A directory code as a refusal echoes it: in double quotes, any personal number masked, cut at 80
    characters, each character that does not show as itself (a control, a direction override) escaped — and,
    when it is no directory code at all, what one is.

    >>> print(shown_code("JJJ-99-001"))
    "JJJ-99-001"
    >>> print(shown_code("JJJ-99\u202e-001"))
    "JJJ-99\u202e-001" (a directory code is letters and digits, with -, _ or . between them, such as JJJ-03-001)
    """
    text = shown_personal(code[:80]) + ("…" if len(code) > 80 else "")
    text = "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)
    expected = "" if CODE_PATTERN.fullmatch(code) else \
        " (a directory code is letters and digits, with -, _ or . between them, such as JJJ-03-001)"
    return f'"{text}"{expected}'


#: The most characters an item's text attribute, a layout field's name or a comment holds (a cell of
#: the XLSX export holds at most 32,767).
TEXT_CHARS = 4_000
#: Characters no text of the catalogue holds: control characters other than tab and line breaks (the XLSX
#: export cannot write them; a terminal or a page would act on them), lone surrogates, and the marks that
#: reverse the direction text is shown in (a name could then read as another).
_UNSHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def check_text(value: str, what: str, field: str | None = None, limit: int = TEXT_CHARS,
               error: str = "catalogue.item", *, personal: bool = False) -> str:
    """``value`` when it is text the catalogue can keep and publish; else ``error`` naming ``what`` (never
    echoing a personal number). ``personal``: an identity or mobile number may be in it (a commenter's own,
    for the staff to answer them; shown masked to everyone else).

    >>> check_text("联系人 138 1234 5678", "The reason", "reason")
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: The reason holds what looks like a resident identity number or a mobile phone number: the catalogue and its changes are published and never hold one; expected none (a department's telephone with its area code is fine).
    """
    if len(value) > limit:
        raise CatalogueError(error, f"{what} holds {len(value):,} characters; at most {limit:,} are kept.", field=field)
    if not personal and personal_in(value):
        raise CatalogueError(error, f"{what} holds what looks like a resident identity number or a mobile phone "
                             "number: the catalogue and its changes are published and never hold one; expected none "
                             "(a department's telephone with its area code is fine).", field=field)
    found = _UNSHOWN.search(value)
    hidden = names.unseen(value) if found is None else (found.start(), found.group())
    if hidden is not None:
        where = f"U+{ord(hidden[1]):04X} at position {hidden[0] + 1}"
        raise CatalogueError(error, f"{what} holds the character {where}, which cannot be published (a control "
                             "character, or one that does not show: a zero width, a joiner, a direction mark); "
                             "expected plain text (tabs and line breaks are kept).", field=field)
    return value


def check_input(data: Mapping[str, Any], code: str | None = None) -> None:
    """What an item given as input (added, or ``data`` set on item ``code``) must be beyond what
    :func:`item_from_dict` checks — not asked of items already kept, which are read as they are: a
    directory code of :data:`CODE_PATTERN`; texts of at most :data:`TEXT_CHARS` plain characters; a layout
    field's ``required`` true or false (not a word) and, outside the basic item, its element a column the
    platform knows (core/credit/columns.py)."""
    code = str(data.get("code") or code or "").strip()
    if "code" in data and personal_in(code):
        raise _bad("The directory code holds what looks like an identity or mobile number, which is never "
                   "published: expected letters and digits such as JJJ-03-001.", "code")
    if "code" in data and not CODE_PATTERN.fullmatch(code):
        raise _bad(f'The directory code "{code[:80]}" is not one: expected letters and digits, with -, _ or . between '
                   "them, at most 64 characters (such as JJJ-03-001).", "code")
    for key, value in data.items():
        if isinstance(value, str):
            check_text(value, f'Item "{code}": {key}', key)
    for rule in data.get("period_rules") or ():
        for key, value in rule.items() if isinstance(rule, Mapping) else ():
            if isinstance(value, str):
                check_text(value, f'Item "{code}": a period rule\'s {key}', "period_rules", 1_000)
    for f in data.get("fields") or ():
        if not isinstance(f, Mapping):
            continue
        for key in ("name", "element"):
            if isinstance(f.get(key), str):
                check_text(f[key], f'Item "{code}": a layout field\'s {key}', "fields", 200)
        length = f.get("max_length")
        if isinstance(length, int) and not isinstance(length, bool) and length > FIELD_CHARS:
            raise _bad(f'Item "{code}": field "{f.get("name")}" has max_length {length:,}; at most {FIELD_CHARS:,} '
                       "characters (a cell of a file holds fewer).", "fields")
        if "required" in f and not isinstance(f["required"], bool):
            raise _bad(f'Item "{code}": field "{f.get("name")}" has required "{f["required"]}"; expected true or '
                       "false.", "fields")
        if data.get("kind") != "basic" and f.get("element") is not None and f["element"] not in columns.COLUMNS:
            raise _bad(f'Item "{code}": field "{f.get("name")}" names the element "{f["element"]}", which is no column '
                       "the platform knows; expected a column code such as CF_XDR_MC (docs/credit.md lists them).",
                       "fields")


#: The most fields a record layout may have: the national layouts have fewer than 40, and the whole layout is
#: one cell of the XLSX export, which Excel caps at 32,767 characters (200 fields of ~100 characters each).
MAX_FIELDS = 200


def item_from_dict(data: Mapping[str, Any]) -> Item:
    """An item from its plain form (YAML, JSON, a database row), every attribute checked.

    >>> item_from_dict({**item_to_dict(default_items()[0]), "kind": "bad"})
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: Item "JJJ-01-001": kind "bad" is not one of basic, negative, positive, other.
    """
    code = str(data.get("code") or "").strip()
    if not code:
        raise _bad("An item needs a directory code (code).", "code")
    unknown = set(data) - set(STATUTORY) - set(PLATFORM)
    if unknown:
        raise _bad(f'Item "{code}": unknown attribute(s) {", ".join(sorted(unknown))}; the attributes are '
                   f'{", ".join([*STATUTORY, *PLATFORM])}.', sorted(unknown)[0])
    texts = {k: _text(data, k, code) for k in (*STATUTORY, "legal_basis") if k not in ("code", "security_level")}
    level = data.get("security_level")
    if isinstance(level, str) and level.strip().isdigit():
        level = int(level)
    if level not in SECURITY_LEVELS or isinstance(level, bool):
        raise _bad(f'Item "{code}": security level "{level}" is not 1, 2 or 3.', "security_level")
    kind = data.get("kind")
    if kind not in KINDS:
        raise _bad(f'Item "{code}": kind "{kind}" is not one of {", ".join(KINDS)}.', "kind")
    mode = data.get("disclosure_mode")
    if mode not in DISCLOSURE_MODES:
        raise _bad(f'Item "{code}": disclosure mode "{mode}" is not one of {", ".join(DISCLOSURE_MODES)}.',
                   "disclosure_mode")
    subjects = _choices(data.get("subject_types", ()), SUBJECT_TYPES, "subject_types", code)
    if not subjects:
        raise _bad(f'Item "{code}": name at least one subject type ({", ".join(SUBJECT_TYPES)}).', "subject_types")
    severities = _choices(data.get("severities") or (), SEVERITIES, "severities", code)
    if severities and kind != "negative":
        raise _bad(f'Item "{code}": severity classes belong to negative items only, not to a {kind} item.',
                   "severities")
    given = data.get("fields") or ()
    if len(given) > MAX_FIELDS:
        raise _bad(f'Item "{code}": the record layout has {len(given)} fields; at most {MAX_FIELDS} are allowed (the '
                   "national layouts have fewer than 40, and a layout is one cell of the catalogue's sheet).", "fields")
    fields = tuple(_field(f, code) for f in given)
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise _bad(f'Item "{code}": the record layout names a field twice.', "fields")
    rules = tuple(_rule(r, code) for r in data.get("period_rules") or ())
    for r in rules:
        if r.severity not in severities:
            raise _bad(f'Item "{code}": a period rule for "{r.severity}", a severity the item does not allow '
                       f'({", ".join(severities) or "none"}).', "period_rules")
    contested = data.get("contested", False)
    if not isinstance(contested, bool):
        raise _bad(f'Item "{code}": contested is true or false.', "contested")
    return Item(code=code, security_level=int(level), kind=str(kind), subject_types=subjects,
                disclosure_mode=str(mode), fields=fields, severities=severities,
                period_rules=tuple(sorted(rules, key=lambda r: (SEVERITIES.index(r.severity), r.applies_from))),
                contested=contested, **texts)


def _field(data: Any, code: str) -> Field:
    if not isinstance(data, Mapping) or not data.get("name") or not data.get("element"):
        raise _bad(f'Item "{code}": a layout field needs a name and an element.', "fields")
    length = data.get("max_length")
    if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 1):
        raise _bad(f'Item "{code}": field "{data["name"]}" has max_length "{length}", expected a whole number '
                   "of at least 1.", "fields")
    return Field(str(data["name"]), str(data["element"]), bool(data.get("required", False)), length)


#: What a period rule states, as its plain form names it.
RULE_ATTRIBUTES = ("severity", "min_months", "max_months", "applies_from", "source", "sharing_months",
                   "sharing_source")


def _rule(data: Any, code: str) -> PeriodRule:
    shape = (f'Item "{code}": a period rule is severity, min_months, max_months, applies_from, source, and '
             "optionally sharing_months and sharing_source.")
    if not isinstance(data, Mapping):
        raise _bad(shape, "period_rules")
    unknown = sorted(set(data) - set(RULE_ATTRIBUTES))
    if unknown:
        raise _bad(f'Item "{code}": a period rule with unknown attribute(s) {", ".join(unknown)}; the attributes '
                   f'are {", ".join(RULE_ATTRIBUTES)}.', "period_rules")
    try:
        low, high = int(data["min_months"]), int(data["max_months"])
        rule = PeriodRule(str(data["severity"]), low, high, _date(data["applies_from"], code),
                          str(data.get("source") or ""), _sharing_months(data.get("sharing_months"), code),
                          str(data.get("sharing_source") or ""))
    except (KeyError, TypeError, ValueError):
        raise _bad(shape, "period_rules") from None
    if not 0 <= low <= high:
        raise _bad(f'Item "{code}": a period of {low} to {high} months; expected 0 ≤ minimum ≤ maximum.',
                   "period_rules")
    return rule


def _sharing_months(value: Any, code: str) -> int | None:
    """A rule's months of government sharing after the public window: ``None`` (no end) or a whole
    number of at least 0 (0: sharing ends with the public window)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _bad(f'Item "{code}": a period rule shares records "{value}" months after the public window; '
                   "expected a whole number of at least 0, or null for no end.", "period_rules")
    return value


def item_to_dict(item: Item) -> dict[str, Any]:
    """The plain form of an item (JSON-ready; the inverse of :func:`item_from_dict`).

    >>> item_from_dict(item_to_dict(default_items()[4])) == default_items()[4]
    True

    A period rule stored before rules had a sharing period reads as sharing without end:

    >>> old = item_to_dict(default_item("JJJ-02-001"))
    >>> old["period_rules"] = [{k: v for k, v in r.items() if not k.startswith("sharing_")}
    ...                        for r in old["period_rules"]]
    >>> item_from_dict(old).period_rules[-1].sharing_months is None
    True
    """
    out = dataclasses.asdict(item)
    out["subject_types"] = list(item.subject_types)
    out["severities"] = list(item.severities)
    out["fields"] = [dataclasses.asdict(f) for f in item.fields]
    out["period_rules"] = [{**dataclasses.asdict(r), "applies_from": r.applies_from.isoformat()}
                           for r in item.period_rules]
    return out


def change_item(item: Item, values: Mapping[str, Any]) -> Item:
    """The item with ``values`` set (checked as a new item is); the code cannot change.

    >>> change_item(default_items()[0], {"code": "X"})
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: Item "JJJ-01-001": the directory code never changes; withdraw the item and add one under the new code.
    """
    if "code" in values and values["code"] != item.code:
        raise _bad(f'Item "{item.code}": the directory code never changes; withdraw the item and add one under '
                   "the new code.", "code")
    if not values:
        raise _bad(f'Item "{item.code}": nothing to change; name an attribute and its new value.')
    check_input({"kind": item.kind, **values}, item.code)
    return item_from_dict({**item_to_dict(item), **values})


def period_rule(item: Item, severity: str, decided_on: datetime.date) -> PeriodRule:
    """The publication period rule of ``item`` for a ``severity`` decision taken on ``decided_on``:
    the rule of that severity with the latest ``applies_from`` not after the date.

    >>> penalty = items_by_code(default_items())["JJJ-03-001"]
    >>> period_rule(penalty, "serious", datetime.date(2024, 5, 1)).max_months
    36
    >>> period_rule(penalty, "serious", datetime.date(2026, 5, 1)).source
    'NDRC Order No. 36 (2025)'
    >>> period_rule(penalty, "minor", datetime.date(2018, 3, 1)).max_months  # the provincial 5-year rule
    60
    >>> period_rule(penalty, "serious", datetime.date(2026, 5, 1)).sharing_months  # the platform's default
    60
    >>> period_rule(penalty, "minor", datetime.date(2017, 9, 27))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: Item "JJJ-03-001" has no publication period for severity 轻微 (minor) ...
    """
    rules = [r for r in item.period_rules if r.severity == severity and r.applies_from <= decided_on]
    if rules and severity in item.severities:
        return max(rules, key=lambda r: r.applies_from)
    shown = columns.severity_names((severity,)) if severity in SEVERITIES else \
        '"' + "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in shown_personal(severity[:40])) + '"'
    if severity not in item.severities:
        raise CatalogueError("catalogue.severity", f'Item "{item.code}" allows the severity classes '
                             f'{columns.severity_names(item.severities) or "(none)"}, not {shown}.', field="severity")
    raise CatalogueError("catalogue.severity", f'Item "{item.code}" has no publication period for severity '
                         f"{shown} for decisions of {decided_on.isoformat()}.", field="severity")


def items_by_code(items: Iterable[Item]) -> dict[str, Item]:
    return {i.code: i for i in items}


@dataclass(frozen=True)
class InForce:
    """When a published edition is in force: from ``since`` (1 January of its year, or the day it was
    published when that is later) until ``until`` (the day the ``successor``, a published edition of a later
    year, takes over; ``None``: none has yet); ``state`` says where the day asked about falls: ``now`` (in
    force), ``future`` (not yet), ``past`` (no longer), or ``never`` for an edition published after a later
    year's had taken over (``since`` and ``until`` ``None``)."""

    state: str  # now, future, past, never
    since: datetime.date | None
    until: datetime.date | None
    successor: int | None

    @property
    def now(self) -> bool:
        return self.state == "now"


def in_force_periods(published: Iterable[tuple[int, datetime.date]], today: datetime.date) -> dict[int, InForce]:
    """When each published edition (its year, the day it was published in Beijing) is in force, and whether
    it is ``today``: on a day the edition in force is the newest published with a year up to that day's —
    so an edition published in December for next year waits for 1 January.

    >>> periods = in_force_periods([(2026, datetime.date(2025, 12, 20)), (2027, datetime.date(2026, 12, 1))],
    ...                            datetime.date(2026, 12, 7))
    >>> periods[2026]
    InForce(state='now', since=datetime.date(2026, 1, 1), until=datetime.date(2027, 1, 1), successor=2027)
    >>> periods[2027]
    InForce(state='future', since=datetime.date(2027, 1, 1), until=None, successor=None)
    >>> in_force_periods([(2026, datetime.date(2026, 3, 2))], datetime.date(2026, 3, 1))[2026].now  # not yet
    False
    """
    starts = {year: max(datetime.date(year, 1, 1), day) for year, day in published}
    out: dict[int, InForce] = {}
    for year, since in starts.items():
        later = sorted((start, -y) for y, start in starts.items() if y > year)  # the newest of those first in
        until, successor = (later[0][0], -later[0][1]) if later else (None, None)
        if until is not None and until <= since:
            out[year] = InForce("never", None, None, successor)
        elif today < since:
            out[year] = InForce("future", since, until, successor)
        elif until is not None and until <= today:
            out[year] = InForce("past", since, until, successor)
        else:
            out[year] = InForce("now", since, until, successor)
    return out


def in_force_on(periods: Mapping[int, InForce], day: datetime.date) -> int | None:
    """The year of the edition in force on ``day``, from :func:`in_force_periods` (asked about any day: the
    periods do not depend on it), or ``None`` before the first came into force.

    >>> periods = in_force_periods([(2026, datetime.date(2025, 12, 20)), (2027, datetime.date(2027, 3, 1))],
    ...                            datetime.date(2027, 6, 1))
    >>> [in_force_on(periods, datetime.date(*d)) for d in ((2025, 12, 31), (2027, 2, 1), (2027, 3, 1))]
    [None, 2026, 2027]
    """
    for year, period in periods.items():
        if period.since is not None and period.since <= day and (period.until is None or day < period.until):
            return year
    return None


def require_status(year: int, status: str, allowed: Sequence[str], step: str) -> None:
    """Refuse ``step`` on an edition in ``status`` unless it is one of ``allowed``."""
    if status in allowed:
        return
    if status == "published":
        raise CatalogueError("catalogue.published", f"The {year} edition is published and never changes; a change "
                             f"asked for now goes to the {year + 1} draft.")
    if status == "approved" and step in ("change an item", "add an item", "withdraw an item", "comment"):
        raise CatalogueError("catalogue.status", f"The {year} edition is approved: it can only be published now; "
                             f"a further change goes to the {year + 1} draft.")
    raise CatalogueError("catalogue.status", f"Cannot {step} while the {year} edition is in {status}; this step "
                         f"needs it in {' or '.join(allowed)}.")


def require_comments_running(year: int, status: str, comments_until: datetime.datetime | None,
                             now: datetime.datetime, step: str) -> None:
    """Refuse ``step`` (an item added, changed or withdrawn) on an edition whose comment period has ended:
    approval follows the period, and what is approved is what the public could comment on.

    >>> end = datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC)
    >>> require_comments_running(2027, "comment", end, end, "change an item")
    >>> require_comments_running(2027, "comment", end, end + datetime.timedelta(seconds=1), "change an item")
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: Cannot change an item: the comment period of the 2027 edition ended at 2026-02-01 00:00 UTC, and what is approved is what the public could comment on. Put the edition out for comment again (`jjjcredit catalogue open-comments 2027`; over the API, POST /api/v1/catalogue/2027/open-comments), then change it.
    """
    if status == "comment" and comments_until is not None and now > comments_until:
        raise CatalogueError("catalogue.comment_period", f"Cannot {step}: the comment period of the {year} edition "
                             f"ended at {comments_until:%Y-%m-%d %H:%M} UTC, and what is approved is what the public "
                             f"could comment on. Put the edition out for comment again (`jjjcredit catalogue "
                             f"open-comments {year}`; over the API, POST /api/v1/catalogue/{year}/open-comments), "
                             "then change it.")


def check_reason(reason: str | None, code: str) -> str:
    """A change's reason, stripped; refused when empty (every item added, withdrawn or changed carries one)."""
    if reason is None or not reason.strip():
        raise CatalogueError("catalogue.reason", f'Item "{code}": every item added, withdrawn or changed carries '
                             "its reason; give one.", field="reason")
    return check_text(reason.strip(), f'Item "{code}": the reason', "reason", error="catalogue.reason")


def check_approval(year: int, base: Iterable[Item], items: Iterable[Item], reasons: Mapping[str, str],
                   assessed: Iterable[str], approver: str | None,
                   compiled_by: Iterable[tuple[str, str]] = ()) -> None:
    """Refuse to approve an edition: without an approver; by one who compiled it (``compiled_by``: who,
    and what they did — Art. 11 has the catalogue compiled by the provincial credit department and
    approved by the provincial government, so the one who drafted it, changed or assessed an item never
    approves it too); while an item added, withdrawn or changed since ``base`` (the edition it was
    drafted from: an item not equal to its own there, exactly those core/credit/catalogue_diff.diff names)
    has no reason; or while an item added or changed in this edition and flagged as
    contested (or of large social impact) has no assessment record.

    >>> items = default_items()
    >>> check_approval(2027, items, items, {}, [], "省人民政府")
    >>> reasons = {i.code: "首版目录" for i in items}
    >>> check_approval(2027, [], items, reasons, [], "省人民政府")
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: The 2027 edition cannot be approved: item(s) JJJ-04-001 are contested or of large social impact and have no assessment record; record the experts' and representatives' opinions with `jjjcredit catalogue assess`.
    >>> check_approval(2027, [], items, reasons, ["JJJ-04-001"], "省人民政府")
    >>> check_approval(2027, [], items, {}, [], "省人民政府")
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: The 2027 edition cannot be approved: items JJJ-01-001, JJJ-02-001, JJJ-03-001, JJJ-03-002, JJJ-04-001 and 4 more were added, withdrawn or changed without a reason.
    >>> check_approval(2027, items, items, {}, [], "省发改委", [("省发改委", "drafted it")])
    Traceback (most recent call last):
    ...
    jjjcredit.core.credit.catalogue.CatalogueError: 省发改委 drafted it, so cannot also approve the 2027 edition: the catalogue is compiled by the provincial credit department and approved by the provincial government (Hebei Regulations Art. 11). Approval is given by someone who took no part in compiling it.
    """
    if approver is None or not approver.strip():
        raise CatalogueError("catalogue.approver", f"Approving the {year} edition needs who approves it.",
                             field="by")
    for who, did in compiled_by:
        if names.same_party(who, approver):
            raise CatalogueError("catalogue.own_approval", f"{approver.strip()} {did}, so cannot also approve the "
                                 f"{year} edition: the catalogue is compiled by the provincial credit department and "
                                 "approved by the provincial government (Hebei Regulations Art. 11). Approval is "
                                 "given by someone who took no part in compiling it.", field="by")
    items = list(items)
    before, after = items_by_code(base), items_by_code(items)
    touched = sorted(c for c in before.keys() | after.keys() if before.get(c) != after.get(c))
    missing = [c for c in touched if not (reasons.get(c) or "").strip()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise CatalogueError("catalogue.reason", f"The {year} edition cannot be approved: items {shown} were added, "
                             "withdrawn or changed without a reason.")
    disagreeing = [why for why in map(level_disagreement, items) if why is not None]
    if disagreeing:
        raise CatalogueError("catalogue.item", f"The {year} edition cannot be approved: {disagreeing[0]}"
                             + (f" ({len(disagreeing) - 1} more such)" if len(disagreeing) > 1 else ""),
                             field="security_level")
    done = set(assessed)
    unassessed = sorted(i.code for i in items if i.contested and i.code in touched and i.code not in done)
    if unassessed:
        raise CatalogueError("catalogue.assessment", f"The {year} edition cannot be approved: item(s) "
                             f"{', '.join(unassessed)} are contested or of large social impact and have no "
                             "assessment record; record the experts' and representatives' opinions with "
                             "`jjjcredit catalogue assess`.")


def load_items(text: str) -> tuple[Item, ...]:
    """Items from a JSON document: a list of items, or ``{"items": [...]}``; sorted by code."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError("catalogue.data", f"The catalogue is not valid JSON: {exc.msg} at line {exc.lineno}.") \
            from None
    if isinstance(data, dict):
        data = data.get("items")
    if not isinstance(data, list):
        raise CatalogueError("catalogue.data", 'A catalogue is a list of items or {"items": [...]}.')
    items = [item_from_dict(d) for d in data]
    codes = [i.code for i in items]
    if len(set(codes)) != len(codes):
        raise CatalogueError("catalogue.data", "The catalogue names a directory code twice.")
    return tuple(sorted(items, key=lambda i: i.code))


def default_items() -> tuple[Item, ...]:
    """The default catalogue of the three regions (core/data/catalogue.json), sorted by code."""
    return _DEFAULT[0] if _DEFAULT else _load_default()


_DEFAULT: list[tuple[Item, ...]] = []


def _load_default() -> tuple[Item, ...]:
    text = resources.files("jjjcredit.core").joinpath("data/catalogue.json").read_text("utf-8")
    _DEFAULT.append(load_items(text))
    return _DEFAULT[0]


def default_item(code: str) -> Item:
    """One item of the default catalogue by its directory code (examples and tests)."""
    for item in default_items():
        if item.code == code:
            return item
    raise CatalogueError("catalogue.unknown_item", f"The default catalogue has no item {code}.")
