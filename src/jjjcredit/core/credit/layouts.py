"""A credit file's header bound to its catalogue item's layout: which column holds which field (the item's own
name for it, the national column code or name, a common alias, or the provider's own header mapping), the
headers not in the layout, and the refusals of a header that cannot be bound (``credit.layout``: a required
field without a column, a field named twice, a mapping to a field the item does not have)."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jjjcredit.core.codes.personal import shown_personal
from jjjcredit.core.credit import catalogue, columns
from jjjcredit.core.credit.records import RecordsError


@dataclass(frozen=True)
class Bound:
    """A file column bound to a field of the item's layout."""

    index: int
    header: str
    field: catalogue.Field
    column: columns.Column


#: Roles of the fields that say whom a record is about, which decision it is and when (the subject, the
#: document number, the severity, the dates): a file is judged on its own columns of these, never on the
#: values a record holds.
OWN_ROLES = frozenset({"subject_name", "subject_category", "subject_code", "identity_number", "identity_type",
                       "document_number", "severity", "decided_on", "valid_until", "valid_from"})


@dataclass(frozen=True)
class Layout:  # (cached properties need a __dict__: no slots)
    """A file's header bound to an item: which column holds which field; headers not in the layout."""

    item: catalogue.Item
    bound: tuple[Bound, ...]
    ignored: tuple[str, ...]
    width: int

    def columns_by_role(self, role: str) -> tuple[Bound, ...]:
        return self._roles.get(role, ())

    @functools.cached_property
    def _roles(self) -> dict[str, tuple[Bound, ...]]:
        roles: dict[str, list[Bound]] = {}
        for b in self.bound:
            roles.setdefault(b.column.role, []).append(b)
        return {k: tuple(v) for k, v in roles.items()}

    @functools.cached_property
    def plan(self) -> tuple[tuple[Bound, int, str, int | None, str], ...]:
        """Per bound column: (bound, index, kind, length limit, role) — what check_row reads per cell.
        Only free text and identity numbers have a length to check; a code, a date, an amount or a word
        from a value list is judged by its kind (a licence status 撤销 is stored as its one-digit code)."""
        return tuple((b, b.index, b.column.kind, (b.field.max_length or b.column.max_length)
                      if b.column.kind in ("text", "identity_number") else None, b.column.role) for b in self.bound)

    @functools.cached_property
    def absent(self) -> frozenset[str]:
        """The column codes of the item's fields the file has no column for (an identity number, and a field
        of :data:`OWN_ROLES`, aside): a record the file sends again keeps the values it holds of them — a file
        that leaves a column out says nothing of it, where an empty cell clears a value."""
        bound = {b.field.element for b in self.bound}
        return frozenset(f.element for f in self.item.fields if f.element not in bound
                         and ((c := columns.COLUMNS.get(f.element)) is None
                              or (not c.personal and c.role not in OWN_ROLES)))

    @functools.cached_property
    def legal_reps(self) -> tuple[Bound, ...]:
        return tuple(b for b in self.bound if b.field.element.endswith("_FRDB"))


def _named(item: catalogue.Item) -> dict[str, catalogue.Field]:
    """Every header (as :func:`columns.header_key` reads it) that names one of ``item``'s fields: its own
    names and the national codes and names first, the common aliases after."""
    spellings: dict[str, catalogue.Field] = {}
    for f in item.fields:
        column = columns.COLUMNS.get(f.element) or columns.Column(f.element, f.name, max_length=f.max_length)
        for s in (f.name, f.element, column.name):
            spellings.setdefault(columns.header_key(s), f)
    for f in item.fields:
        national = columns.COLUMNS.get(f.element)
        for s in national.aliases if national else ():
            spellings.setdefault(columns.header_key(s), f)
    return spellings


def field_named(item: catalogue.Item, text: str) -> catalogue.Field | None:
    """The field of ``item`` that ``text`` names as a file's header would (its name, column code, national
    name or a common alias; full-width or half-width brackets and spaces alike), or ``None``."""
    return _named(item).get(columns.header_key(text))


