"""Cells of the CSV people open in a spreadsheet: a text a spreadsheet would run as a formula is written
with a leading apostrophe, so it shows as the text it is (OWASP's advice on CSV injection).

Every CSV written for people goes through :func:`guarded` — rejects, problems, reports, the catalogue's
export, the element list. CSV that only machines read (an exchange package's data, a bulk load, a
synthetic input file) is written as it is: a mark there would change the value the other side reads.

>>> guarded([3, '=HYPERLINK("http://x","y")', "+86 138", "-1", "@SUM(A1)", "\\t=1", "\\r=1", "罚1", None])
[3, '\\'=HYPERLINK("http://x","y")', "'+86 138", "'-1", "'@SUM(A1)", "'\\t=1", "'\\r=1", '罚1', None]
"""

from __future__ import annotations

from collections.abc import Iterable

#: What a cell a spreadsheet could run as a formula starts with: ``=``, ``+``, ``-``, ``@``, and a tab or a
#: carriage return before one (OWASP's list).
FORMULA_FIRST = ("=", "+", "-", "@", "\t", "\r")


def text_cell(text: str) -> str:
    """A text a spreadsheet will not run as a formula.

    >>> text_cell("=1+1"), text_cell("行政处罚")
    ("'=1+1", '行政处罚')
    """
    return "'" + text if text[:1] in FORMULA_FIRST else text


def guarded(row: Iterable[object]) -> list[object]:
    """A row to write: each text as :func:`text_cell` has it, any other value (a row number) as it is."""
    return [text_cell(v) if isinstance(v, str) else v for v in row]
