"""Background work of data quality (Django Tasks): every register resource checked, then the next run
scheduled after ``QUALITY_CHECK_INTERVAL`` seconds (a day by default), as the audit sealer does.

The embedded default (the immediate backend) cannot defer: there ``manage.py run_quality_checks --loop``
runs beside the web server.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

from . import services

DEFAULT_INTERVAL = 24 * 60 * 60


def interval_seconds() -> float:
    return float(getattr(settings, "QUALITY_CHECK_INTERVAL", DEFAULT_INTERVAL))


@task()
def run_quality_checks(codes: list[str] | None = None) -> dict:
    """Check the resources (one transaction each), then schedule the next run (safe to retry)."""
    with context.bound(channel=context.Channel.TASK):
        runs = services.run_all_quality_checks(trigger="schedule", codes=codes)
    scheduled = _schedule_next() if codes is None else False
    return {"runs": {run.resource.code: str(run.score) for run in runs}, "scheduled": scheduled}


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=run_quality_checks.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = run_quality_checks.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    run_quality_checks.using(run_after=timezone.now() + dt.timedelta(seconds=interval_seconds())).enqueue()
    return True
