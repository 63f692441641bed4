"""The platform's three regions — Beijing, Tianjin, Hebei — in one table: the id sources and options
name them by (``hebei/market-regulation``, ``--regions beijing,hebei``), the GB/T 2260 province prefix
(positions 3-4 of a unified social credit code) and the name. Every other region table is derived
from this one.

>>> REGIONS["hebei"].prefix, REGIONS["hebei"].zh
('13', '河北省')
>>> PREFIXES
('11', '12', '13')
>>> by_prefix("12").id, by_prefix("35")
('tianjin', None)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    id: str  #: as sources and options name it
    prefix: str  #: GB/T 2260 province prefix (positions 3-4 of a code)
    zh: str
    en: str
    municipality: bool  #: a municipality: its districts have no prefecture between them and the province


REGIONS: dict[str, Region] = {r.id: r for r in (
    Region("beijing", "11", "北京市", "Beijing", True),
    Region("tianjin", "12", "天津市", "Tianjin", True),
    Region("hebei", "13", "河北省", "Hebei", False),
)}
#: The province prefixes of the regions, in the table's order.
PREFIXES: tuple[str, ...] = tuple(r.prefix for r in REGIONS.values())
_BY_PREFIX = {r.prefix: r for r in REGIONS.values()}


def by_prefix(prefix: str) -> Region | None:
    """The region of a province prefix (``13`` → Hebei), or ``None`` for a province outside the three."""
    return _BY_PREFIX.get(prefix)
