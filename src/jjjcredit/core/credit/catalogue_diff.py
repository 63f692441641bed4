"""The difference between two editions of the catalogue: items added, withdrawn, and each attribute of an
item kept that changed, old → new — a record layout field by field (:func:`diff_fields`), keyed by the
data element each field holds. ``catalogue diff`` shows two editions' (services/credit/catalogue.
diff_editions), ``catalogue changes`` each change kept in an edition (:func:`recorded_changes`), and
approval asks a reason of every item the diff names (core/credit/catalogue.check_approval).

>>> item = catalogue.default_items()[0]
>>> changed = catalogue.change_item(item, {"update_period": "每周"})
>>> [(c.attribute, c.old, c.new) for c in diff([item], [changed]).changed]
[('update_period', '实时', '每周')]
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jjjcredit.core.credit import catalogue

#: What a layout field's diff names as changed, in this order: its name, whether it is required, its
#: maximum length, and its position (1-based, in the whole layout) when its order among the fields kept
#: changed. The element is the field's key: a field whose element changes is dropped and another added.
FIELD_ATTRIBUTES = ("name", "required", "max_length", "position")


@dataclass(frozen=True)
class FieldChange:
    """One difference between two record layouts of an item, keyed by the field's ``element`` (with its
    ``name``: the new one, or the old one of a field dropped): a field ``added`` (``new`` its plain form),
    ``dropped`` (``old`` its plain form), or one ``attribute`` of a field kept ``changed`` old → new."""

    element: str
    name: str
    change: str  # added, dropped, changed
    attribute: str | None
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One attribute of one item that differs between two editions; a change of the record layout
    (``fields``) also says field by field what changed (``field_changes``)."""

    code: str
    attribute: str
    old: Any
    new: Any
    field_changes: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Diff:
    added: tuple[str, ...]
    withdrawn: tuple[str, ...]
    changed: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.withdrawn or self.changed)


def _keyed(fields: Sequence[catalogue.Field]) -> dict[tuple[str, int], tuple[int, catalogue.Field]]:
    """A layout's fields by (element, its n-th field of that element), each with its 1-based position."""
    seen: dict[str, int] = {}
    out: dict[tuple[str, int], tuple[int, catalogue.Field]] = {}
    for position, f in enumerate(fields, start=1):
        seen[f.element] = seen.get(f.element, 0) + 1
        out[(f.element, seen[f.element])] = (position, f)
    return out


def diff_fields(old: Sequence[catalogue.Field], new: Sequence[catalogue.Field]) -> tuple[FieldChange, ...]:
    """Two record layouts field by field, keyed by element: the fields dropped (in their old order), then
    in the new layout's order each field added or each attribute of a field kept that changed
    (:data:`FIELD_ATTRIBUTES`; a position only for a field moved among those kept, not for one shifted by
    a field added or dropped). Empty exactly when the layouts are equal.

    >>> penalty = catalogue.default_item("JJJ-03-001").fields
    >>> shorter = (catalogue.Field("行政相对人名称", "CF_XDR_MC", True, 64), *penalty[2:], catalogue.Field("备注", "BZ", False, 512))
    >>> for c in diff_fields(penalty, shorter):
    ...     print(c.change, c.element, c.name, c.attribute, c.old, c.new)
    dropped CF_XDR_LB 行政相对人类别 None {'name': '行政相对人类别', 'element': 'CF_XDR_LB', 'required': True, 'max_length': 100} None
    changed CF_XDR_MC 行政相对人名称 max_length 200 64
    added BZ 备注 None None {'name': '备注', 'element': 'BZ', 'required': False, 'max_length': 512}
    >>> [(c.element, c.attribute, c.old, c.new) for c in diff_fields(penalty[:3], (penalty[2], *penalty[:2]))]
    [('CF_XDR_SHXYM', 'position', 3, 1)]
    """
    a, b = _keyed(old), _keyed(new)
    out = [FieldChange(f.element, f.name, "dropped", None, dataclasses.asdict(f), None)
           for key, (_, f) in a.items() if key not in b]
    kept_old, kept_new = [k for k in a if k in b], [k for k in b if k in a]
    in_order = {kept_new[m.b + i] for m in difflib.SequenceMatcher(None, kept_old, kept_new, autojunk=False)
                .get_matching_blocks() for i in range(m.size)}
    for key, (position, f) in b.items():
        if key not in a:
            out.append(FieldChange(f.element, f.name, "added", None, None, dataclasses.asdict(f)))
            continue
        was_at, was = a[key]
        before = {**dataclasses.asdict(was), "position": was_at}
        after = {**dataclasses.asdict(f), "position": position if key not in in_order else was_at}
        out.extend(FieldChange(f.element, f.name, "changed", k, before[k], after[k])
                   for k in FIELD_ATTRIBUTES if before[k] != after[k])
    return tuple(out)


