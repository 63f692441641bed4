"""What people paste: the one normalization every identifier's ``compact()`` shares.

Spaces (including full-width and non-breaking), hyphens and dashes, quotes and the ``=`` a
spreadsheet puts around a text cell are removed; full-width characters become half-width; letters
are upper-cased. Nothing is validated here.

>>> strip_identifier(" '91350100-m000100y43\\u3000")
'91350100M000100Y43'
>>> strip_identifier("９１３５０１００Ｍ０００１００Ｙ４３")
'91350100M000100Y43'
>>> strip_identifier('="D2143569-X"')
'D2143569X'
"""

from __future__ import annotations

import unicodedata

_REMOVE = (
    " \t\r\n\v\f\u00a0\u2007\u202f\u3000\ufeff"  # spaces, including full-width and the BOM
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_"  # hyphens and dashes
    "'\"`=\u2018\u2019\u201c\u201d"  # quotes, and the = of a spreadsheet formula
)
_TABLE = dict.fromkeys(map(ord, _REMOVE))


def removed_characters() -> str:
    """Every character :func:`strip_identifier` removes."""
    return _REMOVE


def strip_identifier(value: str) -> str:
    result = value.translate(_TABLE).upper()
    if result.isascii():
        return result
    # Full-width forms and other compatibility characters: normalize until nothing changes
    # (upper-casing can undo a normalization, e.g. "A" + combining accent), so the result is
    # stable under a second call.
    for _ in range(4):
        again = unicodedata.normalize("NFKC", result).translate(_TABLE).upper()
        if again == result:
            break
        result = again
    return result
