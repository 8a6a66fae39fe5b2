"""The appointment reminders as a self-rescheduling task (Django Tasks), like supervision's reminders.

With a queue that can defer (``YIWANG_TASKS=database``) the task reminds, then enqueues its next run
unless one is already waiting. Each booking is reminded once (``services.remind_bookings``), so running
it often is harmless. ``manage.py remind_bookings --loop`` does the same in one process (``make serve``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

DEFAULT_INTERVAL = 600  # seconds: a reminder a day ahead may be ten minutes late


def reminder_interval() -> float:
    return float(getattr(settings, "HALLS_REMINDER_INTERVAL", DEFAULT_INTERVAL))


def run_reminders() -> dict:
    from .services import remind_bookings as remind

    with context.bound(channel=context.Channel.TASK):
        return {"reminded": remind()}


@task()
def remind_bookings() -> dict:
    """Send the due appointment reminders, then schedule the next run."""
    return {**run_reminders(), "scheduled": _schedule_next()}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=remind_bookings.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = remind_bookings.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    remind_bookings.using(run_after=timezone.now() + dt.timedelta(seconds=reminder_interval())).enqueue()
    return True
