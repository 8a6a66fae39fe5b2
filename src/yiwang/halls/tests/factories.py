"""Factories of the halls app: a hall open on weekdays, a window with one item."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from yiwang.catalog.tests.factories import COUNTY_CODE, ImplementationFactory, region_by_code
from yiwang.core.workdays import load_calendar

from ..constants import HallKind
from ..models import Hall, Window

WEEKDAY_HOURS = {str(day): [["09:00", "12:00"], ["13:30", "17:00"]] for day in range(5)}


class HallFactory(DjangoModelFactory):
    class Meta:
        model = Hall

    name = factory.Sequence(lambda n: f"测试政务服务中心{n}")
    kind = HallKind.CENTRE
    region = factory.LazyFunction(lambda: region_by_code(COUNTY_CODE))
    address = "广安市广安区测试路 1 号"
    phone = "0826-1234567"
    opening_hours = factory.LazyFunction(lambda: dict(WEEKDAY_HOURS))
    slot_minutes = 30


class WindowFactory(DjangoModelFactory):
    class Meta:
        model = Window
        skip_postgeneration_save = True

    hall = factory.SubFactory(HallFactory)
    number = factory.Sequence(lambda n: n % 30000 + 1)
    name = "综合窗口"
    department = None
    capacity = 1

    @factory.post_generation
    def implementations(obj, create, extracted, **kwargs):
        if create:
            obj.implementations.set(extracted if extracted is not None else [ImplementationFactory()])


def next_working_day(after: dt.date | None = None) -> dt.date:
    """The first working day after ``after`` (today by default)."""
    day = after or timezone.localdate()
    calendar = load_calendar({day.year, day.year + 1})
    while True:
        day += dt.timedelta(days=1)
        if calendar.is_working_day(day):
            return day


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())
