"""Writing synthetic department files: each region × department in its own layout, as it would send them.

``write_demo_data(out, count, seed)`` writes, for every region and department, ``<region>-<department>.csv``
with the department's own headers (its crosswalk) and values written the way its transforms read
them (``2019年3月5日`` or ``2019/3/5`` where a column is read by ``date``, 元 under ``capital_yuan``,
存续/注销/吊销 under ``status_words`` …), in the crosswalk's encoding. Organizations whose name changed
appear in the main file with their former name and again in ``<region>-<department>-changes.csv``, a
later change batch in the same layout (transaction 变更, later approval and update dates). A
``manifest.json`` lists the files, rows, seed, and every injected mistake.

**Mistakes** (a share ``mistake_rate`` of the rows of the main files, default 1 %): a code typo (one
character changed, or two neighbours swapped — always invalid), an impossible date (``2023-02-30``,
in the file's own date style) where the layout has a date, a duplicate of a recent row. One file
also gets a block of rows in the other encoding (GB18030 inside UTF-8 or the reverse), placed past
the first 64 KiB where the file is that long, as exports glued together from two systems are. The
mistakes draw from their own random generator: the same seed gives the same organizations with or
without mistakes.

Everything streams: one organization at a time, CSV text encoded in chunks; memory does not grow
with ``count`` (the manifest lists at most :data:`LISTED_ROWS` row numbers per kind and file).
"""

from __future__ import annotations

import codecs
import concurrent.futures
import csv
import datetime
import functools
import io
import json
import operator
import random
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from jjjcredit.core.codes import uscc
from jjjcredit.core.errors import Error
from jjjcredit.core.library import elements, synthetic
from jjjcredit.core.library.crosswalks import Column, Crosswalk
from jjjcredit.core.library.synthetic import Organization
from jjjcredit.services.library import crosswalks as crosswalk_files

#: Mistake kinds, as named in the manifest.
CODE_TYPO, IMPOSSIBLE_DATE, DUPLICATE_ROW, MIXED_ENCODING = (
    "code_typo", "impossible_date", "duplicate_row", "mixed_encoding")
MISTAKE_KINDS = (CODE_TYPO, IMPOSSIBLE_DATE, DUPLICATE_ROW, MIXED_ENCODING)
#: Row numbers listed per mistake kind and file in the manifest (counts are always complete).
LISTED_ROWS = 1000
#: Organizations per segment: the unit of work of one process (fixed, so output never depends on
#: the number of processes).
SEGMENT = 50_000
#: Organizations per file that a manifest keeps as :attr:`Manifest.sample` (the first ones of the file
#: written without a mistake): subjects for other demo data, e.g. credit records.
SAMPLE_PER_FILE = 200
#: Rows encoded together before writing.
_CHUNK = 2000
_SAMPLE = 1 << 16  # what tabular readers look at to detect the encoding


class DemoDataError(Error, ValueError):
    """Options that cannot be used. ``code`` is stable (docs/errors.md)."""


@dataclass(frozen=True)
class FilePlan:
    """One department file: ``rows`` organizations with indexes from ``start``."""

    region: str
    department: str
    rows: int
    start: int

    @property
    def source(self) -> str:
        return f"{self.region}/{self.department}"

    @property
    def stem(self) -> str:
        return f"{self.region}-{self.department}"


@dataclass
class MistakeLog:
    count: int = 0
    rows: list[int] = field(default_factory=list)

    def add(self, row: int) -> None:
        self.count += 1
        if len(self.rows) < LISTED_ROWS:
            self.rows.append(row)


@dataclass
class FileReport:
    file: str
    source: str
    kind: str  #: "full" or "changes"
    encoding: str
    rows: int = 0
    organizations: int = 0
    date_style: str = ""
    mistakes: dict[str, MistakeLog] = field(default_factory=dict)

    def log(self, kind: str, row: int) -> None:
        self.mistakes.setdefault(kind, MistakeLog()).add(row)

    def to_json(self) -> dict[str, object]:
        return {"file": self.file, "source": self.source, "kind": self.kind, "encoding": self.encoding,
                "rows": self.rows, "organizations": self.organizations, "date_style": self.date_style,
                "mistakes": {k: {"count": m.count, "rows": m.rows, "complete": m.count == len(m.rows)}
                             for k, m in sorted(self.mistakes.items())}}


