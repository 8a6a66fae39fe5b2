"""A year's dashboard reads finished months from MonthlyCaseStat and the days at its edges, and adds up to
exactly what its days say; a month is rolled up from its days once it is over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from ..models import DailyCaseStat, MonthlyCaseStat
from ..selectors.stats import SUMMED, dashboard_figures, period_window, public_reader
from ..services.stats import finished_months, refresh_since, roll_up_months
from .dashboards_world import DAY, make_dashboard_world

pytestmark = pytest.mark.django_db


def _today(monkeypatch, day: dt.date) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)


def test_a_finished_month_is_the_sum_of_its_days_and_the_running_month_waits(monkeypatch):
    world = make_dashboard_world()
    _today(monkeypatch, DAY)  # 2 December: November is over, December is not
    refresh_since(since=DAY - dt.timedelta(days=7), until=DAY)
    november = MonthlyCaseStat.objects.filter(month=dt.date(2026, 11, 1))
    days = DailyCaseStat.objects.filter(day__gte=dt.date(2026, 11, 1), day__lt=dt.date(2026, 12, 1))
    assert november.exists()
    for name in SUMMED:
        assert november.aggregate(total=Sum(name))["total"] == days.aggregate(total=Sum(name))["total"]
    row = november.get(department=world.department, region=world.county)  # over its implementations
    assert row.closed == days.filter(department=world.department).aggregate(total=Sum("closed"))["total"]
    assert not MonthlyCaseStat.objects.filter(month=dt.date(2026, 12, 1)).exists()
    count = november.count()
    refresh_since(since=DAY - dt.timedelta(days=7), until=DAY)  # again: replaced, not added
    assert november.count() == count


def test_finished_months_end_before_the_running_month():
    today = dt.date(2026, 12, 6)
    assert finished_months(since=dt.date(2026, 11, 30), until=today, today=today) == (
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    )
    first, after = finished_months(since=dt.date(2026, 12, 5), until=today, today=today)
    assert first >= after  # nothing finished


def _fill_a_year(world, since: dt.date, until: dt.date) -> None:
    rows = []
    day = since
    while day <= until:
        for number, implementation in enumerate((world.online, world.window, world.other)):
            closed = (day.toordinal() + number) % 4
            rows.append(
                DailyCaseStat(
                    day=day,
                    department=implementation.department,
                    region_id=implementation.region_id,
                    implementation=implementation,
                    submitted=1 + number,
                    submitted_online=number,
                    closed=closed,
                    closed_on_time=closed // 2,
                    duration_days_sum=closed * 1.5,
                    evaluations=closed,
                    evaluations_good=closed // 3,
                    red_cards=day.day == 1,
                )
            )
        day += dt.timedelta(days=1)
    DailyCaseStat.objects.bulk_create(rows)


def _expected(since: dt.date, until: dt.date, **filters) -> dict[str, float]:
    row = DailyCaseStat.objects.filter(day__gte=since, day__lte=until, **filters).aggregate(
        **{name: Sum(name) for name in SUMMED}
    )
    return {name: row[name] or 0 for name in SUMMED}


def test_a_years_figures_from_months_and_edge_days_equal_the_days(monkeypatch):
    world = make_dashboard_world()
    today = dt.date(2026, 11, 20)
    _today(monkeypatch, today)
    since, until = period_window(days=365, today=today)  # 2025-11-21 .. 2026-11-20
    _fill_a_year(world, since - dt.timedelta(days=40), until)
    first, after = finished_months(since=since - dt.timedelta(days=40), until=until, today=today)
    roll_up_months(first=first, after=after)
    expected = _expected(since, until)
    county_expected = _expected(since, until, region_id=world.county.code)
    # a department's view (by implementation) reads the days
    department = dashboard_figures(
        reader=public_reader(), since=since, until=until, department=world.department
    )
    assert department.totals == _expected(since, until, department=world.department)
    assert department.daily["bucket"] == "month"
    assert sum(row["submitted"] for row in department.children) == department.totals["submitted"]

    # a region's year reads the middle months' roll-up, not their days
    DailyCaseStat.objects.filter(day__gte=dt.date(2026, 3, 1), day__lt=dt.date(2026, 4, 1)).delete()

    figures = dashboard_figures(reader=public_reader(), since=since, until=until, region=world.county.parent)
    assert figures.totals == expected
    assert figures.daily["bucket"] == "month"
    assert figures.daily["days"][0] == "2025-11-01" and figures.daily["days"][-1] == "2026-11-01"
    assert len(figures.daily["days"]) == 13
    assert sum(figures.daily["submitted"]) == expected["submitted"]
    assert sum(figures.daily["closed"]) == expected["closed"]
    county_row = next(row for row in figures.children if row["key"] == world.county.code)
    assert {name: county_row[name] for name in SUMMED} == county_expected


def test_a_quarter_totals_months_and_edge_days_and_keeps_a_daily_series(monkeypatch):
    world = make_dashboard_world()
    today = dt.date(2026, 11, 20)
    _today(monkeypatch, today)
    since, until = period_window(days=90, today=today)
    _fill_a_year(world, since - dt.timedelta(days=10), until)
    first, after = finished_months(since=since, until=until, today=today)
    roll_up_months(first=first, after=after)
    figures = dashboard_figures(reader=public_reader(), since=since, until=until)
    assert figures.daily["bucket"] == "day" and len(figures.daily["days"]) == 90
    assert figures.totals == _expected(since, until)
    assert sum(figures.daily["submitted"]) == figures.totals["submitted"]


def test_a_month_long_view_stays_by_day(monkeypatch):
    world = make_dashboard_world()
    today = dt.date(2026, 11, 20)
    _today(monkeypatch, today)
    since, until = period_window(days=30, today=today)
    _fill_a_year(world, since, until)
    figures = dashboard_figures(reader=public_reader(), since=since, until=until)
    assert figures.daily["bucket"] == "day" and len(figures.daily["days"]) == 30
    assert figures.totals == _expected(since, until)
