"""Predicted overdue (超期预测): from each stage's history and its queue, the cases likely to miss their
promised date before they turn yellow, with the reason (which stage, which queue).

``refresh_stage_durations`` keeps ``StageDuration`` per department and BPMN stage from the completed
stages of the last ``HISTORY_DAYS``: median and 80th-percentile working days from the stage's creation to
its completion, and the daily throughput (completed stages per working day). ``predict`` then takes each
running case that has no card yet: finish = today + the queue wait of its open stage (the open stages
ahead of it in the same department and role, divided by the throughput) + the median of its open stage
+ the medians of the stages it has not reached (the department's other known stages not yet done). A
case whose predicted finish is after its promised date gets (or keeps) an ``OverduePrediction``; the
others' predictions are removed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.applications.constants import TaskState
from yiwang.applications.models import Case, CaseTask
from yiwang.core.workdays import WorkdayCalendar, load_calendar

from ..models import Card, OverduePrediction, StageDuration
from .cards import RUNNING_STATUSES

HISTORY_DAYS = 180


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = (len(ordered) - 1) * share
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@transaction.atomic
def refresh_stage_durations(*, today: dt.date | None = None) -> int:
    """Recompute every department's stage durations from the completed stages of the last HISTORY_DAYS."""
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=HISTORY_DAYS)
    calendar = load_calendar(range(first.year - 1, today.year + 1))
    since = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    samples: dict[tuple[int, str], list[float]] = defaultdict(list)
    names: dict[tuple[int, str], str] = {}
    completed = CaseTask.objects.filter(
        state=TaskState.COMPLETED, completed_at__gte=since, completed_at__isnull=False
    ).values_list("department_id", "bpmn_id", "name", "created_at", "completed_at")
    for department_id, bpmn_id, name, created_at, completed_at in completed.iterator(chunk_size=5000):
        key = (department_id, bpmn_id)
        start, end = timezone.localdate(created_at), timezone.localdate(completed_at)
        samples[key].append(float(calendar.working_days_between(start, end)))
        names[key] = name
    working_days = max(calendar.working_days_between(first, today), 1)
    for (department_id, bpmn_id), values in samples.items():
        StageDuration.objects.update_or_create(
            department_id=department_id,
            bpmn_id=bpmn_id,
            defaults={
                "name": names[(department_id, bpmn_id)],
                "samples": len(values),
                "median_days": _percentile(values, 0.5),
                "p80_days": _percentile(values, 0.8),
                "daily_throughput": len(values) / working_days,
            },
        )
    return len(samples)


def _working_day_after(calendar: WorkdayCalendar, start: dt.date, days: float) -> dt.date:
    return calendar.add_working_days(start, max(math.ceil(days), 0))


@transaction.atomic
def predict(*, today: dt.date | None = None) -> int:
    """Store the predictions that hold today and remove the others; how many hold."""
    today = today or timezone.localdate()
    calendar = load_calendar(range(today.year - 1, today.year + 3))
    durations: dict[tuple[int, str], StageDuration] = {
        (row.department_id, row.bpmn_id): row for row in StageDuration.objects.all()
    }
    stages_of: dict[int, list[StageDuration]] = defaultdict(list)
    for row in durations.values():
        stages_of[row.department_id].append(row)
    carded = Card.objects.values("case_id")
    open_tasks = (
        CaseTask.objects.filter(
            state=TaskState.READY,
            case__status__in=RUNNING_STATUSES,
            case__promised_due__isnull=False,
            case__promised_due__gte=today,
        )
        .exclude(case_id__in=carded)
        .select_related("case")
        .order_by("department_id", "role", "due_on", "pk")
    )
    position: dict[tuple[int, str], int] = defaultdict(int)  # open stages ahead in the same queue
    done_stages: dict[int, set[str]] = defaultdict(set)
    for case_id, bpmn_id in CaseTask.objects.filter(
        state=TaskState.COMPLETED, case__status__in=RUNNING_STATUSES
    ).values_list("case_id", "bpmn_id"):
        done_stages[case_id].add(bpmn_id)
    holding: set[int] = set()
    for task in open_tasks.iterator(chunk_size=5000):
        queue = (task.department_id, task.role)
        ahead = position[queue]
        position[queue] += 1
        stage = durations.get((task.department_id, task.bpmn_id))
        if stage is None or stage.daily_throughput <= 0:
            continue
        case: Case = task.case
        wait = ahead / stage.daily_throughput
        remaining = sum(
            row.median_days
            for row in stages_of[task.department_id]
            if row.bpmn_id != task.bpmn_id and row.bpmn_id not in done_stages[case.pk]
        )
        predicted_on = _working_day_after(calendar, today, wait + stage.median_days + remaining)
        if case.promised_due is None or predicted_on <= case.promised_due:
            continue
        reason = (
            f"{task.name}环节排队 {ahead} 件，按日均办结 {stage.daily_throughput:.1f} 件、"
            f"环节用时中位 {stage.median_days:.1f} 个工作日，预计 {predicted_on.isoformat()} 办结，"
            f"晚于承诺日期 {case.promised_due.isoformat()}"
        )
        OverduePrediction.objects.update_or_create(
            case_id=case.pk,
            defaults={
                "department_id": task.department_id,
                "region_id": task.region_id,
                "predicted_on": predicted_on,
                "promised_due": case.promised_due,
                "stage": task.name,
                "queue_length": ahead,
                "reason": reason[:300],
            },
        )
        holding.add(case.pk)
    OverduePrediction.objects.exclude(case_id__in=holding).delete()
    return len(holding)


def refresh(*, today: dt.date | None = None) -> dict[str, Any]:
    """Both steps, as the daily task runs them."""
    return {
        "stages": refresh_stage_durations(today=today),
        "predictions": predict(today=today),
    }