@dataclass(frozen=True)
class Subject:
    """An organization written without a mistake (so the library holds it once the files are
    ingested), as other demo data names it."""

    uscc: str
    name: str
    region: str
    department: str  #: the crosswalk department id, e.g. ``market-regulation``
    legal_rep: str
    division: str
    address: str
    business_scope: str


@dataclass
class Manifest:
    seed: int
    count: int
    regions: tuple[str, ...]
    mistake_rate: float
    files: list[FileReport] = field(default_factory=list)
    #: The first :data:`SAMPLE_PER_FILE` organizations of each file written without a mistake (not in
    #: ``manifest.json``; the same for the same seed and options, whatever the number of processes).
    sample: list[Subject] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def name_changes(self) -> int:
        return sum(f.rows for f in self.files if f.kind == "changes")

    def mistakes(self) -> dict[str, int]:
        totals = dict.fromkeys(MISTAKE_KINDS, 0)
        for f in self.files:
            for kind, log in f.mistakes.items():
                totals[kind] += log.count
        return totals

    def to_json(self) -> dict[str, object]:
        return {"generator": "jjjcredit demo-data", "seed": self.seed, "count": self.count,
                "regions": list(self.regions), "mistake_rate": self.mistake_rate, "rows": self.rows,
                "organizations": self.count, "name_changes": self.name_changes, "mistakes": self.mistakes(),
                "files": [f.to_json() for f in self.files]}


def plan(count: int, regions: Sequence[str]) -> list[FilePlan]:
    """Rows per region × department file, in proportion to :data:`synthetic.REGION_SHARES` and
    :data:`synthetic.DEPARTMENT_SHARES` (largest remainders, so the rows add up to ``count``; every
    file gets at least one row once ``count`` allows it).

    >>> [(p.stem, p.rows) for p in plan(1000, ["tianjin"])][:3]
    [('tianjin-market-regulation', 927), ('tianjin-institutional-establishment', 31), ('tianjin-civil-affairs', 16)]
    >>> sum(p.rows for p in plan(12345, ["beijing", "hebei"]))
    12345
    """
    total_share = sum(synthetic.REGION_SHARES[r] for r in regions)
    cells = [(r, d, synthetic.REGION_SHARES[r] / total_share * share / 100)
             for r in regions for d, (_code, share) in synthetic.DEPARTMENT_SHARES.items()]
    floor = 1 if count >= 20 * len(cells) else 0
    rest = count - floor * len(cells)
    exact = [rest * share for _r, _d, share in cells]
    rows = [int(e) for e in exact]
    by_remainder = sorted(range(len(cells)), key=lambda i: (-(exact[i] - rows[i]), i))
    for i in by_remainder[: rest - sum(rows)]:
        rows[i] += 1
    plans, start = [], 0
    for (region, department, _share), n in zip(cells, rows, strict=True):
        plans.append(FilePlan(region, department, n + floor, start))
        start += n + floor
    return plans


# --- how each department writes values ---------------------------------------------------------

DATE_STYLES: dict[str, str] = {"iso": "%Y-%m-%d", "chinese": "{y}年{m}月{d}日", "slash": "{y}/{m}/{d}",
                               "compact": "%Y%m%d"}
_DATE_STYLE_WEIGHTS = (("iso", 4.0), ("chinese", 2.0), ("slash", 2.0), ("compact", 1.0))


def impossible_date(style: str, year: int, rng: random.Random) -> str:
    """A date that does not exist (February 30th, April 31st, ...) written in ``style``.

    >>> impossible_date("chinese", 2023, random.Random(1))[:5]
    '2023年'
    """
    month, day = ((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31))[int(rng.random() * 6)]
    if style == "iso":
        return f"{year}-{month:02d}-{day}"
    if style == "chinese":
        return f"{year}年{month}月{day}日"
    if style == "slash":
        return f"{year}/{month}/{day}"
    return f"{year}{month:02d}{day}"


_STATUS_MARKET = {"1": "存续（在营、开业、在册）", "2": "经营异常", "3": "吊销，未注销", "4": "注销", "9": "迁出"}
_STATUS_SHORT = {"1": "存续", "2": "异常", "3": "吊销", "4": "注销", "9": "其他"}
_STATUS_SOCIAL = {"1": "正常", "2": "活动异常", "3": "撤销", "4": "注销", "9": "其他"}
_TRANSACTIONS = {"01": "设立", "02": "变更", "03": "注销", "11": "机关", "12": "机关内设机构", "90": "其他"}
_CURRENCIES = {v.code: v.zh for v in elements.CURRENCY.values()}
_ECONOMIC = {v.code: v.zh for v in elements.ECONOMIC_TYPE.values()}


