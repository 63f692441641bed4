"""Unified social credit code (统一社会信用代码, GB 32100-2015).

Layout, position by position:

====  ==========================================================================
1     registration management department (``1``-``9``, ``A``, ``N``, ``Y``)
2     organization category, defined per department
3-8   GB/T 2260 division of the registering authority, as valid when issued
9-17  the organization code (GB 11714): 8 characters and its own check character
18    check character
====  ==========================================================================

Alphabet: ``0-9`` and upper-case letters except I, O, S, V, Z (31 symbols, valued 0-30 in order).
Check character: weights 3^(i−1) mod 31 over positions 1-17; C18 = 31 − (Σ mod 31), 31 → 0.

The verdict is graded: valid, valid with warnings (an unknown region, a real early pilot code whose
check character does not follow the rule, a value shaped like a resident identity number), or
invalid with a stable error code, the position, and what was expected.

>>> validate("91350100M000100Y43")
'91350100M000100Y43'
>>> validate("91350100M000100Y4")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidLength: Expected 18 characters, found 17.
>>> validate("91350100M000100YIO")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidFormat: Character "I" at position 17 is not allowed: the alphabet is 0-9 and A-Z without I, O, S, V, Z.
>>> validate("91110000600037341N")
Traceback (most recent call last):
    ...
jjjcredit.core.errors.InvalidChecksum: The check character "N" at position 18 does not match the 17 characters before it; one of them is probably mistyped.
>>> check("91350211M0000XUF46").verdict.label, check("91350211M0000XUF46").first.code
('warning', 'uscc.pilot_checksum')
>>> [s.code for s in suggest("91110000600O37341L")]
['91110000600037341L']
"""

from __future__ import annotations

import csv
import enum
import functools
import itertools
import operator
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from jjjcredit.core import errors
from jjjcredit.core.codes import divisions, orgcode, ric
from jjjcredit.core.codes.departments import DEPARTMENTS, Category, Department
from jjjcredit.core.codes.normalize import strip_identifier
from jjjcredit.core.errors import Check, Finding, Verdict

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = tuple(3**i % 31 for i in range(17))
LENGTH = 18

#: Early pilot ranges where real codes may fail only the position-18 check: (region prefix,
#: positions 9-10). Every known example is a Fujian (35) code whose organization code starts with
#: ``M0``. Only codes listed in ``core/data/pilot_codes.csv`` (real, documented) are accepted with
#: a warning; others in the range that fail the check are invalid, with a hint.
PILOT_RANGES: tuple[tuple[str, str], ...] = (("35", "M0"),)

#: Look-alike characters people type for one another, disallowed character first.
LOOKALIKES: dict[str, str] = {"O": "0", "I": "1", "Z": "2", "S": "5", "V": "U"}
#: Characters read as others (handwriting, print): each → the ones it is taken for, likeliest first.
_CONFUSABLE: dict[str, str] = {"0": "D", "D": "0", "8": "B", "B": "8", "6": "G", "G": "6",
                               "U": "W", "W": "U", "1": "7", "7": "1T", "T": "7", "2": "Z", "5": "S"}

def _neighbours(*rows: str) -> dict[str, str]:
    """Each key → the keys beside it in ``rows`` (left and right), within the code's alphabet."""
    found: dict[str, str] = {}
    for row in rows:
        for a, b in itertools.pairwise(row):
            found[a] = found.get(a, "") + b
            found[b] = found.get(b, "") + a
    return found


