"""The size of everything the platform accepts: one frozen value, its defaults here, each a setting
(``JJJCREDIT_LIMIT_<NAME>``, read in settings.py; the table is docs/limits.md). Each is checked before
the work it bounds, so an input over it costs what the limit allows, not what the input holds.

>>> Limits().body_bytes
4194304
>>> Limits.from_env({"JJJCREDIT_LIMIT_BODY_BYTES": "2048"}).body_bytes
2048
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate

from jjjcredit.core.errors import Error


@dataclass(frozen=True)
class Limits:
    #: Bytes of one HTTP request body (Content-Length, or counted as a body without one streams in).
    body_bytes: int = 4 << 20
    #: Seconds a request's body may take to arrive whole (a body sent a byte at a time holds its memory).
    body_seconds: int = 30
    #: Connections served at once by each worker; past it a new one is answered 503 at once.
    connections: int = 256
    #: Bytes of a URL's query string, and characters of its path (every route's own are far shorter: a code,
    #: a subject key, a batch id).
    query_string_bytes: int = 8192
    path_chars: int = 1024
    #: Bytes of one header's value, and of all the headers of a request together.
    header_bytes: int = 8192
    headers_bytes: int = 32768
    #: Characters of the X-Purpose header (after percent-decoding).
    purpose_chars: int = 200
    #: How deep arrays and objects may nest in a JSON body.
    json_depth: int = 32
    #: Queries in one reconciliation batch, and characters of one query's text.
    reconcile_queries: int = 50
    query_chars: int = 200
    #: Bytes of one line of a CSV, text or JSON Lines file; characters of one cell of any file.
    line_bytes: int = 1 << 20
    cell_chars: int = 32768
    #: Rows of one batch of credit records submitted through the API (a file on the command line has none:
    #: its size is the operator's): a compressed workbook can hold many more rows than its bytes suggest.
    api_rows: int = 100_000
    #: Bytes of an exchange package's data file or part (an import reads one whole: refused above this,
    #: before it is read or hashed).
    exchange_file_bytes: int = 1 << 30
    #: Rows of a data file or part an import reads (as its signed manifest declares them: a Parquet file
    #: takes many times its size in memory once read).
    exchange_file_rows: int = 1_000_000
    #: Bytes and rows of an exported package's data file before its data goes on in a next part (bytes
    #: more only when one batch of rows is), and bytes of all of an imported package's files together.
    exchange_part_bytes: int = 128 << 20
    exchange_part_rows: int = 200_000
    exchange_package_bytes: int = 64 << 30
    #: Changes (sequence numbers of a feed) one federation message covers at most: a larger backlog
    #: goes as several messages, each applied in a transaction of its own.
    federation_message_changes: int = 10_000
    #: Comments an edition takes in 24 hours from one sender (a key's client, or an address without one) — not
    #: by author's name, which anyone may sign with: a comment period is for the public's word, not for one
    #: voice repeated.
    comments_per_day: int = 20

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Limits:
        """Each field from ``JJJCREDIT_LIMIT_<FIELD>`` when set (a positive integer)."""
        given: dict[str, int] = {}
        for f in dataclasses.fields(cls):
            raw = (env.get(f"JJJCREDIT_LIMIT_{f.name.upper()}") or "").strip()
            if raw:
                value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else 0
                if value < 1:
                    raise Error("settings.invalid",
                                f"JJJCREDIT_LIMIT_{f.name.upper()} must be a whole number of at least 1, not {raw!r}.")
                given[f.name] = value
        return cls(**given)


#: The defaults, for callers given no settings.
DEFAULT = Limits()

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(data: bytes | str) -> int:
    """How deep arrays and objects nest in a JSON text (brackets inside strings left out); linear, and
    no parser involved, so it can be asked before one recurses.

    >>> json_depth(b'{"items": [{"name": "[[[\\\\\\"]"}]}'), json_depth(b"[" * 5), json_depth('"x"')
    (3, 5, 0)
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)