@dataclass(frozen=True)
class Style:
    """How one file writes its values (drawn once per file)."""

    date: str
    capital_decimals: bool
    status: dict[str, str]
    id_type: str
    disclosure: tuple[str, str]
    long_division: bool
    industry_letter: bool
    hyphenated_orgcode: bool

    @classmethod
    def draw(cls, rng: random.Random, department: str) -> Style:
        weights = _DATE_STYLE_WEIGHTS
        r, total, date = rng.random() * sum(w for _, w in weights), 0.0, weights[-1][0]
        for name, w in weights:
            total += w
            if r < total:
                date = name
                break
        status = (_STATUS_MARKET if rng.random() < 0.6 else _STATUS_SHORT) if department == "market-regulation" \
            else _STATUS_SOCIAL
        return cls(date, rng.random() < 0.4, status, "居民身份证" if rng.random() < 0.7 else "身份证",
                   ("是", "否") if rng.random() < 0.5 else ("公开", "不公开"), rng.random() < 0.3,
                   rng.random() < 0.3, rng.random() < 0.5)


#: Element → the :class:`~jjjcredit.core.library.synthetic.Organization` attribute that holds its value.
ATTRIBUTES: dict[str, str] = {e.name: e.name for e in elements.ELEMENTS} | {
    "address_division": "division", "operating_address": "address", "operating_division": "division",
    "registered_capital": "capital",
}
_DATE_ELEMENTS = frozenset(("established", "approved", "last_updated", "valid_from", "valid_to"))


@functools.cache
def _dates(style: str) -> dict[int, str]:
    """Every date a synthetic organization can carry, written in ``style`` (0: no date → empty)."""
    pattern = DATE_STYLES[style]
    table = {0: ""}
    start = synthetic.FIRST_DATE.toordinal()
    for ordinal in range(start, synthetic.LAST_DATE.toordinal() + 51 * 366):
        day = datetime.date.fromordinal(ordinal)
        table[ordinal] = (day.strftime(pattern) if "%" in pattern
                          else pattern.format(y=day.year, m=day.month, d=day.day))
    return table


@functools.cache
def _with_section(industry: str) -> str:
    return (elements.industry_section(industry) or "") + industry


def _converter(element: str, transform: str, style: Style) -> Callable[[Any], str] | None:
    """How one column turns the organization's attribute into the text the department writes, given
    the transform that will read it; ``None`` when the attribute is already that text."""
    if element in _DATE_ELEMENTS:
        return _dates(style.date).__getitem__
    if element == "registered_capital":
        if transform == "capital_yuan":
            return (lambda c: f"{c}.00" if c else "") if style.capital_decimals else (lambda c: str(c) if c else "")
        if style.capital_decimals:
            return lambda c: f"{c / 10_000:.4f}".rstrip("0").rstrip(".") if c else ""
        return synthetic.wan
    table: dict[str, str] | None = {
        "status": style.status, "transaction_type": _TRANSACTIONS, "currency": _CURRENCIES,
        "economic_type": _ECONOMIC, "legal_rep_id_type": {"10": style.id_type},
        "disclosure": {"1": style.disclosure[0], "2": style.disclosure[1]},
    }.get(element)
    if table is not None:
        return table.__getitem__
    if element in ("address_division", "operating_division") and style.long_division:
        return lambda d: d + "000000"
    if element == "industry" and style.industry_letter:
        return _with_section
    if element == "orgcode" and style.hyphenated_orgcode:
        return lambda c: c[:8] + "-" + c[8]
    if element == "employees":
        return str
    return None


def row_writer(columns: Sequence[Column], style: Style) -> Callable[[Organization], list[str]]:
    """A function writing one organization as the cells of a row in ``columns``' order.

    >>> import random
    >>> from jjjcredit.core.library.crosswalks import standard
    >>> codes = synthetic.CodeSpace.draw(random.Random(1))
    >>> org = next(synthetic.organizations(random.Random(1), codes, "hebei", "civil-affairs", 1))
    >>> cells = row_writer(standard().columns, Style.draw(random.Random(2), "civil-affairs"))(org)
    >>> cells[0] == org.uscc, len(cells)
    (True, 32)
    """
    getter = operator.attrgetter(*(ATTRIBUTES[c.element] for c in columns))
    converters = [(i, f) for i, c in enumerate(columns)
                  if (f := _converter(c.element, c.transform_name, style)) is not None]

    def write(org: Organization) -> list[str]:
        cells = list(getter(org))
        for i, convert in converters:
            cells[i] = convert(cells[i])
        return cells

    return write


