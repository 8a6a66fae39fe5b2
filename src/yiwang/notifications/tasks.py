"""Background work of notifications (Django Tasks): the webhook deliverer and the message deliverer (SMS,
email, the daily digest), each re-enqueued every interval.

With a queue that can defer (``YIWANG_TASKS=database``) the task delivers what is due, then enqueues its
next run unless one is already waiting, as the audit sealer does. The embedded default (the immediate
backend) cannot defer: there ``manage.py deliver_webhooks --loop`` runs beside the web server and delivers
both.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

from . import services

BATCH = 100


def deliver_until_idle(*, batch: int = BATCH, rounds: int = 50) -> services.DeliveryRun:
    """Deliver batches until nothing is due (or ``rounds`` batches), adding up what each did."""
    total = services.DeliveryRun()
    for _round in range(rounds):
        run = services.deliver_due(limit=batch)
        total.claimed += run.claimed
        total.delivered += run.delivered
        total.retrying += run.retrying
        total.dead += run.dead
        if run.claimed < batch:
            break
    return total


@task()
def deliver_webhooks() -> dict:
    """Deliver the due webhooks, then schedule the next run (idempotent: safe to retry or run twice)."""
    with context.bound(channel=context.Channel.TASK):
        run = deliver_until_idle()
    scheduled = _schedule_next()
    return {"delivered": run.delivered, "retrying": run.retrying, "dead": run.dead, "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=deliver_webhooks.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = deliver_webhooks.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    interval = float(getattr(settings, "NOTIFICATIONS_DELIVERY_INTERVAL", 5))
    deliver_webhooks.using(run_after=timezone.now() + dt.timedelta(seconds=interval)).enqueue()
    return True


def deliver_messages_until_idle(*, batch: int = BATCH, rounds: int = 50) -> services.DispatchRun:
    """Collect the day's digests when due, then send due SMS/email copies and digests until none is left
    (or ``rounds`` batches of each)."""
    services.collect_digests()
    total = services.DispatchRun()
    for deliver in (services.deliver_dispatches, services.deliver_digests):
        for _round in range(rounds):
            run = deliver(limit=batch)
            total.add(run)
            if run.claimed < batch:
                break
    return total


@task()
def deliver_messages() -> dict:
    """Send the due messages and digests, then schedule the next run (idempotent: safe to run twice)."""
    with context.bound(channel=context.Channel.TASK):
        run = deliver_messages_until_idle()
    scheduled = _schedule_next_messages()
    return {"sent": run.sent, "retrying": run.retrying, "dead": run.dead, "scheduled": scheduled}


def _schedule_next_messages() -> bool:
    backend = deliver_messages.get_backend()
    if not backend.supports_defer:
        return False
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        DBTaskResult = None
    if (
        DBTaskResult
        and DBTaskResult.objects.filter(task_path=deliver_messages.module_path, status="READY").exists()
    ):
        return False
    interval = float(getattr(settings, "NOTIFICATIONS_DELIVERY_INTERVAL", 5))
    deliver_messages.using(run_after=timezone.now() + dt.timedelta(seconds=interval)).enqueue()
    return True
