"""Crosswalks: one department's own layout mapped onto the standard data elements.

The 3040 standard exists because Beijing, Tianjin and Hebei each described the same organization
with different fields. A crosswalk says, for one region × department, which of the department's
columns (headers as that department writes them, in Chinese) hold which element, and which value
transform (:mod:`jjjcredit.core.library.transforms`) reads its values. Crosswalks are configuration — YAML
files a deployment edits — parsed and checked here; reading the files is
:mod:`jjjcredit.services.library.crosswalks`' job. The shape::

    source: hebei/market-regulation
    title: 河北省市场监督管理局 市场主体登记信息
    encoding: gb18030
    columns:
      统一社会信用代码: uscc
      企业名称: name
      成立日期: {element: established, transform: date}
      注册资本(万元): {element: registered_capital, transform: capital_wan, required: true}

A column without a transform gets the element's default (:data:`transforms.DEFAULTS`). Several
headers may map to one element (departments renamed columns over the years); a file may use only
one of them. The standard layout — headers named by the elements' Chinese names or short names —
needs no crosswalk: :func:`standard`, and every crosswalk also accepts those headers.

>>> cw = parse("source: beijing/civil-affairs\\ntitle: t\\ncolumns:\\n  社会组织名称: name\\n  统一社会信用代码: uscc\\n", "x.yaml")
>>> cw.region, cw.department, cw.department_code, cw.region_prefix
('beijing', 'civil-affairs', '5', '11')
>>> cw.match("社会组织名称").element, cw.match("成立日期").element, cw.match("established").element
('name', 'established', 'established')
>>> parse("source: beijing/civil-affairs\\ncolumns:\\n  名称: nmae\\n", "x.yaml")
Traceback (most recent call last):
    ...
jjjcredit.core.library.crosswalks.CrosswalkError: x.yaml: column "名称" names an unknown element "nmae" (did you mean "name"?); the elements are listed in docs/elements.md.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from jjjcredit.core.codes import departments, regions
from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements, transforms

#: Regions: id → (GB/T 2260 province prefix, Chinese name), from :mod:`jjjcredit.core.codes.regions`.
REGIONS: dict[str, tuple[str, str]] = {r.id: (r.prefix, r.zh) for r in regions.REGIONS.values()}
#: Registration departments: id → (USCC position-1 department code, Chinese name), from
#: :mod:`jjjcredit.core.codes.departments`.
DEPARTMENTS: dict[str, tuple[str, str]] = {source: (d.code, d.zh) for source, d in departments.REGISTRATION.items()}
STANDARD = "standard"


class CrosswalkError(Error, ValueError):
    """A crosswalk (or a file's header against it) cannot be used. ``code`` is stable."""


@dataclass(frozen=True)
class Column:
    """One department column: its header as the department writes it, the element, the transform."""

    header: str
    element: str
    transform: str | None = None  #: ``None``: the element's default transform
    required: bool = False  #: the file must have this column (beyond the elements' own rule)

    @property
    def transform_name(self) -> str:
        return self.transform or transforms.DEFAULTS.get(self.element, "text")


@dataclass(frozen=True)
class Crosswalk:
    source: str  #: ``<region>/<department>``, or ``standard``
    region: str
    department: str
    title: str
    encoding: str  #: how the department usually sends files (readers still detect)
    columns: tuple[Column, ...]
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = self._index
        index.clear()
        for column in _standard_columns():
            index[header_key(column.header)] = column
            index[header_key(column.element)] = column
        for column in self.columns:
            index[header_key(column.header)] = column

    def match(self, header: str) -> Column | None:
        """The column a file header means: this crosswalk's headers first, then the standard ones."""
        return self._index.get(header_key(header))

    @property
    def region_prefix(self) -> str | None:
        """The province prefix of codes this source registers (``13`` for Hebei), if any."""
        return REGIONS[self.region][0] if self.region in REGIONS else None

    @property
    def department_code(self) -> str | None:
        """The USCC position-1 department code of this source, if any."""
        return DEPARTMENTS[self.department][0] if self.department in DEPARTMENTS else None

    @property
    def required(self) -> tuple[str, ...]:
        """Elements a file must have a column for: the elements' own rule plus the crosswalk's."""
        names = [e.name for e in elements.ELEMENTS if e.required]
        names += [c.element for c in self.columns if c.required and c.element not in names]
        return tuple(names)


def header_key(header: str) -> str:
    """The form headers are compared in: full-width → half-width, spaces and case ignored.

    >>> header_key(" 注册资本（万元） ") == header_key("注册资本(万元)")
    True
    """
    return "".join(unicodedata.normalize("NFKC", header).split()).lstrip("\ufeff").casefold()


def source_ids() -> list[str]:
    """Every region × department source id, in a stable order.

    >>> len(source_ids()), source_ids()[0]
    (18, 'beijing/market-regulation')
    """
    return [f"{r}/{d}" for r in REGIONS for d in DEPARTMENTS]


#: A department id: lower-case words joined by hyphens (``education``, ``market-regulation``). The six
#: registration departments are shipped; any other department (one whose layout a deployment writes,
#: e.g. ``beijing/education``) is named the same way.
_DEPARTMENT_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
_DEPARTMENT_ID_CHARS = 40


def split_source(source: str, origin: str = "source") -> tuple[str, str]:
    """``hebei/market-regulation`` → (``hebei``, ``market-regulation``), or :class:`CrosswalkError`.

    The region is one of the three; the department one of the six registration departments or
    another department's id in the same shape (lower-case words joined by hyphens).

    >>> split_source("beijing/education")
    ('beijing', 'education')
    >>> split_source("beijing/Education Bureau")
    Traceback (most recent call last):
        ...
    jjjcredit.core.library.crosswalks.CrosswalkError: Source "beijing/Education Bureau" is not known: expected <region>/<department> with region one of beijing, tianjin, hebei and department one of market-regulation, civil-affairs, judicial-administration, institutional-establishment, religious-affairs, trade-unions, or another department's id in lower-case words joined by hyphens (e.g. education).
    """
    where = "" if origin == "source" else f"{origin}: "
    region, _, department = source.partition("/")
    typo = difflib.get_close_matches(department, list(DEPARTMENTS), n=1, cutoff=0.85)
    if typo and typo[0] != department:  # one letter off a shipped department is a typo, not a new one
        raise CrosswalkError("crosswalk.source", f'{where}Source "{source}" is not known: did you mean '
                             f'"{region}/{typo[0]}"?')
    if region not in REGIONS or not (department in DEPARTMENTS or (
            _DEPARTMENT_ID.match(department) and len(department) <= _DEPARTMENT_ID_CHARS)):
        raise CrosswalkError(
            "crosswalk.source", f'{where}Source "{source}" is not known: expected <region>/<department> with '
            f"region one of {', '.join(REGIONS)} and department one of {', '.join(DEPARTMENTS)}, or another "
            "department's id in lower-case words joined by hyphens (e.g. education).")
    return region, department


@functools.cache
def _standard_columns() -> tuple[Column, ...]:
    return tuple(Column(e.zh, e.name, None) for e in elements.ELEMENTS)


@functools.cache
def standard() -> Crosswalk:
    """The standard layout: one column per element, headed by its Chinese (or short) name."""
    return Crosswalk(STANDARD, "", "", "标准数据元 standard data elements", "utf-8", _standard_columns())


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _column(header: object, spec: object, origin: str) -> Column:
    if not isinstance(header, str | int) or not str(header).strip():
        raise CrosswalkError("crosswalk.shape", f"{origin}: a column header is empty; give the header as the "
                             "department's files write it.")
    name = str(header).strip()
    transform: object = None
    required: object = False
    if isinstance(spec, dict):
        unknown = sorted(set(map(str, spec)) - {"element", "transform", "required"})
        if unknown:
            raise CrosswalkError("crosswalk.shape", f'{origin}: column "{name}" has unknown keys '
                                 f"{', '.join(unknown)}: expected element, transform, required.")
        element, transform, required = spec.get("element"), spec.get("transform"), spec.get("required", False)
    else:
        element = spec
    if not isinstance(element, str):
        raise CrosswalkError("crosswalk.shape", f'{origin}: column "{name}" must name an element, e.g. '
                             f'"{name}: name" or "{name}: {{element: name, transform: text}}".')
    if element not in elements.BY_NAME:
        raise CrosswalkError(
            "crosswalk.unknown_element", f'{origin}: column "{name}" names an unknown element "{element}"'
            f"{_suggest(element, list(elements.BY_NAME))}; the elements are listed in docs/elements.md.")
    if transform is not None and (not isinstance(transform, str) or transform not in transforms.TRANSFORMS):
        raise CrosswalkError(
            "crosswalk.unknown_transform", f'{origin}: column "{name}" names an unknown transform "{transform}"'
            f"{_suggest(str(transform), list(transforms.TRANSFORMS))}: expected one of "
            f"{', '.join(transforms.TRANSFORMS)}.")
    if not isinstance(required, bool):
        raise CrosswalkError("crosswalk.shape", f'{origin}: column "{name}": required must be true or false.')
    return Column(name, element, transform, required)


def parse(text: str, origin: str) -> Crosswalk:
    """A crosswalk from YAML text; ``origin`` (a file name) starts every message.

    Every unknown element and transform is refused here, before any file is read against it.
    """
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise CrosswalkError("crosswalk.syntax", f"{origin}: is not valid YAML{where} ({problem}).") from None
    if not isinstance(data, dict):
        raise CrosswalkError("crosswalk.shape", f"{origin}: expected a mapping with source, title, encoding "
                             "and columns.")
    unknown = sorted(set(map(str, data)) - {"source", "title", "encoding", "columns", "notes"})
    if unknown:
        raise CrosswalkError("crosswalk.shape", f"{origin}: unknown keys {', '.join(unknown)}: expected source, "
                             "title, encoding, columns (and notes).")
    source = data.get("source")
    if not isinstance(source, str):
        raise CrosswalkError("crosswalk.shape", f"{origin}: has no source: expected e.g. "
                             "source: hebei/market-regulation.")
    region, department = split_source(source, origin)
    encoding = data.get("encoding", "utf-8")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise CrosswalkError("crosswalk.shape", f'{origin}: encoding "{encoding}" is not known: expected utf-8 '
                             "or gb18030.") from None
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise CrosswalkError("crosswalk.shape", f"{origin}: columns must map each department header to an "
                             "element, e.g. 企业名称: name.")
    parsed = tuple(_column(h, spec, origin) for h, spec in columns.items())
    keys: dict[str, str] = {}
    for column in parsed:
        key = header_key(column.header)
        if key in keys:
            raise CrosswalkError("crosswalk.shape", f'{origin}: headers "{keys[key]}" and "{column.header}" are '
                                 "the same header written twice.")
        keys[key] = column.header
    return Crosswalk(source, region, department, str(data.get("title") or source), str(encoding), parsed)


def dump(crosswalk: Crosswalk) -> str:
    """YAML text of a crosswalk (``parse(dump(c), o) == c``).

    >>> c = standard(); c2 = parse(dump(Crosswalk("hebei/trade-unions", "hebei", "trade-unions", "t", "utf-8", c.columns[:2])), "x")
    >>> [col.element for col in c2.columns]
    ['uscc', 'orgcode']
    """
    columns: dict[str, object] = {}
    for c in crosswalk.columns:
        if c.transform is None and not c.required:
            columns[c.header] = c.element
        else:
            spec: dict[str, object] = {"element": c.element}
            if c.transform is not None:
                spec["transform"] = c.transform
            if c.required:
                spec["required"] = True
            columns[c.header] = spec
    data = {"source": crosswalk.source, "title": crosswalk.title, "encoding": crosswalk.encoding,
            "columns": columns}
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def starter(header: Sequence[str], source: str, encoding: str, origin: str, known: Sequence[Crosswalk]) -> str:
    """A starter layout (YAML with comments) for a file with ``header`` from ``source``: each header
    the standard layout or a ``known`` layout maps is mapped the same way (its transform too); the
    others are left commented out, marked TODO, for the engineer to map or leave out; the required
    elements no column holds yet are named. ``parse`` reads the result as it is.

    >>> text = starter(["统一社会信用代码", "学校名称", "成立日期"], "beijing/education", "utf-8", "f.csv", [])
    >>> print(text.split("columns:")[1].strip())
    "统一社会信用代码": uscc
      # "学校名称": TODO  # not recognized: an element of docs/elements.md, or delete the line (the column is then not checked)
      "成立日期": established
    # TODO: no column yet for the required name (机构名称): map the header that holds it.
    >>> parse(text, "layout.yaml").source
    'beijing/education'
    """
    split_source(source)
    index: dict[str, tuple[Column, str]] = {}
    for crosswalk in (standard(), *known):
        for column in (*crosswalk.columns, *(_standard_columns() if crosswalk is standard() else ())):
            index.setdefault(header_key(column.header), (column, crosswalk.source))
    for column in _standard_columns():
        index.setdefault(header_key(column.element), (column, STANDARD))
    lines = [
        f"# The layout of {source}'s files, started by `jjjcredit records layout` from the header of {origin}.",
        "# Each line under columns maps one header, as the department writes it, to a standard data element",
        "# (docs/elements.md), with the transform that reads its values where the element's default does not",
        "# (docs/cli.md, records layout). Check every line, map or delete the TODO lines, then use the file",
        "# with --layout FILE, or put it in the layouts directory (JJJCREDIT_CROSSWALKS_DIR) as",
        f"# {source.replace('/', '-')}.yaml.",
        f"source: {source}",
        f"title: {json.dumps(source, ensure_ascii=False)}  # TODO: the department and what its files hold",
        f"encoding: {'utf-8' if encoding.replace('_', '-').lower() in ('utf-8', 'utf-8-sig', 'utf8') else encoding}",
        "columns:",
    ]
    mapped: set[str] = set()
    seen: set[str] = set()
    for raw in header:
        name = raw.strip().lstrip("\ufeff")
        key = header_key(name)
        if not name or key in seen:
            continue
        seen.add(key)
        quoted = json.dumps(name, ensure_ascii=False)
        found = index.get(key)
        if found is None or found[0].element in mapped:
            why = ("not recognized: an element of docs/elements.md, or delete the line (the column is then "
                   "not checked)") if found is None else f"{found[0].element} is mapped to an earlier column"
            lines.append(f"  # {quoted}: TODO  # {why}")
            continue
        column = found[0]
        mapped.add(column.element)
        transform = column.transform if column.transform != transforms.DEFAULTS.get(column.element) else None
        spec = f"{{element: {column.element}, transform: {transform}}}" if transform else column.element
        lines.append(f"  {quoted}: {spec}")
    for name in standard().required:
        if name not in mapped:
            lines.append(f"# TODO: no column yet for the required {name} ({elements.BY_NAME[name].zh}): map the "
                         "header that holds it.")
    return "\n".join(lines) + "\n"
