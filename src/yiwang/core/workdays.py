"""Working-day calendar: Monday to Friday, corrected by the statutory holiday table.

A year with no published calendar falls back to plain weekends and is reported (``unpublished_years``)
so administrators can load it; it never raises.

Time limits come in two units (ADR 0008): working days (工作日) count only working days; calendar days
(自然日) count every day, and when the last day is a rest day the limit ends on the next working day
(民法典第二百零三条). Both count from the day after ``start``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class DayUnit(models.TextChoices):
    """The unit a time limit is stated in, as its source states it."""

    WORKING = "working", _("工作日")
    CALENDAR = "calendar", _("自然日")


@dataclass
class WorkdayCalendar:
    """Holiday overrides by date, for the years that were loaded."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)  # date -> is_off_day
    published_years: set[int] = field(default_factory=set)
    unpublished_years: set[int] = field(default_factory=set)

    def _note_year(self, year: int) -> None:
        if year not in self.published_years and year not in self.unpublished_years:
            self.unpublished_years.add(year)
            logger.warning("No statutory holiday calendar for %s: counting weekends only", year)

    def is_working_day(self, day: dt.date) -> bool:
        self._note_year(day.year)
        if day in self.overrides:
            return not self.overrides[day]
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date on which a limit of ``days`` working days counted from the day after ``start`` ends."""
        if days < 0:
            raise ValueError("days must not be negative")
        current, remaining = start, days
        while remaining:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def add_calendar_days(self, start: dt.date, days: int) -> dt.date:
        """The last day of a limit of ``days`` calendar days from the day after ``start``; a limit whose
        last day is a rest day (weekend or statutory holiday) ends on the next working day."""
        if days < 0:
            raise ValueError("days must not be negative")
        if days == 0:
            return start
        current = start + dt.timedelta(days=days)
        while not self.is_working_day(current):
            current += dt.timedelta(days=1)
        return current

    def add_days(self, start: dt.date, days: int, unit: str) -> dt.date:
        """The deadline of a limit of ``days`` in ``unit`` (a ``DayUnit`` value) counted from ``start``."""
        if unit == DayUnit.WORKING:
            return self.add_working_days(start, days)
        if unit == DayUnit.CALENDAR:
            return self.add_calendar_days(start, days)
        raise ValueError(f"unknown day unit {unit!r}")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working_day(current)
        return count


def load_calendar(years: Iterable[int] | None = None) -> WorkdayCalendar:
    """Build a calendar from the holiday table (all years, or just ``years``)."""
    from .models import Holiday, HolidayYear

    holidays = Holiday.objects.all()
    year_rows = HolidayYear.objects.filter(is_published=True)
    if years is not None:
        years = list(years)
        holidays = holidays.filter(date__year__in=years)
        year_rows = year_rows.filter(year__in=years)
    return WorkdayCalendar(
        overrides={row.date: row.is_off_day for row in holidays},
        published_years=set(year_rows.values_list("year", flat=True)),
    )


def add_working_days(start: dt.date, days: int) -> dt.date:
    """Convenience for one-off deadline computations."""
    return load_calendar().add_working_days(start, days)


def add_days(start: dt.date, days: int, unit: str) -> dt.date:
    """Convenience for one-off deadline computations in either unit."""
    return load_calendar().add_days(start, days, unit)


def as_working_days(days: int, unit: str) -> int:
    """The working days a limit surely holds, to compare limits of different units without a start date:
    a calendar-day limit holds at least five working days in each full seven days (holidays are made up
    by make-up working days within the year, so the rule is exact on average and errs on the short side
    around a long holiday); a working-day limit is itself."""
    if unit == DayUnit.CALENDAR:
        return days * 5 // 7
    return days
