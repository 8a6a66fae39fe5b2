"""A hall's bookable slots on a day: its opening hours cut into slots, on working days only.

Shared by the selectors (what to offer) and the services (what a booking may name). The working days
come from core's statutory calendar: a holiday has no slots; a make-up working day (调休上班) on a weekend
uses that weekday's hours, or Monday's when the hall keeps none.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils import timezone

from yiwang.core.errors import InvalidInput
from yiwang.core.workdays import WorkdayCalendar

from .models import Hall

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class SlotTime:
    starts_at: dt.datetime
    ends_at: dt.datetime


def parse_time(text: str) -> dt.time:
    """``"09:00"`` → 09:00; anything else is invalid input."""
    match = _TIME.match(text or "")
    if not match:
        raise InvalidInput("时间格式应为 HH:MM", code="invalid_time")
    return dt.time(int(match.group(1)), int(match.group(2)))


def clean_opening_hours(value: Mapping[str, object]) -> dict[str, list[list[str]]]:
    """Opening hours checked and normalised: weekday "0"–"6" → ordered, non-overlapping [start, end]."""
    cleaned: dict[str, list[list[str]]] = {}
    for key, periods in dict(value).items():
        if key not in {str(day) for day in range(7)} or not isinstance(periods, list):
            raise InvalidInput("办公时间须按星期（0–6）列出时段", code="invalid_opening_hours")
        rows = []
        for period in periods:
            if not isinstance(period, list | tuple) or len(period) != 2:
                raise InvalidInput("每个时段须有开始和结束时间", code="invalid_opening_hours")
            start, end = parse_time(str(period[0])), parse_time(str(period[1]))
            if start >= end:
                raise InvalidInput("时段的结束时间须晚于开始时间", code="invalid_opening_hours")
            rows.append((start, end))
        rows.sort()
        for (_s1, end1), (start2, _e2) in itertools.pairwise(rows):
            if start2 < end1:
                raise InvalidInput("同一天的时段不能重叠", code="invalid_opening_hours")
        cleaned[key] = [[f"{start:%H:%M}", f"{end:%H:%M}"] for start, end in rows]
    return cleaned


def periods_on(hall: Hall, day: dt.date, calendar: WorkdayCalendar) -> list[tuple[dt.time, dt.time]]:
    """The hall's opening periods on ``day``: none unless it is a working day."""
    if not calendar.is_working_day(day):
        return []
    hours = hall.opening_hours or {}
    periods = hours.get(str(day.weekday())) or (hours.get("0") if day.weekday() >= 5 else None) or []
    return [(parse_time(start), parse_time(end)) for start, end in periods]


def slots_on(hall: Hall, day: dt.date, calendar: WorkdayCalendar) -> list[SlotTime]:
    """Every slot of ``hall.slot_minutes`` that fits wholly into an opening period on ``day``."""
    length = dt.timedelta(minutes=max(5, hall.slot_minutes))
    zone = timezone.get_current_timezone()
    slots = []
    for start, end in periods_on(hall, day, calendar):
        current = dt.datetime.combine(day, start, tzinfo=zone)
        closing = dt.datetime.combine(day, end, tzinfo=zone)
        while current + length <= closing:
            slots.append(SlotTime(starts_at=current, ends_at=current + length))
            current += length
    return slots


def format_hours(periods: list[list[str]]) -> str:
    return "、".join(f"{start}–{end}" for start, end in periods)
