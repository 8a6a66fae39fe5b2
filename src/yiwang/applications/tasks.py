"""Background work of case handling (Django Tasks): firing due workflow timers, re-enqueued every interval.

With a queue that can defer (``YIWANG_TASKS=database``) the task fires what is due, then enqueues its next
run unless one is already waiting, as the audit sealer and the exchange escalator do. The embedded
default (the immediate backend) cannot defer: there ``manage.py fire_timers --loop`` runs beside the web
server.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

DEFAULT_INTERVAL = 60  # seconds; an escalation is due at a day's end, a minute late is on time


def timer_interval() -> float:
    return float(getattr(settings, "APPLICATIONS_TIMER_INTERVAL", DEFAULT_INTERVAL))


@task()
def fire_due_timers() -> dict:
    """Fire the due timers of the cases, then schedule the next run (idempotent: a fired timer is gone)."""
    from .services.runtime import fire_due_timers as fire

    with context.bound(channel=context.Channel.TASK):
        fired = fire()
    scheduled = _schedule_next()
    return {"fired": fired, "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=fire_due_timers.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = fire_due_timers.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    fire_due_timers.using(run_after=timezone.now() + dt.timedelta(seconds=timer_interval())).enqueue()
    return True
