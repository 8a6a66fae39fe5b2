import datetime as dt

import pytest

from yiwang.core.models import HolidayYear
from yiwang.core.services import load_holiday_year
from yiwang.core.workdays import DayUnit, WorkdayCalendar, add_working_days, as_working_days, load_calendar

pytestmark = pytest.mark.django_db


def test_national_day_week_is_skipped_and_make_up_saturday_counts():
    # given the 2026 calendar (loaded for every test database)
    calendar = load_calendar([2026])
    # when a 3-working-day limit starts on 30 September
    due = calendar.add_working_days(dt.date(2026, 9, 30), 3)
    # then the holiday week is skipped and the make-up working Saturday 10 October counts
    assert not calendar.is_working_day(dt.date(2026, 10, 5))
    assert calendar.is_working_day(dt.date(2026, 10, 10))
    assert due == dt.date(2026, 10, 10)


def test_spring_festival_2026():
    calendar = load_calendar()
    assert not calendar.is_working_day(dt.date(2026, 2, 17))
    assert (
        calendar.working_days_between(dt.date(2026, 2, 13), dt.date(2026, 2, 24)) == 2
    )  # 14 Feb (make-up), 24 Feb


def test_unpublished_year_falls_back_to_weekends_and_is_reported():
    # given 2027, whose calendar had not been published
    assert not HolidayYear.objects.get(year=2027).is_published
    calendar = load_calendar()
    # when a deadline crosses into it
    due = calendar.add_working_days(dt.date(2026, 12, 31), 2)
    # then it counts Monday to Friday and says so
    assert due == dt.date(2027, 1, 4)
    assert calendar.unpublished_years == {2027}


def test_far_future_year_never_crashes():
    assert add_working_days(dt.date(2099, 12, 30), 5) == dt.date(2100, 1, 6)


def test_loading_a_year_replaces_it():
    load_holiday_year(
        data={
            "year": 2027,
            "papers": ["测试"],
            "days": [
                {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
                {"name": "元旦", "date": "2027-01-04", "isOffDay": True},
            ],
        }
    )
    calendar = load_calendar([2027])
    assert calendar.unpublished_years == set()
    assert calendar.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 5)


def test_negative_days_rejected():
    with pytest.raises(ValueError, match="negative"):
        WorkdayCalendar().add_working_days(dt.date(2026, 1, 1), -1)


def test_calendar_days_across_national_day_end_on_the_next_working_day():
    # given the 2026 calendar: 1–7 October off, Saturday 10 October a make-up working day
    calendar = load_calendar([2026])
    # when a 5-calendar-day limit starts on 30 September, its last day (5 October) is a holiday
    due = calendar.add_calendar_days(dt.date(2026, 9, 30), 5)
    # then it ends on the first working day after the holiday, 8 October (民法典第二百零三条)
    assert due == dt.date(2026, 10, 8)
    # and a working-day limit of the same length runs to 13 October (8, 9, 10 (make-up), 12, 13)
    assert calendar.add_days(dt.date(2026, 9, 30), 5, DayUnit.WORKING) == dt.date(2026, 10, 13)


def test_calendar_days_ending_on_a_make_up_saturday_end_there():
    calendar = load_calendar([2026])
    # 30 September + 10 days = Saturday 10 October, a make-up working day
    assert calendar.add_days(dt.date(2026, 9, 30), 10, DayUnit.CALENDAR) == dt.date(2026, 10, 10)


def test_calendar_days_across_a_month_end():
    calendar = load_calendar([2026])
    # 30 calendar days from 30 January end on Sunday 1 March, so on Monday 2 March
    assert calendar.add_calendar_days(dt.date(2026, 1, 30), 30) == dt.date(2026, 3, 2)
    # 15 calendar days from 20 April end on 5 May, inside the Labour Day holiday (1–5 May): so 6 May
    assert calendar.add_calendar_days(dt.date(2026, 4, 20), 15) == dt.date(2026, 5, 6)
    # 3 calendar days from 28 February (Saturday) end on Tuesday 3 March, a working day
    assert calendar.add_calendar_days(dt.date(2026, 2, 28), 3) == dt.date(2026, 3, 3)


def test_working_days_across_a_month_end():
    calendar = load_calendar([2026])
    # 3 working days from Friday 27 February: 28 February (make-up Saturday), 2 and 3 March
    assert calendar.add_days(dt.date(2026, 2, 27), 3, DayUnit.WORKING) == dt.date(2026, 3, 3)
    # 3 working days from Friday 30 January: 2, 3, 4 February
    assert calendar.add_days(dt.date(2026, 1, 30), 3, DayUnit.WORKING) == dt.date(2026, 2, 4)


def test_zero_days_is_the_start_day_and_unknown_units_are_refused():
    calendar = load_calendar([2026])
    assert calendar.add_days(dt.date(2026, 10, 3), 0, DayUnit.CALENDAR) == dt.date(2026, 10, 3)
    with pytest.raises(ValueError):
        calendar.add_days(dt.date(2026, 10, 3), 1, "lunar")


def test_as_working_days_is_the_stated_comparison_rule():
    assert as_working_days(60, DayUnit.CALENDAR) == 42
    assert as_working_days(3, DayUnit.CALENDAR) == 2
    assert as_working_days(10, DayUnit.WORKING) == 10
