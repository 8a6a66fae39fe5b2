"""The one clock: planned end dates from scratch, on the real 2026 holiday table (loaded for every test
database by the session fixture in yiwang/conftest.py), moved by stops and extended by extensions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.applications.constants import CaseStatus, ClockStopKind
from yiwang.applications.models import ClockStop
from yiwang.applications.services import clock
from yiwang.applications.tests.factories import CaseFactory
from yiwang.core.workdays import DayUnit

pytestmark = pytest.mark.django_db

ACCEPTED_ON = dt.date(2026, 9, 21)  # a Monday; 中秋 25–27 September, 国庆 1–7 October, 10 October worked


def at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def accepted_case(*, statutory=20, promised=5, statutory_unit=DayUnit.WORKING, promised_unit=DayUnit.WORKING):
    return CaseFactory(
        status=CaseStatus.ACCEPTED,
        accepted_at=at_noon(ACCEPTED_ON),
        statutory_limit_days=statutory,
        statutory_limit_unit=statutory_unit,
        promised_limit_days=promised,
        promised_limit_unit=promised_unit,
    )


def stop(case, kind=ClockStopKind.SUPPLEMENT, *, start, end=None, unit=DayUnit.WORKING, days=None):
    return ClockStop.objects.create(
        case=case, kind=kind, reason="测试", started_on=start, ended_on=end, unit=unit, days=days
    )


def test_without_stops_the_dates_count_from_acceptance_across_the_mid_autumn_holiday():
    case = accepted_case()
    clock.recompute(case=case, today=dt.date(2026, 9, 22))
    case.refresh_from_db()
    # 5 working days after Monday 21 September skip 25–27 September (中秋)
    assert case.promised_due == dt.date(2026, 9, 29)
    assert case.statutory_due == dt.date(2026, 10, 26)


def test_a_supplement_pause_moves_the_planned_end_date_across_national_day():
    # given a case accepted on Monday 21 September, promised in 5 working days (due Tuesday 29 September)
    case = accepted_case()
    # when the clock stops for a supplement asked on Tuesday 22 and answered on Thursday 24 September
    stop(case, start=dt.date(2026, 9, 22), end=dt.date(2026, 9, 24))
    clock.recompute(case=case, today=dt.date(2026, 9, 24))
    case.refresh_from_db()
    # then two working days (23, 24) do not count: the date moves past 30 September, over the National Day
    # week (1–7 October) to Thursday 8 October; the statutory date moves by the same two working days
    assert case.promised_due == dt.date(2026, 10, 8)
    assert case.statutory_due == dt.date(2026, 10, 28)


def test_an_open_stop_counts_until_today():
    case = accepted_case()
    stop(case, start=dt.date(2026, 9, 22))
    clock.recompute(case=case, today=dt.date(2026, 9, 24))
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 10, 8)
    view = clock.describe(case=case, today=dt.date(2026, 9, 24))
    assert not view.is_running
    assert view.stopped_by == "补正材料"
    assert view.stops[0].days == 2 and view.stops[0].is_open


def test_a_stop_in_calendar_days_counts_every_day_and_ends_on_a_working_day():
    # a public notice of 7 calendar days (公示) from 22 to 29 September
    case = accepted_case()
    stop(
        case,
        ClockStopKind.PUBLIC_NOTICE,
        start=dt.date(2026, 9, 22),
        end=dt.date(2026, 9, 29),
        unit=DayUnit.CALENDAR,
    )
    clock.recompute(case=case, today=dt.date(2026, 9, 30))
    case.refresh_from_db()
    # 29 September + 7 calendar days is 6 October, a holiday: the limit ends on the next working day
    assert case.promised_due == dt.date(2026, 10, 8)


def test_extensions_add_their_days_in_their_unit():
    case = accepted_case()
    stop(case, ClockStopKind.EXTENSION, start=dt.date(2026, 9, 23), end=dt.date(2026, 9, 23), days=10)
    clock.recompute(case=case, today=dt.date(2026, 9, 23))
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 10, 19)  # 29 September + 10 working days (10 October worked)
    assert case.statutory_due == dt.date(2026, 11, 9)


def test_the_part_of_a_stop_before_acceptance_does_not_count():
    # a supplement asked before acceptance (the clock had not started) and answered the day after it
    case = accepted_case()
    stop(case, start=dt.date(2026, 9, 17), end=dt.date(2026, 9, 22))
    clock.recompute(case=case, today=dt.date(2026, 9, 22))
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 9, 30)  # only 22 September stood still


def test_recompute_is_from_scratch_and_repeatable():
    case = accepted_case()
    supplement = stop(case, start=dt.date(2026, 9, 22), end=dt.date(2026, 9, 24))
    for _ in range(3):
        clock.recompute(case=case, today=dt.date(2026, 9, 30))
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 10, 8)
    # a corrected stop gives the right date on the next recompute (nothing was added incrementally)
    supplement.ended_on = dt.date(2026, 9, 22)
    supplement.save()
    clock.recompute(case=case, today=dt.date(2026, 9, 30))
    case.refresh_from_db()
    assert case.promised_due == dt.date(2026, 9, 29)


def test_a_case_not_yet_accepted_has_no_planned_dates():
    case = CaseFactory(promised_limit_days=5)
    clock.recompute(case=case)
    case.refresh_from_db()
    assert case.promised_due is None and case.statutory_due is None
    assert not clock.describe(case=case).is_running


def test_calendar_day_limits_end_on_a_working_day():
    # 60 calendar days (居民身份证法第十二条) from 2 August 2026 end on Thursday 1 October: National Day
    case = accepted_case(statutory=60, statutory_unit=DayUnit.CALENDAR)
    case.accepted_at = at_noon(dt.date(2026, 8, 2))
    case.save()
    clock.recompute(case=case, today=dt.date(2026, 8, 3))
    case.refresh_from_db()
    assert case.statutory_due == dt.date(2026, 10, 8)


def test_describe_counts_the_working_days_left_and_overdue():
    case = accepted_case()
    clock.recompute(case=case, today=dt.date(2026, 9, 22))
    case.refresh_from_db()
    view = clock.describe(case=case, today=dt.date(2026, 9, 24))
    assert view.is_running and view.working_days_left == 2  # 28, 29 September
    late = clock.describe(case=case, today=dt.date(2026, 10, 8))
    assert late.is_overdue and late.working_days_left == -2  # 30 September and 8 October


def test_limits_at_acceptance_take_the_situations_promise():
    from yiwang.catalog.tests.factories import ImplementationFactory

    implementation = ImplementationFactory(statutory_limit_days=20, promised_limit_days=10)
    question = implementation.questions.create(code="kind", text="申请类型")
    question.options.create(code="simple", label="简易", promised_limit_days=3)
    question.options.create(code="normal", label="一般")
    case = CaseFactory(implementation=implementation, situation={"kind": "simple"})
    limits = clock.limits_for(case=case)
    assert (limits.statutory_days, limits.promised_days) == (20, 3)
    case.situation = {"kind": "normal"}
    assert clock.limits_for(case=case).promised_days == 10
