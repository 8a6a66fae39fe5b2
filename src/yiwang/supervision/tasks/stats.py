"""The dashboards' daily figures kept fresh: today and yesterday recomputed every few minutes.

With a queue that can defer (``YIWANG_TASKS=database``) the task refreshes, then enqueues its next run
unless one is already waiting (as applications.tasks.fire_due_timers does). The immediate backend cannot
defer: there ``manage.py refresh_stats`` (cron) or ``--loop`` beside the web server does the same.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

DEFAULT_INTERVAL = 300  # seconds: the dashboards are at most five minutes behind


def stats_interval() -> float:
    return float(getattr(settings, "SUPERVISION_STATS_INTERVAL", DEFAULT_INTERVAL))


@task()
def refresh_daily_stats() -> dict:
    """Recompute today's and yesterday's figures, then schedule the next run (idempotent)."""
    from ..services.stats import refresh_recent

    with context.bound(channel=context.Channel.TASK):
        rows = refresh_recent()
    scheduled = _schedule_next()
    return {"rows": rows, "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=refresh_daily_stats.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = refresh_daily_stats.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    refresh_daily_stats.using(run_after=timezone.now() + dt.timedelta(seconds=stats_interval())).enqueue()
    return True