#: Keys beside each other, where a finger slips: the number row, the numeric keypad (rows and
#: columns: 789 / 456 / 123 / 0) and the letter rows of a QWERTY keyboard.
_KEYBOARD: dict[str, str] = {k: "".join(sorted(set(v) & set("0123456789ABCDEFGHJKLMNPQRTUWXY")))
                             for k, v in _neighbours("1234567890", "789", "456", "123", "741", "852", "963", "10",
                                                     "20", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM").items()}
_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}")
_ALLOWED_TEXT = "the alphabet is 0-9 and A-Z without I, O, S, V, Z"


class RegionStatus(enum.IntEnum):
    """What GB/T 2260 history says about positions 3-8."""

    OK = 0  #: in use in some year since unified codes were first issued
    RETIRED = 1  #: known, but abolished before unified codes were issued
    UNKNOWN = 2  #: not in the tables, though the province exists
    NO_PROVINCE = 3  #: the first two digits are not a province


@functools.cache
def _provinces() -> frozenset[str]:
    return divisions.provinces()


@functools.cache
def pilot_codes() -> frozenset[str]:
    """The documented real pilot codes whose position-18 check does not follow GB 32100."""
    text = resources.files("jjjcredit.core").joinpath("data/pilot_codes.csv").read_text("utf-8")
    return frozenset(row["code"] for row in csv.DictReader(text.splitlines()))


@functools.lru_cache(maxsize=65536)
def region_status(region: str) -> RegionStatus:
    """Grade a 6-digit region code for use in a unified social credit code.

    >>> region_status("130182"), region_status("133100"), region_status("130199")
    (<RegionStatus.OK: 0>, <RegionStatus.OK: 0>, <RegionStatus.UNKNOWN: 2>)
    >>> region_status("110103"), region_status("990000")
    (<RegionStatus.RETIRED: 1>, <RegionStatus.NO_PROVINCE: 3>)
    """
    if not divisions.is_known(region):
        return RegionStatus.UNKNOWN if region[:2] in _provinces() else RegionStatus.NO_PROVINCE
    last = divisions.last_year(region)
    if last is not None and last < divisions.FIRST_ISSUE_YEAR:
        return RegionStatus.RETIRED
    return RegionStatus.OK


def compact(number: str) -> str:
    """Remove what people paste around a code (spaces, hyphens, quotes), upper-case, half-width.

    Never validates.

    >>> compact(" 91 3501-00m000100y43 ")
    '91350100M000100Y43'
    """
    return strip_identifier(number)


def calc_check_char(first17: str) -> str:
    """The position-18 check character for the first 17 characters.

    >>> calc_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17:
        raise ValueError(f"expected the first 17 characters, got {len(first17)}")
    total = sum(map(operator.mul, map(VALUES.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def _in_pilot_range(code: str) -> bool:
    return any(code[2:2 + len(r)] == r and code[8:8 + len(o)] == o for r, o in PILOT_RANGES)


def _looks_like_ric(code: str) -> Finding | None:
    if (len(code) == 18 and code[:17].isdigit() and (code[17].isdigit() or code[17] == "X")
            and not ric.check(code).errors):
        return errors.warning(
            "uscc.looks_like_ric",
            f"This looks like a resident identity number ({ric.mask(code)}), not an "
            "organization's code: ask for the organization's unified social credit code.")
    return None


def findings(code: str) -> list[Finding]:
    """Every finding for an already compact value, cheap checks first."""
    if not code:
        return [errors.error("uscc.empty", "No code was given: expected 18 characters.",
                             None, errors.InvalidLength)]
    if len(code) != LENGTH:
        hint = ""
        if len(code) == 15 and code.isdigit():
            hint = " It looks like a 15-digit business registration number (GS 15-2006)."
        elif len(code) == 9:
            hint = " It looks like a 9-character organization code (GB 11714)."
        return [errors.error("uscc.length", f"Expected 18 characters, found {len(code)}.{hint}",
                             None, errors.InvalidLength)]
    found: list[Finding] = []
    for i, c in enumerate(code if _SHAPE.fullmatch(code) is None else ""):
        if c not in VALUES:
            found.append(errors.error(
                "uscc.format", f'Character "{c}" at position {i + 1} is not allowed: '
                f"{_ALLOWED_TEXT}.", i + 1, errors.InvalidFormat))
            break
        if 2 <= i <= 7 and not c.isdigit():
            found.append(errors.error(
                "uscc.format", f'Character "{c}" at position {i + 1} is not allowed: positions '
                "3-8 are the digits of a division code.", i + 1, errors.InvalidFormat))
            break
    if found:
        ric_hint = _looks_like_ric(code)
        return found + ([ric_hint] if ric_hint else [])
    department = DEPARTMENTS.get(code[0])
    if department is None:
        found.append(errors.error(
            "uscc.department", f'Position 1 "{code[0]}" is not a registration management '
            "department code: expected one of " + ", ".join(DEPARTMENTS) + ".", 1))
    elif code[1] not in department.categories:
        found.append(errors.error(
            "uscc.category", f'Position 2 "{code[1]}" is not a category of department '
            f"{code[0]} ({department.en}): expected one of {', '.join(department.categories)}.",
            2))
    region = code[2:8]
    status = region_status(region)
    if status is RegionStatus.NO_PROVINCE:
        found.append(errors.warning(
            "uscc.region_unknown", f'Positions 3-8 "{region}" are not a division code: '
            f'"{region[:2]}" is no province; some real codes carry such values, so confirm with '
            "the registering department.", 3))
    elif status is RegionStatus.UNKNOWN:
        found.append(errors.warning(
            "uscc.region_unknown", f'Positions 3-8 "{region}" are not a division code known to '
            f"GB/T 2260 history in {divisions.province_name(region)}; the code may still be real: "
            "confirm with the registering department.", 3))
    elif status is RegionStatus.RETIRED:
        found.append(errors.warning(
            "uscc.region_retired", f'Division "{region}" ({divisions.latest_name(region)}) was '
            f"abolished in {divisions.last_year(region)}, before unified codes were first issued "
            f"in {divisions.FIRST_ISSUE_YEAR}.", 3))
    if orgcode.calc_check_char(code[8:16]) != code[16]:  # the alphabet is already checked
        found.extend(orgcode.findings(code[8:17], offset=8))
    if calc_check_char(code[:17]) != code[17]:
        clean = not any(f.severity is errors.Severity.ERROR for f in found)
        if clean and code in pilot_codes():
            found.append(errors.warning(
                "uscc.pilot_checksum", "A known early Fujian pilot code: the check character at "
                "position 18 does not follow GB 32100, as with some real codes issued before the "
                "standard took effect; the embedded organization code is correct.", 18))
        else:
            hint = ""
            if clean and _in_pilot_range(code):
                hint = (" It lies in the early Fujian pilot range, where a few real codes break "
                        "this rule: if the registering department confirms it, add it to the "
                        "pilot list.")
            found.append(errors.error(
                "uscc.checksum", f'The check character "{code[17]}" at position 18 does not '
                f"match the 17 characters before it; one of them is probably mistyped.{hint}",
                18, errors.InvalidChecksum))
    ric_hint = _looks_like_ric(code)
    if ric_hint:
        found.append(ric_hint)
    return found


def check(number: str) -> Check:
    """The graded result for any input: compact form, verdict and every finding."""
    code = compact(number)
    return Check(number, code, tuple(findings(code)))


def validate(number: str) -> str:
    """Return the compact code, or raise its first error as an :class:`IdentifierError`.

    Warnings do not raise: a real pilot code validates.
    """
    result = check(number)
    if result.errors:
        raise result.errors[0].to_exception()
    return result.compact


def is_valid(number: object) -> bool:
    """Whether the value is a valid code (with or without warnings). Never raises."""
    if not isinstance(number, str):
        return False
    try:
        return not any(f.severity is errors.Severity.ERROR for f in findings(compact(number)))
    except Exception:  # pragma: no cover - is_valid must never raise
        return False


def verdict(number: object) -> Verdict:
    """The graded verdict alone; never raises (a non-string is invalid)."""
    if not isinstance(number, str):
        return Verdict.INVALID
    return check(number).verdict


def format(number: str, grouped: bool = False) -> str:
    """The printed form: 18 characters; ``grouped`` spaces the parts for reading aloud.

    >>> format("91350100m000100y43", grouped=True)
    '9 1 350100 M000100Y4 3'
    """
    code = compact(number)
    if not grouped:
        return code
    return f"{code[0]} {code[1]} {code[2:8]} {code[8:17]} {code[17]}"


@dataclass(frozen=True)
class Parts:
    """A code taken apart; fields are ``None`` where the code does not define them."""

    code: str
    department: Department | None
    category: Category | None
    region: str
    region_name: str | None
    region_current: bool
    region_status: RegionStatus
    province: str | None
    prefecture: str | None
    orgcode: str
    check_char: str


def parse(number: str) -> Parts:
    """Take a code apart. Raises only when it is not 18 characters; other problems show as
    ``None`` parts and in :func:`check`.

    >>> p = parse("91350100M000100Y43")
    >>> p.department.en, p.category.en, p.region, p.orgcode
    ('industry and commerce / market regulation', 'enterprise', '350100', 'M000100Y4')
    """
    code = compact(number)
    if len(code) != LENGTH:
        raise errors.InvalidLength("uscc.length", f"Expected 18 characters, found {len(code)}.")
    department = DEPARTMENTS.get(code[0])
    region = code[2:8]
    status = region_status(region) if region.isdigit() else RegionStatus.NO_PROVINCE
    return Parts(
        code=code,
        department=department,
        category=department.categories.get(code[1]) if department else None,
        region=region,
        region_name=divisions.latest_name(region),
        region_current=divisions.is_current(region),
        region_status=status,
        province=divisions.province_name(region) if region.isdigit() else None,
        prefecture=divisions.prefecture_name(region) if region.isdigit() else None,
        orgcode=code[8:17],
        check_char=code[17],
    )


@dataclass(frozen=True)
class Suggestion:
    """A likely correction of a mistyped code, and the edit that gives it."""

    code: str
    edit: str


_INVERSE = tuple(pow(w, -1, 31) for w in WEIGHTS)


def _solve(values: list[int | None], position: int) -> str | None:
    """The one character at ``position`` (0-16) that makes the position-18 check hold, given the
    other values of an 18-character code; ``None`` when another value is unknown."""
    total = 0
    for j in range(17):
        if j != position:
            v = values[j]
            if v is None:
                return None
            total += v * WEIGHTS[j]
    last = values[17]
    if last is None:
        return None
    return ALPHABET[((-last - total) * _INVERSE[position]) % 31]


def _candidates(code: str) -> Iterable[tuple[int, str, str]]:
    """(rank, candidate, edit) for the edits people make, most likely kinds first.

    For an 18-character code of known characters, an edit is kept only when it makes the
    position-18 check hold (worked out arithmetically, before any string is built), and a wrong
    character is solved for directly: a few candidates per code, not hundreds.
    """
    fixed = "".join(LOOKALIKES.get(c, c) for c in code)
    if fixed != code:
        yield 0, fixed, "look-alike characters replaced"
        code = fixed
    values = [VALUES.get(c) for c in code]
    if len(code) == LENGTH and None not in values:
        yield from _checked_candidates(code, values)  # type: ignore[arg-type]
        return
    for i in range(len(code) - 1):
        if code[i] != code[i + 1]:
            yield 1, code[:i] + code[i + 1] + code[i] + code[i + 2:], f"positions {i + 1} and {i + 2} swapped"
    for i, c in enumerate(code):
        for alt in _CONFUSABLE.get(c, ""):
            yield 2, code[:i] + alt + code[i + 1:], f'"{c}" at position {i + 1} read as "{alt}"'
    if len(code) == LENGTH:
        unknown = [i for i, v in enumerate(values) if v is None]
        if len(unknown) == 1:
            i = unknown[0]
            if i == LENGTH - 1:
                yield 3, code[:17] + calc_check_char(code[:17]), "position 18 changed"
            else:
                solved = _solve([*values[:i], 0, *values[i + 1:]], i)
                if solved is not None:
                    yield 3, code[:i] + solved + code[i + 1:], f"position {i + 1} changed"
    elif len(code) == LENGTH - 1:
        for i in range(LENGTH):
            if i == LENGTH - 1:
                if all(c in VALUES for c in code):
                    yield 3, code + calc_check_char(code), "the check character added"
                continue
            solved = _solve([VALUES.get(c) for c in code[:i] + "0" + code[i:]], i)
            if solved is not None:
                yield 3, code[:i] + solved + code[i:], f"a character inserted at position {i + 1}"
    elif len(code) == LENGTH + 1:
        for i in range(len(code)):
            yield 3, code[:i] + code[i + 1:], f"position {i + 1} removed"


def _checked_candidates(code: str, v: list[int]) -> Iterable[tuple[int, str, str]]:
    total = sum(map(operator.mul, v[:17], WEIGHTS))
    residue = (total + v[17]) % 31  # 0 when the position-18 check holds
    # A defect outside the positions an edit touches survives the edit: skip such edits early.
    department = DEPARTMENTS.get(code[0])
    head_ok = department is not None and code[1] in department.categories
    org_ok = orgcode.calc_check_char(code[8:16]) == code[16]

    def survives(first: int, last: int) -> bool:
        return (head_ok or first <= 1) and (org_ok or (last >= 8 and first <= 16))

    for i in range(17):
        a, b = v[i], v[i + 1]
        if a == b or not survives(i, i + 1):
            continue
        if i + 1 < 17:
            ok = (residue + (b - a) * WEIGHTS[i] + (a - b) * WEIGHTS[i + 1]) % 31 == 0
        else:
            ok = (total + (b - a) * WEIGHTS[16] + a) % 31 == 0
        if ok:
            yield 1, code[:i] + code[i + 1] + code[i] + code[i + 2:], f"positions {i + 1} and {i + 2} swapped"
    for i, c in enumerate(code):
        for alt in _CONFUSABLE.get(c, ""):
            if alt in VALUES and survives(i, i) and (
                    (total + VALUES[alt]) % 31 == 0 if i == 17
                    else (residue + (VALUES[alt] - v[i]) * WEIGHTS[i]) % 31 == 0):
                yield 2, code[:i] + alt + code[i + 1:], f'"{c}" at position {i + 1} read as "{alt}"'
    for i in range(LENGTH):
        if not survives(i, i):
            continue
        if i == 17:
            x = (-total) % 31
        else:
            x = ((-v[17] - total + v[i] * WEIGHTS[i]) * _INVERSE[i]) % 31
        if x == v[i]:
            continue
        candidate = code[:i] + ALPHABET[x] + code[i + 1:]
        # Cheap structural checks first: most solved characters break another rule; an impossible
        # region (no such province) is never a correction.
        if i <= 1:
            dept = DEPARTMENTS.get(candidate[0])
            if dept is None or candidate[1] not in dept.categories:
                continue
        elif i <= 7:
            if not candidate[i].isdigit():
                continue
        elif i <= 16 and orgcode.calc_check_char(candidate[8:16]) != candidate[16]:
            continue
        if ALPHABET[x] in _KEYBOARD.get(code[i], ""):
            yield 2, candidate, f'"{code[i]}" at position {i + 1} typed for the key beside it, "{ALPHABET[x]}"'
        else:
            yield 3, candidate, f"position {i + 1} changed"


def _prior(code: str) -> float:
    """How common codes like this one are, to order corrections of the same kind: the
    registering department's share of all codes, tripled when the organization code lies in the ``MA``
    range that every code issued since 2015 uses."""
    return _DEPARTMENT_SHARE.get(code[0], 0.0) * (3.0 if code[8:10] == "MA" else 1.0)


def suggest(number: str, limit: int = 5) -> list[Suggestion]:
    """Valid codes one likely edit away from an invalid one, most likely first (at most ``limit``).

    Only codes that are themselves valid are offered: never one whose positions 3-4 name no
    province. The order: valid codes before codes with a warning (a retired or unlisted division);
    then the kind of edit, likeliest first — look-alike characters replaced (``O`` for ``0``), then
    two neighbours swapped, then one character read as a similar one (``8``/``B``) or typed with the
    key beside it (``4``/``5``, ``E``/``R``), then any other character changed, added or removed;
    then, among edits of one kind, how common such codes are (the registering department's share,
    the ``MA`` range). A one-character slip of a valid code almost always has that code among the
    first five (a property test holds it for sampled codes).
    A valid code, or a value shaped like a resident identity number, gets no suggestions.

    >>> [s.code for s in suggest("N3130102MA79X3X576")][:1]  # "G" read as "6" before "N" changed to "1"
    ['N3130102MA79X3X57G']
    """
    return suggest_many([number], limit)[0]


def suggest_many(numbers: Sequence[str], limit: int = 5) -> list[list[Suggestion]]:
    """:func:`suggest` for many codes at once: every candidate is judged in one vectorized call."""
    owners: list[int] = []
    candidates: list[str] = []
    edits: list[tuple[int, str]] = []
    codes = [compact(n) for n in numbers]
    verdicts = verdict_many(codes).tolist()
    for owner, code in enumerate(codes):
        if not code or verdicts[owner] != Verdict.INVALID or _looks_like_ric(code):
            continue  # nothing to correct, or personal data that must not be echoed
        seen = {code}
        for rank, candidate, edit in _candidates(code):
            if candidate in seen or len(candidate) != LENGTH:
                continue
            seen.add(candidate)
            owners.append(owner)
            candidates.append(candidate)
            edits.append((rank, edit))
    results: list[list[tuple[int, int, float, str, str]]] = [[] for _ in numbers]
    if candidates:
        judged = verdict_many(candidates).tolist()
        no_province = RegionStatus.NO_PROVINCE
        for owner, candidate, (rank, edit), v in zip(owners, candidates, edits, judged, strict=True):
            if v == Verdict.VALID or (v == Verdict.WARNING and region_status(candidate[2:8]) is not no_province):
                results[owner].append((v, rank, -_prior(candidate), candidate, edit))
    return [[Suggestion(c, e) for *_, c, e in sorted(r)[:limit]] for r in results]


def generate(
    rng: random.Random,
    department: str | None = None,
    category: str | None = None,
    region: str | None = None,
    regions: Sequence[str] = ("110105", "120101", "130102"),
) -> str:
    """One valid code drawn from ``rng`` (deterministic for a seeded generator).

    Unset parts are drawn: the department mostly ``9`` (enterprises and individual businesses
    dominate every register), the region from ``regions``. The embedded organization code is in
    the ``MA`` range used since 2015, or all digits as older codes are.

    >>> code = generate(random.Random(7), "9", "1", "130100")
    >>> code[:8], is_valid(code)
    ('91130100', True)
    """
    if department is None:
        department = rng.choices(list(DEPARTMENTS), weights=_DEPARTMENT_MIX)[0]
    dept = DEPARTMENTS[department]
    if category is None:
        category = rng.choice(list(dept.categories))
    if region is None:
        region = rng.choice(list(regions))
    if rng.random() < 0.8:
        body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = department + category + region + body + orgcode.calc_check_char(body)
    return first17 + calc_check_char(first17)


#: Department mix for generated codes (order of DEPARTMENTS): mostly market regulation.
_DEPARTMENT_MIX = (3, 0.1, 0.5, 0.05, 1.5, 0.05, 0.3, 1, 92, 0.05, 1.3, 0.15)
_DEPARTMENT_SHARE = dict(zip(DEPARTMENTS, _DEPARTMENT_MIX, strict=True))


def is_valid_many(codes: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Vectorized :func:`is_valid` for millions of codes (same answers as the single path)."""
    from jjjcredit.core.codes import uscc_bulk

    result: npt.NDArray[np.bool_] = uscc_bulk.verdict_many(codes) != Verdict.INVALID
    return result


def verdict_many(codes: Sequence[str]) -> npt.NDArray[np.int8]:
    """Vectorized :func:`verdict`: one :class:`Verdict` value per code."""
    from jjjcredit.core.codes import uscc_bulk

    return uscc_bulk.verdict_many(codes)
