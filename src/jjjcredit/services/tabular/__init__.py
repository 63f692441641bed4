"""Reading what people send — text, CSV, XLSX, JSON Lines and XML files, in UTF-8 (with or without BOM)
or GB18030 — and writing the CSV people open in Excel.

Everything streams, within the limits of core/limits.py: a line longer than ``line_bytes`` (CSV, text,
JSON Lines) is skipped as it is read, a piece at a time, and stands as one rejected row
(``record.too_long``); a cell longer than ``cell_chars`` (any format; an XLSX shared string is measured
while it is parsed, before it is held) rejects its row naming the column. The rows after it are read
and counted as usual. Problems with the file itself — empty, binary, an encoding that changes
half-way, a truncated XLSX, a missing column — raise :class:`files.InputFileError` with a one-line
message that names the file and the place, and says what to do.

The modules:

- ``readers``: what the rest of the platform calls — ``open_table`` (a file's format from its content and
  name, then its whole rows as column chunks), ``read_column`` (one column of a CSV or XLSX file),
  ``read_lines`` and ``read_line_batches`` (a text file's lines);
- ``files``: a file opened for reading, ``InputFileError``, ``Cell``;
- ``decoding``: encodings (detected, or by the majority of lines) and text decoded a block or a line at a time
  (``Decoder``: lines over the limit skipped, rows in another encoding flagged);
- ``tables``: ``Table`` and ``Chunk``, what every format's reader gives, and the row issues they share;
- ``delimited``: CSV (and tab, semicolon or bar separated) files;
- ``xlsx``: the one XLSX reader (``XlsxRows``, behind ``open_table`` and ``read_column``);
- ``named``: JSON Lines and XML, records of named values;
- ``excel_csv``: every CSV a command writes (``csv_text``: UTF-8 with a BOM, or GB18030).
"""

import csv

# A quoted CSV cell may be as long as the limits allow (core/limits.py), far past the csv module's own
# bound; every reader of the package reads within those limits.
csv.field_size_limit(1 << 30)
