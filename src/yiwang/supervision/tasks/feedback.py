"""Reminders of late complaints, questions and suggestions (Django Tasks), re-enqueued every interval.

Like applications.tasks.fire_due_timers: with a queue that can defer (``YIWANG_TASKS=database``) the task
reminds, then enqueues its next run unless one is already waiting. Each late feedback is reminded at most
once a working day (``services.feedback.remind_late_feedback``), so running it often is harmless.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

DEFAULT_INTERVAL = 3600  # seconds; a reminder is due once a working day, an hour late is on time


def reminder_interval() -> float:
    return float(getattr(settings, "SUPERVISION_FEEDBACK_REMINDER_INTERVAL", DEFAULT_INTERVAL))


@task()
def remind_late_feedback() -> dict:
    """Remind the departments of their late feedback, then schedule the next run."""
    from ..services.feedback import remind_late_feedback as remind

    with context.bound(channel=context.Channel.TASK):
        reminded = remind()
    return {"reminded": reminded, "scheduled": _schedule_next()}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=remind_late_feedback.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = remind_late_feedback.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    remind_late_feedback.using(run_after=timezone.now() + dt.timedelta(seconds=reminder_interval())).enqueue()
    return True
