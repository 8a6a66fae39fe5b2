"""The one clock of a case (ADR 0008, 0009): two planned end dates, recomputed from scratch.

At acceptance the case copies its limits: the implementation's statutory limit and its promised limit,
or the promise of the applicant's situation when an answer sets one (the longest, as the guide shows).
Each planned end date is then ``add_days(accepted_on, limit, unit)`` on the working-day calendar, moved
later by every stop of the clock (补正 and 特别程序: each counted in its own unit, from the later of its
start and the acceptance to its end, an open stop until today) and extended by every extension (延长:
its days in its unit). Nothing is adjusted incrementally, so a corrected stop or a newly published
holiday table gives the right date on the next recompute. The workflow's deadline timers follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from yiwang.catalog.selectors import evaluate_situation
from yiwang.core.workdays import DayUnit, WorkdayCalendar, load_calendar

from ..constants import ClockStopKind
from ..models import Case, ClockStop
from . import runtime


@dataclass(frozen=True)
class Limits:
    statutory_days: int | None
    statutory_unit: str
    promised_days: int | None
    promised_unit: str


@dataclass(frozen=True)
class StopView:
    """One stop or extension as the case page shows it."""

    kind: str
    label: str
    reason: str
    legal_basis: str
    started_on: dt.date
    ended_on: dt.date | None
    days: int  # the days it moves the planned end dates, in ``unit``
    unit: str
    is_open: bool


@dataclass(frozen=True)
class ClockView:
    accepted_on: dt.date | None
    statutory_due: dt.date | None
    promised_due: dt.date | None
    is_running: bool
    stopped_by: str  # the label of the open stop, if the clock stands still
    stops: list[StopView]
    working_days_left: int | None  # to the promised date (negative when overdue)
    is_overdue: bool


def limits_for(*, case: Case) -> Limits:
    """The limits a case copies at acceptance: the implementation's, with its situation's promise."""
    if case.implementation is None:  # a bundle parent: the bundle's promise; each part has its own law
        bundle = case.bundle
        return Limits(
            statutory_days=None,
            statutory_unit=DayUnit.WORKING,
            promised_days=bundle.promised_limit_days if bundle else None,
            promised_unit=bundle.promised_limit_unit if bundle else DayUnit.WORKING,
        )
    result = evaluate_situation(implementation=case.implementation, answers=case.situation or {})
    return Limits(
        statutory_days=result.statutory_limit_days,
        statutory_unit=result.statutory_limit_unit,
        promised_days=result.promised_limit_days,
        promised_unit=result.promised_limit_unit,
    )


def stop_days(*, stop: ClockStop, accepted_on: dt.date, today: dt.date, calendar: WorkdayCalendar) -> int:
    """How far a stop moves the planned end dates, in the stop's unit.

    The clock stands still from the day after the stop starts up to and including the day it ends (a
    supplement asked on Monday and answered on Thursday stops Tuesday to Thursday); only the part after
    the acceptance counts, as the clock had not started before it. An open stop counts until today.
    """
    if stop.kind == ClockStopKind.EXTENSION:
        return stop.days or 0
    start = max(stop.started_on, accepted_on)
    end = stop.ended_on or today
    if end <= start:
        return 0
    if stop.unit == DayUnit.CALENDAR:
        return (end - start).days
    return calendar.working_days_between(start, end)


def planned_due(
    *,
    accepted_on: dt.date,
    days: int | None,
    unit: str,
    stops: Sequence[ClockStop],
    today: dt.date,
    calendar: WorkdayCalendar,
) -> dt.date | None:
    """One planned end date: the limit from the acceptance, moved by each stop and extension."""
    if days is None:
        return None
    due = calendar.add_days(accepted_on, days, unit)
    for stop in stops:
        moved = stop_days(stop=stop, accepted_on=accepted_on, today=today, calendar=calendar)
        if moved:
            due = calendar.add_days(due, moved, stop.unit)
    return due


def calendar_for(*, accepted_on: dt.date, today: dt.date) -> WorkdayCalendar:
    """The holiday table of the years a case's dates can fall in."""
    return load_calendar(range(accepted_on.year, max(accepted_on.year, today.year) + 3))


def _ordered(stops: Iterable[ClockStop]) -> list[ClockStop]:
    return sorted(stops, key=lambda stop: (stop.started_on, stop.pk or 0))


def compute(
    *, case: Case, stops: Iterable[ClockStop], today: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """The statutory and promised planned end dates of a case (no query but the holiday table)."""
    if case.accepted_at is None:
        return None, None
    accepted_on = timezone.localdate(case.accepted_at)
    ordered = _ordered(stops)
    calendar = calendar_for(accepted_on=accepted_on, today=today)

    def due(days: int | None, unit: str) -> dt.date | None:
        return planned_due(
            accepted_on=accepted_on, days=days, unit=unit, stops=ordered, today=today, calendar=calendar
        )

    return due(case.statutory_limit_days, case.statutory_limit_unit), due(
        case.promised_limit_days, case.promised_limit_unit
    )


@transaction.atomic
def recompute(*, case: Case, today: dt.date | None = None) -> None:
    """Recompute both planned end dates from scratch, save them and move the workflow's deadline timers.

    Call it inside the transaction that changed the clock, with the case row locked.
    """
    today = today or timezone.localdate()
    stops = list(case.clock_stops.all())
    statutory_due, promised_due = compute(case=case, stops=stops, today=today)
    if (statutory_due, promised_due) != (case.statutory_due, case.promised_due):
        case.statutory_due, case.promised_due = statutory_due, promised_due
        case.save(update_fields=["statutory_due", "promised_due", "updated_at"])
    if case.state_json is not None:
        runtime.set_deadlines(case=case)
        if any(stop.ended_on is None and stop.kind != ClockStopKind.EXTENSION for stop in stops):
            # While the clock stands still nothing may fall due: the timers wait for the restart.
            Case.objects.filter(pk=case.pk).update(next_timer_at=None)
            case.next_timer_at = None


def describe(*, case: Case, today: dt.date | None = None) -> ClockView:
    """The clock as the case page shows it: both dates, every stop and extension, the days left."""
    today = today or timezone.localdate()
    stops = _ordered(case.clock_stops.all())
    accepted_on = timezone.localdate(case.accepted_at) if case.accepted_at else None
    calendar = calendar_for(accepted_on=accepted_on or today, today=today)
    views = [
        StopView(
            kind=stop.kind,
            label=str(ClockStopKind(stop.kind).label),
            reason=stop.reason,
            legal_basis=stop.legal_basis,
            started_on=stop.started_on,
            ended_on=stop.ended_on,
            days=stop_days(stop=stop, accepted_on=accepted_on, today=today, calendar=calendar)
            if accepted_on
            else 0,
            unit=stop.unit,
            is_open=stop.kind != ClockStopKind.EXTENSION and stop.ended_on is None,
        )
        for stop in stops
    ]
    open_stop = next((view for view in views if view.is_open), None)
    left = None
    if case.promised_due is not None:
        if case.promised_due >= today:
            left = calendar.working_days_between(today, case.promised_due)
        else:
            left = -calendar.working_days_between(case.promised_due, today)
    return ClockView(
        accepted_on=accepted_on,
        statutory_due=case.statutory_due,
        promised_due=case.promised_due,
        is_running=accepted_on is not None and open_stop is None and case.closed_at is None,
        stopped_by=open_stop.label if open_stop else "",
        stops=views,
        working_days_left=left,
        is_overdue=bool(case.promised_due and case.promised_due < today and case.closed_at is None),
    )
