import datetime as dt

import pytest

from yiwang.core.models import HolidayYear
from yiwang.core.services import load_holiday_year
from yiwang.core.workdays import WorkdayCalendar, add_working_days, load_calendar

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
