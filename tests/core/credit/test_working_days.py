"""Working days under the State Council's holiday notices: make-up days count, holidays do not, and a
year without its notice is refused, never guessed."""

from __future__ import annotations

import datetime

import chinese_calendar
import pytest

from jjjcredit.core.credit import working_days
from jjjcredit.core.credit.working_days import Calendar, CalendarError, default, load_calendar
from jjjcredit.core.errors import ERROR_CODES, Error

D = datetime.date


def test_the_shipped_notices_cover_2024_to_2026():
    assert default().years == (2024, 2025, 2026)
    assert default() is default()
    assert isinstance(default(), Calendar)


@pytest.mark.parametrize("day", [D(2026, 1, 4), D(2024, 2, 18), D(2025, 9, 28), D(2024, 4, 7), D(2026, 9, 20)])
def test_a_make_up_sunday_is_a_working_day(day: datetime.date):
    assert day.weekday() == 6
    assert default().is_working_day(day)
    assert default().special_day(day).kind == "workday"


@pytest.mark.parametrize("day", [D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 10, 10), D(2025, 2, 8)])
def test_a_make_up_saturday_is_a_working_day(day: datetime.date):
    assert day.weekday() == 5
    assert default().is_working_day(day)


def test_ordinary_days():
    cal = default()
    assert cal.is_working_day(D(2026, 3, 3))  # a Tuesday
    assert not cal.is_working_day(D(2026, 3, 7))  # a Saturday
    assert not cal.is_working_day(D(2026, 3, 8))  # a Sunday
    assert cal.special_day(D(2026, 3, 3)) is None
    # 2024: New Year's Eve (除夕, 9 February) was only encouraged as a day off: a working day
    assert cal.is_working_day(D(2024, 2, 9))


@pytest.mark.parametrize("day", [D(2026, 1, 1), D(2026, 1, 2), D(2026, 2, 16), D(2026, 2, 23), D(2026, 4, 6),
                                 D(2026, 5, 4), D(2026, 5, 5), D(2026, 6, 19), D(2026, 9, 25), D(2026, 10, 7),
                                 D(2025, 10, 8), D(2024, 6, 10)])
def test_a_weekday_holiday_is_skipped(day: datetime.date):
    assert day.weekday() < 5
    assert not default().is_working_day(day)
    # the day before it, plus one working day, lands after it
    assert default().add_working_days(day - datetime.timedelta(days=1), 1) > day


def test_friday_plus_one_is_monday_unless_a_holiday():
    cal = default()
    assert cal.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    # Friday 2 October 2026 lies in the National Day holiday; from Wednesday 30 September, one working day on
    # is Thursday 8 October
    assert cal.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    # Friday 3 April 2026 + 1: Monday 6 April is Qingming, so Tuesday 7 April
    assert cal.add_working_days(D(2026, 4, 3), 1) == D(2026, 4, 7)


def test_a_seven_working_day_deadline_across_the_2026_spring_festival():
    cal = default()
    # Friday 13 February: Sat 14 (make-up) 1, holidays 15-23, Tue 24 … Fri 27 2-5, Sat 28 (make-up) 6, Mon 2 March 7
    assert cal.deadline(D(2026, 2, 13), 7) == D(2026, 3, 2)
    assert cal.add_working_days(D(2026, 2, 13), 7) == D(2026, 3, 2)
    assert cal.working_days_between(D(2026, 2, 13), D(2026, 3, 2)) == 7
    # counted from inside the holiday: the first working day is Tuesday 24 February
    assert cal.deadline(D(2026, 2, 15), 1) == D(2026, 2, 24)


def test_zero_and_negative_counts():
    cal = default()
    assert cal.add_working_days(D(2026, 2, 16), 0) == D(2026, 2, 16)
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 2, 13)) == -7
    with pytest.raises(CalendarError) as caught:
        cal.add_working_days(D(2026, 3, 2), -1)
    assert caught.value.code == "calendar.days"


def test_between_is_the_inverse_of_add_on_working_days():
    cal = default()
    start = D(2024, 1, 1)
    for n in range(0, 700, 7):
        end = cal.add_working_days(start, n)
        assert cal.working_days_between(start, end) == n
        assert n == 0 or cal.is_working_day(end)


