"""Writing the CSV people open in Excel: every CSV a command writes goes through :func:`csv_text`, in UTF-8
with a byte order mark or in GB18030 (``--csv-encoding``)."""

from __future__ import annotations

import io
from typing import IO

from jjjcredit.core.errors import Error

#: The encodings every CSV the platform writes can be in. Excel reads a CSV file as UTF-8 only when
#: it starts with a byte order mark ("utf-8-sig"), else in the system's code page, GB18030 on a
#: Chinese Windows; GB18030 covers all of Unicode, so no character is lost either way.
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
DEFAULT_CSV_ENCODING = "utf-8-sig"


class CsvEncodingError(Error, ValueError):
    """An encoding for CSV output other than :data:`CSV_ENCODINGS` (``usage.csv_encoding``)."""


def csv_encoding(encoding: str) -> str:
    """``encoding`` when CSV can be written in it, else :class:`CsvEncodingError`.

    >>> csv_encoding("gb18030")
    'gb18030'
    >>> try:
    ...     csv_encoding("latin-1")
    ... except CsvEncodingError as exc:
    ...     print(exc.code, exc.message[:57])
    usage.csv_encoding --csv-encoding "latin-1" is not known: expected utf-8-sig
    """
    if encoding not in CSV_ENCODINGS:
        raise CsvEncodingError("usage.csv_encoding", f'--csv-encoding "{encoding}" is not known: expected '
                               "utf-8-sig (UTF-8 with a byte order mark, the default) or gb18030.",
                               field="csv_encoding")
    return encoding


def csv_text(stream: IO[bytes], encoding: str = DEFAULT_CSV_ENCODING) -> io.TextIOWrapper:
    """A text stream over ``stream`` (a file opened "wb", or standard output's buffer) that writes CSV
    in ``encoding`` (one of :data:`CSV_ENCODINGS`; the BOM comes with the first write). Every command
    that writes CSV writes it through this. Flush it when done; :func:`release` leaves ``stream`` open.

    >>> import codecs, csv
    >>> out = io.BytesIO(); text = csv_text(out)
    >>> _ = csv.writer(text).writerow(["统一社会信用代码", "𠀀"]); text.flush()
    >>> out.getvalue()[:3] == codecs.BOM_UTF8, out.getvalue()[3:].decode() == "统一社会信用代码,𠀀\\r\\n"
    (True, True)
    """
    return io.TextIOWrapper(stream, encoding=csv_encoding(encoding), errors="strict", newline="",
                            write_through=False)


def release(text: io.TextIOWrapper) -> None:
    """Flush a :func:`csv_text` stream and hand its byte stream back, open."""
    text.flush()
    text.detach()
