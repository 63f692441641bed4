"""What the tests of the credit record rules share: the default penalty item bound to the national header, and
one of its rows checked."""

from __future__ import annotations

import datetime

from jjjcredit.core.credit import catalogue, layouts, records, row_checks
from tests.services.credit import credit_files as files

TODAY = datetime.date(2026, 6, 1)
PENALTY = catalogue.default_item(files.PENALTY)
LAYOUT = layouts.bind(PENALTY, files.HEADER, "x.csv")
CODE = files.codes(1)[0]


def check(**changes: str) -> records.Checked:
    row = files.penalty(CODE, "石市监罚〔2026〕1号", **changes)
    return row_checks.check_row(LAYOUT, [row[h] for h in files.HEADER], 2, TODAY)


def codes_of(checked: records.Checked) -> list[str]:
    return [p.code for p in checked.problems]