@pytest.mark.parametrize("day", [D(2023, 12, 29), D(2027, 1, 4), D(1999, 5, 3)])
def test_an_uncovered_year_is_refused(day: datetime.date):
    cal = default()
    for call in (lambda: cal.is_working_day(day), lambda: cal.add_working_days(day, 1),
                 lambda: cal.deadline(day, 0), lambda: cal.working_days_between(day, D(2026, 6, 1)),
                 lambda: cal.working_days_between(D(2026, 6, 1), day), lambda: cal.special_day(day)):
        with pytest.raises(CalendarError) as caught:
            call()
        error = caught.value
        assert isinstance(error, Error)
        assert error.code == "calendar.year_not_covered"
        assert f"in {day.year} are not known" in error.message
        assert "2024, 2025, 2026" in error.message
        assert f"国务院办公厅关于{day.year}年部分节假日安排的通知" in error.message
        assert "working_days.csv" in error.message
    assert not cal.covers(day)


def test_crossing_into_an_uncovered_year_is_refused():
    cal = default()
    # Monday 28 December 2026: 29, 30, 31 December are three working days; the fourth would be in 2027
    assert cal.add_working_days(D(2026, 12, 28), 3) == D(2026, 12, 31)
    for n in (4, 5, 30):
        with pytest.raises(CalendarError, match="2027") as caught:
            cal.deadline(D(2026, 12, 28), n)
        assert caught.value.code == "calendar.year_not_covered"
    with pytest.raises(CalendarError, match="2027"):
        cal.working_days_between(D(2026, 12, 28), D(2027, 1, 5))
    with pytest.raises(CalendarError, match="2023"):
        cal.working_days_between(D(2024, 1, 3), D(2023, 12, 29))


def test_a_gap_between_covered_years_is_refused():
    cal = load_calendar("date,kind,name,notice\n2024-01-01,holiday,元旦,a\n2026-01-01,holiday,元旦,b\n")
    assert cal.years == (2024, 2026)
    with pytest.raises(CalendarError, match="2025"):
        cal.add_working_days(D(2024, 12, 30), 5)


@pytest.mark.parametrize(("text", "words"), [
    ("day,kind,name,notice\n", "header"),
    ("date,kind,name,notice\n2026-13-01,holiday,元旦,x\n", "not a date"),
    ("date,kind,name,notice\n2026-01-01,leave,元旦,x\n", "neither holiday nor workday"),
    ("date,kind,name,notice\n2026-01-05,workday,元旦,x\n", "Monday"),
    ("date,kind,name,notice\n2026-01-01,holiday,元旦,\n", "its notice"),
    ("date,kind,name,notice\n2026-01-01,holiday,元旦,x\n2026-01-01,holiday,元旦,x\n", "twice"),
    ("date,kind,name,notice\n2026-01-01,holiday,元旦\n", "3 cells"),
])
def test_a_damaged_data_file_is_refused(text: str, words: str):
    with pytest.raises(CalendarError, match=words) as caught:
        load_calendar(text)
    assert caught.value.code == "calendar.data"


def test_the_codes_are_in_the_error_table():
    for code in ("calendar.year_not_covered", "calendar.data", "calendar.days"):
        assert (ERROR_CODES[code].http_status, ERROR_CODES[code].exit_code) == (400, 2)


def test_every_row_names_a_notice_of_its_year():
    notices = {2024: "国办发明电〔2023〕7号", 2025: "国办发明电〔2024〕12号", 2026: "国办发明电〔2025〕7号"}
    for day in default().days:
        assert day.notice == notices[day.date.year], day
    assert working_days.KINDS == ("holiday", "workday")


def test_every_day_of_2024_to_2026_agrees_with_chinese_calendar():
    cal = default()
    checked = 0
    for year in cal.years:
        if year not in (2024, 2025, 2026):  # chinese_calendar 1.11 stops at 2026
            continue
        day = D(year, 1, 1)
        while day.year == year:
            assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
            special = cal.special_day(day)
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            assert (special is not None) == (name is not None), day
            if special is not None:
                assert (special.kind == "holiday") == on_holiday, day
            checked += 1
            day += datetime.timedelta(days=1)
    assert checked == 366 + 365 + 365
