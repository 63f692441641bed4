"""The one region table: its names are GB/T 2260's, and every other table of the three regions is
derived from it (no copy left in the source to drift)."""

from __future__ import annotations

import re
from pathlib import Path

from jjjcredit.core.codes import divisions, regions
from jjjcredit.core.library import crosswalks, synthetic

SOURCE = Path(regions.__file__).parents[2]  # src/jjjcredit/..
#: A region id mapped to its province prefix, or a tuple of the prefixes written out.
_COPY = re.compile(r"""["'](beijing|tianjin|hebei)["']\s*:\s*\(?\s*["']1[123]["']|\(\s*["']11["']\s*,\s*["']12["']""")


def test_the_names_and_prefixes_are_those_of_gb_t_2260():
    for region in regions.REGIONS.values():
        assert divisions.latest_name(region.prefix + "0000") == region.zh
        assert regions.by_prefix(region.prefix) is region
        # A municipality's districts and counties sit directly under it; a province has prefectures.
        above = {divisions.prefecture_name(c) for c in divisions.codes()
                 if c.startswith(region.prefix) and not c.endswith("0000")}
        assert (above <= {"市辖区", "县"}) is region.municipality, above
    assert regions.PREFIXES == ("11", "12", "13")


def test_every_other_region_table_is_derived_from_it():
    assert {r.id: (r.prefix, r.zh) for r in regions.REGIONS.values()} == crosswalks.REGIONS
    assert {r.id: r.prefix for r in regions.REGIONS.values()} == synthetic.REGIONS
    assert [s.split("/")[0] for s in crosswalks.source_ids()][::6] == list(regions.REGIONS)


def test_no_copy_of_the_table_is_written_anywhere_else():
    copies = [f"{path.relative_to(SOURCE)}:{text.count(chr(10), 0, m.start()) + 1}"
              for path in sorted(SOURCE.rglob("*.py")) if path.name != "regions.py"
              for text in [path.read_text(encoding="utf-8")] for m in _COPY.finditer(text)]
    assert copies == []