# --- mistakes ----------------------------------------------------------------------------------

def code_typo(code: str, rng: random.Random) -> str:
    """The code with one character changed or two different neighbours swapped; always invalid.

    >>> bad = code_typo("91350100M000100Y43", random.Random(3))
    >>> len(bad), uscc.is_valid(bad), bad != "91350100M000100Y43"
    (18, False, True)
    """
    alphabet = uscc.ALPHABET
    for _ in range(50):
        chars = list(code)
        i = int(rng.random() * len(chars))
        if rng.random() < 0.6 or i == len(chars) - 1:
            chars[i] = alphabet[(alphabet.index(chars[i]) + 1 + int(rng.random() * 30)) % 31] \
                if chars[i] in alphabet else "0"
        elif chars[i] != chars[i + 1]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        candidate = "".join(chars)
        if candidate != code and not uscc.is_valid(candidate):
            return candidate
    return code[:-1] + ("0" if code[-1] != "0" else "1")


# --- files -------------------------------------------------------------------------------------

class _Sink:
    """CSV text in chunks, encoded on the way out; a block of rows can go out in another encoding."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.stream = path.open("wb")
        self.encoding = _codec(encoding)
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\r\n")
        self.pending = 0
        self.written = 0  #: bytes written so far

    def row(self, cells: list[str]) -> None:
        self.csv.writerow(cells)
        self.pending += 1
        if self.pending >= _CHUNK:
            self.flush()

    def flush(self, encoding: str | None = None) -> None:
        data = self.buffer.getvalue().encode(encoding or self.encoding)
        self.stream.write(data)
        self.written += len(data)
        self.buffer.seek(0)
        self.buffer.truncate()
        self.pending = 0

    def close(self) -> None:
        self.flush()
        self.stream.close()


def _codec(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "-") in ("utf-8-sig", "utf8") else encoding


def _other_encoding(encoding: str) -> str:
    return "utf-8" if encoding.lower().replace("_", "").replace("-", "") in ("gb18030", "gbk", "gb2312") \
        else "gb18030"


@dataclass(frozen=True)
class _Segment:
    """A fixed slice of one file, generated on its own (possibly in another process): the output
    does not depend on how many processes run."""

    out: Path
    seed: int
    file: FilePlan
    number: int
    start: int  #: organization index of the first organization
    rows: int
    crosswalk: Crosswalk
    codes: synthetic.CodeSpace
    mistake_rate: float
    mixed_encoding: bool
    name_change_share: float

    @property
    def part(self) -> Path:
        return self.out / f".{self.file.stem}.{self.number:05d}.part"

    @property
    def change_part(self) -> Path:
        return self.out / f".{self.file.stem}-changes.{self.number:05d}.part"


@dataclass
class _SegmentResult:
    rows: int = 0
    organizations: int = 0
    changes: int = 0
    mistakes: dict[str, MistakeLog] = field(default_factory=dict)
    sample: list[Subject] = field(default_factory=list)

    def log(self, kind: str, row: int) -> None:
        self.mistakes.setdefault(kind, MistakeLog()).add(row)


def _write_segment(segment: _Segment) -> _SegmentResult:
    """Write one segment's rows (no header) to its part files; rows are numbered from 1 here."""
    file, crosswalk = segment.file, segment.crosswalk
    style = Style.draw(random.Random(f"jjjcredit-demo:{segment.seed}:{file.source}:style"), file.department)
    columns = layout(crosswalk)
    write = row_writer(columns, style)
    code_column = next((i for i, c in enumerate(columns) if c.element == "uscc"), None)
    date_columns = [i for i, c in enumerate(columns) if c.transform_name == "date"]
    result = _SegmentResult()
    sink = _Sink(segment.part, crosswalk.encoding)
    change_sink: _Sink | None = None
    tag = f"jjjcredit-demo:{segment.seed}:{file.source}:{segment.number}"
    rng = random.Random(tag)
    mistakes = random.Random(tag + ":mistakes")
    mistake_rate = segment.mistake_rate
    recent: list[list[str]] = []
    block = max(1, min(100, segment.rows // 20))
    block_start = block_end = -1
    row_number = 0

    def emit(cells: list[str]) -> None:
        nonlocal row_number, block_start, block_end
        row_number += 1
        if segment.mixed_encoding and block_start < 0 and (
                sink.written + sink.buffer.tell() > _SAMPLE or row_number >= segment.rows // 2):
            sink.flush()
            block_start, block_end = row_number, row_number + block - 1
        sink.row(cells)
        if row_number == block_end:
            sink.flush(_other_encoding(sink.encoding))
            for r in range(block_start, block_end + 1):
                result.log(MIXED_ENCODING, r)

    try:
        for org in synthetic.organizations(rng, segment.codes, file.region, file.department, segment.rows,
                                           segment.start, segment.name_change_share):
            cells = write(synthetic.before_change(org) if org.former_name else org)
            kind = None
            if mistake_rate and mistakes.random() < mistake_rate:
                kind = _mistake(mistakes, cells, code_column, date_columns, style)
            emit(cells)
            if kind is None and segment.number == 0 and len(result.sample) < SAMPLE_PER_FILE \
                    and not block_start <= row_number <= block_end:
                result.sample.append(Subject(org.uscc, org.name, file.region, file.department, org.legal_rep,
                                             org.division, org.address, org.business_scope))
            if kind is None:
                if not block_start <= row_number <= block_end:  # duplicates copy readable rows only
                    if len(recent) < 500:
                        recent.append(cells)
                    else:
                        recent[row_number % 500] = cells
            elif kind == DUPLICATE_ROW:
                emit(recent[int(mistakes.random() * len(recent))] if recent else cells)
                result.log(DUPLICATE_ROW, row_number)
            else:
                result.log(kind, row_number)
            if org.former_name:
                if change_sink is None:
                    change_sink = _Sink(segment.change_part, crosswalk.encoding)
                change_sink.row(write(org))
                result.changes += 1
        sink.close()
        if change_sink is not None:
            change_sink.close()
    finally:
        sink.stream.close()
        if change_sink is not None:
            change_sink.stream.close()
    result.rows, result.organizations = row_number, segment.rows
    return result


def _mistake(rng: random.Random, cells: list[str], code_column: int | None, date_columns: list[int],
             style: Style) -> str:
    """Apply one mistake to ``cells`` in place (or ask for a duplicate row); return its kind."""
    kinds = [k for k, ok in ((CODE_TYPO, code_column is not None),
                             (IMPOSSIBLE_DATE, any(cells[i] for i in date_columns)),
                             (DUPLICATE_ROW, True)) if ok]
    kind = kinds[int(rng.random() * len(kinds))]
    if kind == CODE_TYPO and code_column is not None:
        cells[code_column] = code_typo(cells[code_column], rng)
    elif kind == IMPOSSIBLE_DATE:
        filled = [i for i in date_columns if cells[i]]
        i = filled[int(rng.random() * len(filled))]
        cells[i] = impossible_date(style.date, 1995 + int(rng.random() * 30), rng)
    return kind


def layout(crosswalk: Crosswalk) -> tuple[Column, ...]:
    """The columns a file in this layout has: the crosswalk's, in its order, with the first header of
    each element only (a crosswalk lists older names of a column too; a file uses one of them)."""
    seen: set[str] = set()
    columns = []
    for column in crosswalk.columns:
        if column.element not in seen:
            seen.add(column.element)
            columns.append(column)
    return tuple(columns)


def _header(path: Path, crosswalk: Crosswalk) -> BinaryIO:
    stream = path.open("wb")
    if crosswalk.encoding.lower().replace("_", "-") == "utf-8-sig":
        stream.write(codecs.BOM_UTF8)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([c.header for c in layout(crosswalk)])
    stream.write(buffer.getvalue().encode(_codec(crosswalk.encoding)))
    return stream


def _append(stream: BinaryIO, part: Path) -> None:
    if part.exists():
        with part.open("rb") as source:
            shutil.copyfileobj(source, stream, 1 << 20)
        part.unlink()


def write_demo_data(out: Path, count: int, seed: int = 0,
                    regions: Iterable[str] = tuple(synthetic.REGIONS), mistake_rate: float = 0.01,
                    name_change_share: float = synthetic.NAME_CHANGE_SHARE, jobs: int = 1,
                    crosswalk_directory: Path | None = None) -> Manifest:
    """Write the department files for ``count`` organizations into ``out`` (created if missing) and
    ``manifest.json``; return the manifest. ``jobs`` processes share the work; the files are the same
    for any number. Raises :class:`DemoDataError` for options it cannot use."""
    chosen = tuple(dict.fromkeys(regions))
    unknown = [r for r in chosen if r not in synthetic.REGIONS]
    if not chosen or unknown:
        raise DemoDataError("usage.regions", f"unknown region {', '.join(repr(r) for r in unknown) or '(none)'}: "
                            f"expected a comma-separated list of {', '.join(synthetic.REGIONS)}.")
    if count < 1:
        raise DemoDataError("usage.count", f"The number of organizations must be at least 1, found {count}.")
    if not 0 <= mistake_rate <= 0.5:
        raise DemoDataError("usage.mistakes", "The share of rows with mistakes is between 0 and 0.5, "
                            f"found {mistake_rate}.")
    if jobs < 1:
        raise DemoDataError("usage.jobs", f"The number of processes must be at least 1, found {jobs}.")
    if out.exists() and not out.is_dir():
        raise DemoDataError("usage.out", f"{out}: exists and is not a folder; name a folder for the files.")
    out.mkdir(parents=True, exist_ok=True)
    manifest = Manifest(seed, count, chosen, mistake_rate)
    codes = synthetic.CodeSpace.draw(random.Random(f"jjjcredit-demo:{seed}:codes"))
    plans = plan(count, chosen)
    mixed = max(range(len(plans)), key=lambda i: (plans[i].rows, -i)) if mistake_rate > 0 else -1
    segments: list[_Segment] = []
    for i, file in enumerate(plans):
        crosswalk = crosswalk_files.load(file.source, crosswalk_directory)
        for number, first in enumerate(range(0, max(file.rows, 1), SEGMENT)):
            rows = min(SEGMENT, file.rows - first)
            segments.append(_Segment(out, seed, file, number, file.start + first, rows, crosswalk, codes,
                                     mistake_rate, i == mixed and number == 0, name_change_share))
    pool = concurrent.futures.ProcessPoolExecutor(jobs) if jobs > 1 else None
    try:
        results = pool.map(_write_segment, segments) if pool else map(_write_segment, segments)
        _assemble(out, segments, results, manifest)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
        for segment in segments:  # left behind only when something failed
            segment.part.unlink(missing_ok=True)
            segment.change_part.unlink(missing_ok=True)
    (out / "manifest.json").write_text(json.dumps(manifest.to_json(), ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    return manifest


def _assemble(out: Path, segments: Sequence[_Segment], results: Iterable[_SegmentResult],
              manifest: Manifest) -> None:
    """Concatenate the parts of each file in order, renumbering the mistakes' rows."""
    full = changes = FileReport("", "", "", "")
    stream: BinaryIO | None = None
    change_stream: BinaryIO | None = None

    def finish() -> None:
        if stream is not None:
            stream.close()
            manifest.files.append(full)
        if change_stream is not None:
            change_stream.close()
            manifest.files.append(changes)

    try:
        for segment, result in zip(segments, results, strict=True):
            file, crosswalk = segment.file, segment.crosswalk
            if segment.number == 0:
                finish()
                stream = change_stream = None
                style = Style.draw(random.Random(f"jjjcredit-demo:{segment.seed}:{file.source}:style"),
                                   file.department)
                full = FileReport(f"{file.stem}.csv", file.source, "full", crosswalk.encoding, date_style=style.date)
                changes = FileReport(f"{file.stem}-changes.csv", file.source, "changes", crosswalk.encoding,
                                     date_style=style.date)
                stream = _header(out / full.file, crosswalk)
            assert stream is not None
            offset = full.rows + 1  # the header is row 1, as a spreadsheet shows it
            for kind, log in sorted(result.mistakes.items()):
                target = full.mistakes.setdefault(kind, MistakeLog())
                target.count += log.count
                target.rows.extend(r + offset for r in log.rows[: max(0, LISTED_ROWS - len(target.rows))])
            full.rows += result.rows
            manifest.sample.extend(result.sample)
            full.organizations += result.organizations
            _append(stream, segment.part)
            if result.changes:
                if change_stream is None:
                    change_stream = _header(out / changes.file, crosswalk)
                _append(change_stream, segment.change_part)
                changes.rows += result.changes
                changes.organizations += result.changes
        finish()
    finally:
        for open_stream in (stream, change_stream):
            if open_stream is not None:
                open_stream.close()