def _spellings(item: catalogue.Item, own: Mapping[str, str] | None, name: str) -> dict[str, catalogue.Field]:
    """Every header that names one of ``item``'s fields (:func:`_named`), and the provider's own words."""
    spellings = _named(item)
    for mine, f in check_mapping(item, own or {}, name).items():
        spellings[columns.header_key(mine)] = f  # the provider's word wins
    return spellings


def fields_not_named(item: catalogue.Item, header: Sequence[str], own: Mapping[str, str] | None = None,
                     name: str = "") -> list[str]:
    """The names of ``item``'s optional fields that no header of ``header`` names (:func:`bind`'s
    spellings): the columns a file of named values (JSON Lines, XML) may give only in a later record (a
    required field missing from the first records is the file's layout error, said once)."""
    spellings = _spellings(item, own, name)
    named = {spellings[k].element for k in map(columns.header_key, header) if k in spellings}
    return [f.name for f in item.fields if f.element not in named and not f.required]


def names_in(item: catalogue.Item, row: Sequence[str], own: Mapping[str, str] | None = None, name: str = "") -> int:
    """How many cells of ``row`` name a field of ``item`` as :func:`bind` reads a header (a file's header, not the
    填报单位 line above it, names some)."""
    spellings = _spellings(item, own, name)
    return sum(1 for cell in row if columns.header_key(cell) in spellings)


def bind(item: catalogue.Item, header: Sequence[str], name: str, own: Mapping[str, str] | None = None,
         row: int = 0) -> Layout:
    """Bind a file's header to ``item``'s layout: a header names a field by the item's own name for
    it, the national column code, the national name, or a common alias — or as the provider's own
    mapping ``own`` says (its header → a field's name or column code). Raises :class:`RecordsError`
    (``credit.layout``) naming every required field without a column, a field named twice, or a
    mapping to a field the item does not have. ``row``: the file's row the header was read from (0: a file
    of named values), said when none of its cells names a field."""
    if item.kind == "basic":
        raise RecordsError("credit.basic_item", f"{item.code} ({item.name}) is registration information: it is "
                           "kept in the basic resource library and submitted as department record files "
                           "(jjjcredit library ingest), not as credit records.", field="item")
    if not item.fields:
        raise RecordsError("credit.layout", f"{item.code} ({item.name}) has no record layout in the catalogue; "
                           "a layout must be added to the item before records are submitted.", field="item")
    spellings = _spellings(item, own, name)
    bound: list[Bound] = []
    ignored: list[str] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(header):
        found = spellings.get(columns.header_key(text))
        if found is None:
            ignored.append(text)
            continue
        f = found
        if f.element in seen:
            raise RecordsError("credit.layout", shown_personal(f'{name}: columns "{seen[f.element]}" and "{text}" '
                               f'both hold {f.name} ({f.element}); keep one.'), field=shown_personal(text))
        seen[f.element] = text
        known = columns.COLUMNS.get(f.element) or columns.Column(f.element, f.name, max_length=f.max_length)
        bound.append(Bound(index, text, f, known))
    missing = [f for f in item.fields if f.required and f.element not in seen]
    if missing:
        unknown = [t for t in ignored if t.strip()]
        where = f" (row {row})" if row else ""
        read = (f" The header read{where} has {len(header)} columns; not recognised: "
                f"{'、'.join(f'“{t[:40]}”' for t in unknown[:12])}{' …' if len(unknown) > 12 else ''}."
                if unknown else f" The header read{where} has {len(header)} columns, none of them unrecognised.")
        if row and not seen:  # (a title or 填报单位 line of two cells or more, above the column names)
            read += (f" Row {row} is the first of the file with two cells or more filled, taken as its header: if the "
                     "column names are on a later row, delete the rows above them and send the file again.")
        raise RecordsError("credit.layout", shown_personal(
            f"{name}: the header has no column for {'、'.join(f'{f.name} ({f.element})' for f in missing)}, required "
            f"by {item.code} ({item.name}); expected the national column names (docs/credit.md) or the codes.{read}"
            f"{OWN_HEADERS if unknown else ''}"),
            field=missing[0].name)
    if not any(b.column.role == "document_number" for b in bound):
        raise RecordsError("credit.layout", shown_personal(name) + ": no column holds the document number that "
                           f"identifies a record of {item.code}; expected one of "
                           f"{'、'.join(f.name for f in item.fields if _role(f) == 'document_number')}.")
    if item.says_severity and not any(b.column.role == "severity" for b in bound):
        raise RecordsError("credit.layout", shown_personal(name) + ": no column says 失信严重程度 (XY_YZCD): "
                           f"{item.code} ({item.name}) allows {columns.severity_names(item.severities)}, and a record's "
                           "publication period follows its class, so every row says which; expected a column "
                           f"失信严重程度 holding one of {'、'.join(columns.SEVERITY_NAMES[s] for s in item.severities)}.",
                           field="失信严重程度")
    return Layout(item, tuple(bound), tuple(ignored), len(header))


