"""Publication periods (core/credit/periods.py): months from the decision, the window of a severity's rule,
and where a provider's stated end falls."""

from __future__ import annotations

import datetime

from jjjcredit.core.credit import catalogue
from jjjcredit.core.credit.periods import add_months, stated_end, window

PENALTY = catalogue.default_item("JJJ-03-001")
DECIDED = datetime.date(2026, 4, 10)


def test_months_are_added_with_the_end_of_a_shorter_month_clamped():
    assert add_months(datetime.date(2025, 1, 31), 1) == datetime.date(2025, 2, 28)
    assert add_months(datetime.date(2024, 1, 31), 1) == datetime.date(2024, 2, 29)
    assert add_months(datetime.date(2025, 12, 31), 3) == datetime.date(2026, 3, 31)
    assert add_months(datetime.date(2025, 11, 30), 3) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2025, 5, 15), 0) == datetime.date(2025, 5, 15)


def test_the_window_runs_from_the_minimum_to_the_maximum_of_the_severity_s_rule():
    assert window(PENALTY, "serious", DECIDED) == (datetime.date(2027, 4, 10), datetime.date(2029, 4, 10))
    assert window(PENALTY, None, DECIDED) is None
    assert window(catalogue.default_item("JJJ-03-002"), "serious", DECIDED) is None  # a licence: no window


def test_a_stated_end_outside_the_window_says_which_day_holds():
    assert stated_end(PENALTY, "serious", DECIDED, datetime.date(2026, 12, 31)) == (
        datetime.date(2027, 4, 10), "before the minimum")
    assert stated_end(PENALTY, "serious", DECIDED, datetime.date(2030, 1, 1)) == (
        datetime.date(2029, 4, 10), "after the maximum")
    assert stated_end(PENALTY, "serious", DECIDED, datetime.date(2029, 4, 10)) is None


def test_a_window_worked_out_once_is_the_same_items_and_another_item_gets_its_own():
    """Windows are kept by item, severity and day: an item of the same code with other rules (a later edition)
    never gets the first one's, however many items come and go."""
    import dataclasses
    import gc

    first = window(PENALTY, "serious", DECIDED)
    assert first == window(PENALTY, "serious", DECIDED) and first is not None and first[1] == datetime.date(2029, 4, 10)
    for months in range(1, 40):  # items made and dropped: an id used again is never taken for another item's
        rules = tuple(dataclasses.replace(r, min_months=0, max_months=months) for r in PENALTY.period_rules)
        other = dataclasses.replace(PENALTY, period_rules=rules)
        assert window(other, "serious", DECIDED) == (DECIDED, add_months(DECIDED, months))
        del other
        gc.collect()
    assert window(PENALTY, "serious", DECIDED) == first