def diff(old: Iterable[catalogue.Item], new: Iterable[catalogue.Item]) -> Diff:
    """Items added, withdrawn, and each changed attribute old → new, sorted by code then attribute
    order; a changed record layout also field by field (:func:`diff_fields`).

    >>> d = diff(catalogue.default_items(), catalogue.default_items()[1:])
    >>> d.withdrawn, d.added, d.changed
    (('JJJ-01-001',), (), ())
    >>> item = catalogue.default_item("JJJ-04-002")
    >>> shorter = dataclasses.replace(item, fields=item.fields[1:], update_period="每周")
    >>> [(c.attribute, [(f.change, f.element) for f in c.field_changes]) for c in diff([item], [shorter]).changed]
    [('update_period', []), ('fields', [('dropped', 'YC_MC')])]
    """
    a, b = catalogue.items_by_code(old), catalogue.items_by_code(new)
    changed: list[Change] = []
    for code in sorted(a.keys() & b.keys()):
        before, after = catalogue.item_to_dict(a[code]), catalogue.item_to_dict(b[code])
        changed.extend(Change(code, k, before[k], after[k],
                              diff_fields(a[code].fields, b[code].fields) if k == "fields" else ())
                       for k in catalogue.CHANGEABLE if before[k] != after[k])
    return Diff(tuple(sorted(b.keys() - a.keys())), tuple(sorted(a.keys() - b.keys())), tuple(changed))


def recorded_changes(code: str, detail: Mapping[str, Any]) -> tuple[Change, ...]:
    """The attributes a change kept in an edition's changes records — ``detail``, each attribute's ``old``
    and ``new`` as services/credit/catalogue.change_item keeps them (a layout as its fields' plain forms) —
    as :func:`diff` gives them: in the order of :data:`~jjjcredit.core.credit.catalogue.CHANGEABLE`, a
    record layout also field by field (:func:`diff_fields`).

    >>> kept = {"update_period": {"old": "每日", "new": "实时"},
    ...         "fields": {"old": [{"name": "备注", "element": "BZ", "required": False, "max_length": 512}],
    ...                    "new": [{"name": "备注", "element": "BZ", "required": False, "max_length": 128}]}}
    >>> for c in recorded_changes("JJJ-03-001", kept):
    ...     print(c.attribute, [(f.element, f.attribute, f.old, f.new) for f in c.field_changes])
    update_period []
    fields [('BZ', 'max_length', 512, 128)]
    """
    order = {a: n for n, a in enumerate(catalogue.CHANGEABLE)}
    out = []
    for attribute in sorted(detail, key=lambda a: (order.get(a, len(order)), a)):
        old, new = detail[attribute].get("old"), detail[attribute].get("new")
        fields = diff_fields(_layout(old), _layout(new)) if attribute == "fields" else ()
        out.append(Change(code, attribute, old, new, fields))
    return tuple(out)


def _layout(plain: Any) -> tuple[catalogue.Field, ...]:
    """A layout from its fields' plain forms as a change keeps them (none: an empty layout)."""
    return tuple(catalogue.Field(str(f["name"]), str(f["element"]), bool(f.get("required", False)),
                                 f.get("max_length")) for f in plain or ())


def field_rows(c: Change) -> list[dict[str, Any]]:
    """A layout change field by field in its plain form, one object a field change: ``field`` (its element),
    ``field_name``, ``change`` (added, dropped, changed), ``field_attribute`` (name, required, max_length,
    position; ``None`` for a field added or dropped, whose ``new`` or ``old`` is the whole field), ``old``,
    ``new`` — as ``catalogue diff --format json``, ``catalogue changes`` and the API say it."""
    return [{"field": f.element, "field_name": f.name, "change": f.change, "field_attribute": f.attribute,
             "old": f.old, "new": f.new} for f in c.field_changes]


def change_rows(c: Change) -> list[dict[str, Any]]:
    """The plain rows of one changed attribute: ``item``, ``attribute``, ``old``, ``new`` — for the record
    layout one row a field change (:func:`field_rows`)."""
    if c.attribute != "fields":
        return [{"item": c.code, "attribute": c.attribute, "old": c.old, "new": c.new}]
    return [{"item": c.code, "attribute": c.attribute, **row} for row in field_rows(c)]


def diff_to_dict(d: Diff, year_a: int, year_b: int) -> dict[str, Any]:
    """A diff of two editions in its plain form: ``from``, ``to``, ``added``, ``withdrawn``, ``changed``
    (:func:`change_rows`)."""
    return {"from": year_a, "to": year_b, "added": list(d.added), "withdrawn": list(d.withdrawn),
            "changed": [row for c in d.changed for row in change_rows(c)]}


def attributes_to_dict(changes: Iterable[Change]) -> dict[str, Any]:
    """The attributes of one recorded change in their plain form, each ``{"old", "new"}`` — the record
    layout ``{"field_changes": [...]}`` (:func:`field_rows`)."""
    return {c.attribute: {"field_changes": field_rows(c)} if c.attribute == "fields" else {"old": c.old, "new": c.new}
            for c in changes}
