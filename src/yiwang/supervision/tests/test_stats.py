"""The daily figures a dashboard reads: what one refresh of a known day writes, and that it replaces."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from ..models import DailyCaseStat
from ..selectors.stats import dashboard_figures, public_reader
from ..services.stats import refresh_day, refresh_since
from .dashboards_world import DAY, make_dashboard_world

pytestmark = pytest.mark.django_db


def _row(world, implementation):
    return DailyCaseStat.objects.get(
        day=DAY, department=implementation.department, implementation=implementation
    )


def test_a_day_is_counted_by_department_and_implementation():
    world = make_dashboard_world()
    refresh_day(day=DAY)
    online = _row(world, world.online)
    assert (online.submitted, online.accepted, online.closed) == (0, 0, 2)  # the withdrawn one is no closing
    assert online.closed_on_time == 1
    assert online.closed_fully_online == 1
    assert online.closed_at_most_one_visit == 2
    assert online.duration_days_sum == 2 + 5  # Mon→Wed, Wed→Wed a week later, working days
    assert (online.evaluations, online.evaluations_good, online.evaluations_bad) == (2, 1, 1)
    assert online.red_cards == 1 and online.yellow_cards == 0
    assert online.item_code == world.online.item.code and online.region_id == world.county.code
    window = _row(world, world.window)
    assert (window.submitted, window.submitted_online, window.accepted, window.closed) == (1, 0, 1, 0)
    assert window.yellow_cards == 1
    other = _row(world, world.other)
    assert (other.submitted, other.submitted_online, other.closed, other.closed_on_time) == (1, 1, 1, 1)
    assert other.duration_days_sum == 0
    complaints = DailyCaseStat.objects.get(day=DAY, department=world.department, implementation=None)
    assert complaints.complaints == 1


def test_refreshing_again_replaces_the_day_instead_of_adding():
    world = make_dashboard_world()
    refresh_day(day=DAY)
    refresh_day(day=DAY)
    assert _row(world, world.online).closed == 2
    assert DailyCaseStat.objects.filter(day=DAY).count() == 4


def test_a_day_without_cases_has_no_rows_and_the_withdrawn_submission_counts_on_its_day():
    world = make_dashboard_world()
    refresh_since(since=DAY - dt.timedelta(days=7), until=DAY)
    assert not DailyCaseStat.objects.filter(day=DAY - dt.timedelta(days=3)).exists()  # Sunday
    assert _row_on(world, DAY - dt.timedelta(days=1)).submitted == 1


def _row_on(world, day):
    return DailyCaseStat.objects.get(day=day, implementation=world.online)


def test_the_command_refreshes_since_a_date():
    make_dashboard_world()
    call_command("refresh_stats", since=DAY.isoformat())
    assert DailyCaseStat.objects.filter(day=DAY).count() == 4


def test_the_rates_of_the_platform_on_a_known_world():
    world = make_dashboard_world()
    refresh_day(day=DAY)
    figures = dashboard_figures(reader=public_reader(), since=DAY, until=DAY, region=world.county.parent)
    assert figures.totals["closed"] == 3
    assert figures.rates["on_time"] == pytest.approx(66.7)
    assert figures.rates["fully_online"] == pytest.approx(66.7)
    assert figures.rates["at_most_one_visit"] == 100.0
    assert figures.rates["satisfaction"] == pytest.approx(66.7)
    assert figures.rates["online_handleable"] == pytest.approx(66.7)  # 2 of the 3 implementations
    assert figures.average_days == pytest.approx(7 / 3, abs=0.05)
    assert figures.daily["submitted"] == [2]
    assert {row["key"] for row in figures.children} == {world.county.code, world.other_county.code}
    assert figures.complaints_by_topic[0]["count"] == 1