#: How a provider maps headers of its own, said where a file's header names no required field.
OWN_HEADERS = (" Headers of your own are mapped to the item's fields by a header mapping: `credit ingest --columns "
               "MAPPING.yaml` (lines `处罚文号: 行政处罚决定书文号`) on the command line, `columns=处罚文号=行政处罚决定书文号` "
               "(once per header) in the API's query.")


def not_read(item: catalogue.Item, headers: Sequence[str]) -> str:
    """What a file is told of its columns that name no field of ``item`` (a layout's ``ignored``, blank headers
    left out): which were not read, the field a header is close to, and how a header of one's own is mapped —
    the same words on the command line and over the API, identity numbers masked.

    >>> item = catalogue.default_item("JJJ-03-001")
    >>> print(not_read(item, ["公示截至期"]).split(" Headers")[0])
    Column “公示截至期” (公示截止期?) of this file names no field of JJJ-03-001 (行政处罚信息) and was not read.
    """
    names = [f.name for f in item.fields]
    shown = [h for h in headers if h.strip()]
    said = []
    for header in shown[:12]:
        close = difflib.get_close_matches(columns.header_key(header), names, n=1, cutoff=0.6)
        unit = close and in_yuan(header) and "万元" in close[0]  # (a field in 万元: the values are not)
        said.append(f"“{header[:40]}”" + (f" ({close[0]}?{' in 万元, not 元' if unit else ''})" if close else ""))
    more = f" and {len(shown) - 12:,} more" if len(shown) > 12 else ""
    one = len(shown) == 1
    return shown_personal(f"Column{'' if one else 's'} {'、'.join(said)}{more} of this file name{'s' if one else ''} "
                          f"no field of {item.code} ({item.name}) and {'was' if one else 'were'} not read."
                          + OWN_HEADERS)


def check_mapping(item: catalogue.Item, own: Mapping[str, str], name: str) -> dict[str, catalogue.Field]:
    """A provider's header mapping (its header → a field's name or column code) as fields; refused
    (``credit.layout``) when it names a field the item does not have."""
    named = _named(item) if own else {}
    fields: dict[str, catalogue.Field] = {}
    for mine, target in own.items():
        found = named.get(columns.header_key(target))
        if found is None:
            raise RecordsError("credit.layout", shown_personal(
                f'{name}: the mapping sends "{mine}" to "{target}", which is not a field of {item.code}; expected '
                f"one of {'、'.join(f.name for f in item.fields)} (or their column codes)."), field=shown_personal(mine))
        column = columns.COLUMNS.get(found.element)
        if column is not None and column.kind == "amount" and in_yuan(mine):
            raise RecordsError("credit.layout", shown_personal(
                f'{name}: the mapping sends "{mine}", a column in 元, to "{target}", a field in 万元: its values '
                f"would be read 10,000 times too large. Convert the column's values to 万元 (5000 元 is 0.5) and "
                f"head it {found.name}, which needs no mapping; then send the file again."), field=shown_personal(mine))
        fields[mine] = found
    return fields


def in_yuan(header: str) -> bool:
    """Whether a header says its amounts are in 元 (or another unit than 万元), where amounts are kept in 万元.

    >>> in_yuan("罚款金额（元）"), in_yuan("罚款(人民币元)"), in_yuan("罚款金额（万元）"), in_yuan("罚款金额")
    (True, True, False, False)
    """
    return "元" in header and "万元" not in header


def _role(f: catalogue.Field) -> str:
    column = columns.COLUMNS.get(f.element)
    return column.role if column else ""
