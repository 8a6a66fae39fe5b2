"""Background work of the exchange (Django Tasks): escalating overdue requests, re-enqueued every interval.

With a queue that can defer (``YIWANG_TASKS=database``) the task escalates what is overdue, then enqueues
its next run unless one is already waiting, as the audit sealer and the webhook deliverer do. The
embedded default (the immediate backend) cannot defer: there ``manage.py escalate_overdue_requests
--loop`` runs beside the web server (``make serve`` starts it).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

from .services.escalation import escalate_overdue_requests

DEFAULT_INTERVAL = 3600  # seconds; a deadline is a date, so once an hour finds it on its first day


def escalation_interval() -> float:
    return float(getattr(settings, "EXCHANGE_ESCALATION_INTERVAL", DEFAULT_INTERVAL))


@task()
def escalate_overdue() -> dict:
    """Escalate the overdue requests, then schedule the next run (idempotent: each escalates once)."""
    with context.bound(channel=context.Channel.TASK):
        escalated = escalate_overdue_requests()
    scheduled = _schedule_next()
    return {"escalated": [share.pk for share in escalated], "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=escalate_overdue.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = escalate_overdue.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    escalate_overdue.using(run_after=timezone.now() + dt.timedelta(seconds=escalation_interval())).enqueue()
    return True
