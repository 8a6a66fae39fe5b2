"""Background work of the audit log (Django Tasks): the sealer, re-enqueued every AUDIT_SEAL_INTERVAL s.

With a queue that can defer (``YIWANG_TASKS=database``) the task seals, then enqueues its next run unless
one is already waiting, so restarts and a second ``seal_audit_log --schedule`` never pile up duplicates.
The embedded default (the immediate backend) cannot defer: there ``manage.py seal_audit_log --loop``
runs beside the web server (``make run`` starts it).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

from .constants import Channel


@task()
def seal_audit_log() -> dict:
    """Seal what is pending, then schedule the next run (idempotent: safe to retry or run twice)."""
    from .sealing import seal_all

    with context.bound(channel=Channel.TASK):
        sealed = seal_all()
    scheduled = _schedule_next()
    return {"sealed": sealed, "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=seal_audit_log.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = seal_audit_log.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    run_after = timezone.now() + dt.timedelta(seconds=settings.AUDIT_SEAL_INTERVAL)
    seal_audit_log.using(run_after=run_after).enqueue()
    return True
