"""Disclosure: what a caller sees. The one rule every read path applies (through
services/sharing/disclosure.py) before data leaves the library.

A :class:`View` is decided once per kind of caller and security level, then reused: which elements
are shown (in element order), and which of them are shown masked.

- **the public** (no key): the level-1 elements;
- **an application party** (``client``) with ceiling *n*: the elements of level *n* or below, in
  clear — an element above its level is absent, never masked;
- **the platform's staff** (an operator at the command line): every element, personal data
  (identity numbers, telephones, contacts: ``Element.personal``) masked;
- **a credit subject** looking at itself: not yet served; until it is, the public's view.

Credit records (the credit half) will be disclosed here too: a view will also say which records
and which of their fields a caller sees — see :meth:`View.fields`, the place to extend.

>>> public, staff = view_of(access.PUBLIC), view_of(access.STAFF)
>>> "legal_rep_id_number" in public.shown, "telephone" in view_of(access.client_at(2)).shown
(False, True)
>>> view_of(access.client_at(3)).record({"uscc": "X", "legal_rep_id_number": "11010519491231002X"})
{'uscc': 'X', 'legal_rep_id_number': '11010519491231002X'}
>>> staff.record({"uscc": "X", "legal_rep_id_number": "11010519491231002X", "seq": 4})
{'uscc': 'X', 'legal_rep_id_number': '110105********002X'}
>>> public.record({"uscc": "X", "name": "某某公司", "telephone": "0311-86001234"})
{'uscc': 'X', 'name': '某某公司'}
>>> view_of(access.client_at(1)) is view_of(access.PUBLIC)
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.library import elements, records
from jjjcredit.core.sharing import access

#: Fields of an organization that are not elements and that every view shows: the code itself and
#: the registering authority's division (the code's positions 3-8, public with the code).
IDENTITY: tuple[str, ...] = ("uscc", "authority_region")


def mask(value: str | None) -> str | None:
    """A personal value as shown to a caller who may know it exists but not read it.

    >>> mask("11010519491231002X"), mask("张三丰"), mask(None)
    ('110105********002X', '张**', None)
    """
    return None if value is None else records.mask_personal(value)


#: A mainland mobile number (11 digits from 13-19), not inside a longer run of digits.
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def mask_in_text(text: str) -> str:
    """Free text (a public comment) with the identity and mobile numbers in it masked.

    >>> mask_in_text("张某，电话13812345678，身份证11010519491231002X")
    '张某，电话138****5678，身份证110105********002X'
    """
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", records.shown_numbers(text))


@dataclass(frozen=True)
class View:
    """What one kind of caller at one security level sees of an organization."""

    kind: str
    level: int
    #: The elements shown besides the code, in element order (an element not here is absent from
    #: every answer).
    elements: tuple[str, ...]
    #: The fields shown: :data:`IDENTITY` and :attr:`elements`.
    shown: frozenset[str]
    #: Shown elements whose values are masked (personal data).
    masked: frozenset[str]

    def record(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """An organization's fields as this view shows them: others absent, personal ones masked, and
        empty ones left out."""
        shown, masked = self.shown, self.masked
        if not masked:
            return {k: v for k, v in values.items() if k in shown and v is not None}
        return {k: (mask(v) if k in masked else v) for k, v in values.items() if k in shown and v is not None}

    def changes(self, items: Iterable[Mapping[str, Any]], element: str = "element",
                values: tuple[str, ...] = ("old", "new")) -> list[dict[str, Any]]:
        """Changes of elements (``{"element", "old", "new"}``, or conflicts with other value keys):
        those of elements not shown dropped, personal values masked."""
        shown: list[dict[str, Any]] = []
        for item in items:
            if item[element] not in self.shown:
                continue
            copy = dict(item)
            if item[element] in self.masked:
                for key in values:
                    copy[key] = mask(copy.get(key))
            shown.append(copy)
        return shown

    def fields(self, kind: str) -> frozenset[str]:
        """The fields of a kind of data this view shows. Organizations only for now; the credit half
        adds its records (which records, which fields) here."""
        if kind == "organization":
            return self.shown
        raise ValueError(f'no disclosure rule for "{kind}" yet')


def _view(kind: str, level: int) -> View:
    names = tuple(e.name for e in elements.ELEMENTS if e.security_level <= level and e.name not in IDENTITY)
    masked = frozenset(e.name for e in elements.ELEMENTS if e.personal) if kind == "staff" else frozenset()
    return View(kind, level, names, frozenset(IDENTITY) | frozenset(names), masked & frozenset(names))


@functools.cache
def _cached(kind: str, level: int) -> View:
    return _view(kind, level)


@dataclass(frozen=True)
class RecordRule:
    """What a caller sees of the credit records of one catalogue item: whether at all (the item's
    security level within the caller's), and whether identity numbers are opened for it (only an
    application party granted the top level; the staff and everyone else read them masked)."""

    visible: bool
    personal_clear: bool


def record_rule(caller: access.Caller, item_level: int) -> RecordRule:
    """The rule for ``caller`` and an item of security level ``item_level``.

    >>> record_rule(access.Caller("法院", frozenset({"records"}), 3), 2)
    RecordRule(visible=True, personal_clear=True)
    >>> record_rule(access.Caller("某局", frozenset({"records"}), 1), 2)
    RecordRule(visible=False, personal_clear=False)
    >>> record_rule(access.STAFF, 3), record_rule(access.PUBLIC, 1).visible
    (RecordRule(visible=True, personal_clear=False), False)
    """
    if access.admit(caller, "records") is None:
        return RecordRule(False, False)
    level = view_of(caller).level
    return RecordRule(item_level <= level, caller.kind == "client" and level >= access.TOP_LEVEL)


def view_of(caller: access.Caller) -> View:
    """The view a caller gets; decided once per kind and level (a dictionary look-up afterwards)."""
    if caller.kind == "staff":
        return _cached("staff", access.TOP_LEVEL)
    if caller.kind == "client":
        level = max(access.PUBLIC_LEVEL, min(caller.level, access.TOP_LEVEL))
        return _cached("client", level) if level > access.PUBLIC_LEVEL else _cached("public", access.PUBLIC_LEVEL)
    return _cached("public", access.PUBLIC_LEVEL)  # the public; a credit subject until its view exists
