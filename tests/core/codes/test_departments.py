"""The one department table: the registration departments that send files are entries of it, and
every other department table is derived from it (no copy left in the source to drift)."""

from __future__ import annotations

import re
from pathlib import Path

from jjjcredit.core.codes import departments
from jjjcredit.core.library import crosswalks, synthetic

SOURCE = Path(departments.__file__).parents[2]  # src/jjjcredit/..
#: A registration department's id mapped to its code, or a department defined outside the table.
_COPY = re.compile(r"""["'](market-regulation|civil-affairs|judicial-administration|institutional-establishment|"""
                   r"""religious-affairs|trade-unions)["']\s*:\s*\(?\s*["'][0-9A-Z]["']|\b_dept\(|\bDepartment\(""")


def test_the_registration_departments_are_entries_of_the_table():
    assert list(departments.REGISTRATION) == ["market-regulation", "civil-affairs", "judicial-administration",
                                              "institutional-establishment", "religious-affairs", "trade-unions"]
    for source, department in departments.REGISTRATION.items():
        assert department.source == source and departments.DEPARTMENTS[department.code] is department
    assert {d.source for d in departments.DEPARTMENTS.values()} - {None} == set(departments.REGISTRATION)
    assert sorted(d.code for d in departments.REGISTRATION.values()) == ["1", "3", "5", "7", "8", "9"]


def test_every_other_department_table_is_derived_from_it():
    assert {s: (d.code, d.zh) for s, d in departments.REGISTRATION.items()} == crosswalks.DEPARTMENTS
    assert {s: code for s, (code, _share) in synthetic.DEPARTMENT_SHARES.items()} == {
        s: d.code for s, d in departments.REGISTRATION.items()}
    assert [s.split("/")[1] for s in crosswalks.source_ids()][:6] == list(departments.REGISTRATION)


def test_no_copy_of_the_table_is_written_anywhere_else():
    copies = [f"{path.relative_to(SOURCE)}:{text.count(chr(10), 0, m.start()) + 1}"
              for path in sorted(SOURCE.rglob("*.py")) if path.name != "departments.py"
              for text in [path.read_text(encoding="utf-8")] for m in _COPY.finditer(text)]
    assert copies == []
