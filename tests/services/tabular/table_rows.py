"""What the tests of the readers share: a header of three columns, and a file read whole."""

from __future__ import annotations

from pathlib import Path

from jjjcredit.core.limits import Limits
from jjjcredit.services.tabular import readers, tables

HEADER = ["统一社会信用代码", "企业名称", "成立日期"]


def read(path: Path, chunk_rows: int = tables.ROWS_PER_CHUNK, limits: Limits = Limits(), arrow: bool = False):
    """(table, [(row number, cells) ...], {row number: issue code}); ``arrow``: plain blocks split by pyarrow."""
    with readers.open_table(str(path), chunk_rows, limits, arrow=arrow) as table:
        rows, issues = [], {}
        for chunk in table.chunks:
            cells = list(zip(*chunk.columns, strict=True)) if chunk.columns and chunk.size else []
            assert len(cells) == chunk.size or not chunk.columns
            for i in range(chunk.size):
                rows.append((chunk.first_row + i, list(cells[i]) if cells else []))
            issues.update({chunk.first_row + i: issue[0] for i, issue in chunk.issues.items()})
        return table, rows, issues
