"""The data-quality rulebook: named checks on one library record, after GLEIF's published
data-quality rules (completeness, validity, consistency, timeliness; uniqueness is a check across
records, run by the service).

Each rule has a stable code, a dimension, and a sentence a provider can act on. A rule returns
``True`` (passes), ``False`` (fails) or ``None`` (does not apply to this record).

>>> record = {"uscc": "91130102MA0000000X", "name": "某某有限公司", "status": "1", "established": "20200101",
...           "last_updated": "20250101", "address_division": "130102", "orgcode": "MA0000000"}
>>> results = evaluate(record, source_department="9", today=datetime.date(2026, 1, 1))
>>> results["completeness.legal_rep"], results["consistency.department"], results["timeliness.last_updated"]
(False, True, True)
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jjjcredit.core.codes import divisions, uscc
from jjjcredit.core.errors import Verdict

#: A record not updated for longer than this is stale (a setting with this default; the regulation's
#: own number was not available — national practice asks for annual reports).
STALE_AFTER_DAYS = 3 * 365

Record = Mapping[str, str | None]


@dataclass(frozen=True)
class Context:
    source_department: str | None
    today: datetime.date


@dataclass(frozen=True)
class Rule:
    code: str
    dimension: str
    description: str
    check: Callable[[Record, Context], bool | None]


def _date(value: str | None) -> datetime.date | None:
    if not value or len(value) != 8 or not value.isdigit():
        return None
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def _present(name: str) -> Callable[[Record, Context], bool | None]:
    return lambda r, _c: bool(r.get(name))


def _code_valid(r: Record, _c: Context) -> bool | None:
    return uscc.verdict(r.get("uscc") or "") is Verdict.VALID


def _orgcode_matches(r: Record, _c: Context) -> bool | None:
    org, code = r.get("orgcode"), r.get("uscc") or ""
    return None if not org else org == code[8:17]


def _division_known(r: Record, _c: Context) -> bool | None:
    division = r.get("address_division")
    return None if not division else divisions.is_known(division)


def _dates_in_order(r: Record, c: Context) -> bool | None:
    dates = [_date(r.get(n)) for n in ("established", "approved", "last_updated")]
    known = [d for d in dates if d is not None]
    if not known:
        return None
    return known == sorted(known) and known[-1] <= c.today


def _region_consistent(r: Record, _c: Context) -> bool | None:
    division, code = r.get("address_division"), r.get("uscc") or ""
    if not division or code[2:8] in ("100000",):
        return None
    return division[:2] == code[2:4]


def _department_consistent(r: Record, c: Context) -> bool | None:
    code = r.get("uscc") or ""
    return None if not c.source_department or not code else code[0] == c.source_department


def _fresh(r: Record, c: Context) -> bool | None:
    updated = _date(r.get("last_updated")) or _date(r.get("approved")) or _date(r.get("established"))
    if updated is None:
        return False
    if r.get("status") in ("3", "4"):
        return None  # revoked or deregistered: nothing more to report
    return (c.today - updated).days <= STALE_AFTER_DAYS


RULES: tuple[Rule, ...] = (
    Rule("completeness.name", "completeness", "The organization name is given.", _present("name")),
    Rule("completeness.status", "completeness", "The status is given.", _present("status")),
    Rule("completeness.legal_rep", "completeness", "The legal representative or person in charge is given.",
         _present("legal_rep")),
    Rule("completeness.address", "completeness", "The registered address is given.", _present("address")),
    Rule("completeness.established", "completeness", "The establishment date is given.", _present("established")),
    Rule("validity.uscc", "validity", "The code is valid without warnings (GB 32100).", _code_valid),
    Rule("validity.orgcode", "validity", "The organization code equals positions 9-17 of the code.",
         _orgcode_matches),
    Rule("validity.address_division", "validity", "The address division is a GB/T 2260 code.", _division_known),
    Rule("validity.dates", "validity", "Establishment ≤ approval ≤ last update, none in the future.",
         _dates_in_order),
    Rule("consistency.region", "consistency", "The address lies in the province of the code's region.",
         _region_consistent),
    Rule("consistency.department", "consistency", "The provider is the department the code names.",
         _department_consistent),
    Rule("timeliness.last_updated", "timeliness",
         f"Updated within {STALE_AFTER_DAYS // 365} years (revoked and deregistered records excepted).", _fresh),
)
BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
#: Checked by the service across records: one name used by several codes in one province.
UNIQUENESS = Rule("uniqueness.name", "uniqueness", "No other code in the province carries the same name.",
                  lambda _r, _c: None)


def evaluate(record: Record, source_department: str | None, today: datetime.date) -> dict[str, bool | None]:
    """Every rule's result for one record."""
    context = Context(source_department, today)
    return {rule.code: rule.check(record, context) for rule in RULES}
