"""Checking record files: the work behind ``jjjcredit records check``.

A file (CSV, XLSX, JSON Lines or XML; see :func:`readers.open_table`) is bound to its source's
crosswalk before any row is read, then checked in chunks by :class:`records.Checker`, streaming:
memory holds one chunk, the cached value results, and the codes seen so far (for duplicates,
about 130 bytes per distinct code). Every row read is counted once as valid, with warnings or
rejected; blank rows are counted apart.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from jjjcredit.core.library import records
from jjjcredit.core.library.crosswalks import Crosswalk
from jjjcredit.core.library.records import Problem
from jjjcredit.core.limits import DEFAULT as DEFAULT_LIMITS
from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import readers, tables


@dataclass
class Summary:
    """Counts for one file; ``rows`` = ``valid`` + ``warnings`` + ``rejected``, always."""

    file: str = ""
    source: str = ""
    layout: str = ""
    format: str = ""
    encoding: str | None = None
    header_row: int = 0
    rows: int = 0
    valid: int = 0
    warnings: int = 0
    rejected: int = 0
    blank: int = 0
    problems: int = 0
    by_code: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  #: header as written → element
    ignored: tuple[str, ...] = ()  #: headers not in the layout (not checked)
    error: dict[str, str] | None = None  #: set when the file stopped being readable part-way

    def add(self, batch: records.Batch) -> None:
        self.rows += batch.rows
        self.valid += batch.valid
        self.warnings += batch.warnings
        self.rejected += batch.rejected
        self.blank += batch.blank
        self.problems += len(batch.problems)
        by_code = self.by_code
        for p in batch.problems:
            by_code[p.code] = by_code.get(p.code, 0) + 1

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file, "source": self.source, "layout": self.layout, "format": self.format,
            "encoding": self.encoding, "header_row": self.header_row, "rows": self.rows, "valid": self.valid,
            "warnings": self.warnings, "rejected": self.rejected, "blank": self.blank, "problems": self.problems,
            "by_code": dict(sorted(self.by_code.items(), key=lambda kv: (-kv[1], kv[0]))),
            "columns": self.columns, "ignored": list(self.ignored),
            **({"error": self.error} if self.error else {}),
        }


def check_file(path: str, crosswalk: Crosswalk, summary: Summary, *,
               chunk_rows: int = tables.ROWS_PER_CHUNK,
               suggestions: int = records.SUGGESTIONS, limits: Limits = DEFAULT_LIMITS) -> Iterator[Problem]:
    """Every problem of the file, in row order, filling ``summary`` as it goes.

    Raises :class:`files.InputFileError` when the file cannot be read (before any row, or at the
    place where it stops being readable) and :class:`records.LayoutError` when its header does not
    fit the layout (before any row). A line or cell over ``limits`` is a rejected row (``record.too_long``).
    """
    with readers.open_table(path, chunk_rows, limits) as table:
        layout = records.bind(crosswalk, table.header, table.name)
        summary.file = table.name
        summary.source = crosswalk.source
        summary.layout = crosswalk.title
        summary.format = table.format
        summary.encoding = table.encoding
        summary.header_row = table.header_row
        summary.columns = {b.header: b.element.name for b in layout.columns}
        summary.ignored = layout.ignored
        checker = records.Checker(layout, suggestions=suggestions, spill=tempfile.TemporaryFile)
        try:
            for chunk in table.chunks:
                batch = checker.check_columns(chunk.first_row, chunk.size, chunk.columns, chunk.issues,
                                              chunk.stripped, chunk.longest)
                summary.add(batch)
                yield from batch.problems
        finally:
            checker.close()
