"""The daily card sweep (Django Tasks): cards, then predictions and idle online items, re-enqueued daily.

With a queue that can defer (``YIWANG_TASKS=database``) the task runs the sweep, then enqueues its next
run unless one is already waiting, as ``applications.tasks.fire_due_timers`` does. The embedded default
(the immediate backend) cannot defer: there run ``manage.py sweep_cards`` from cron once a day.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from yiwang.core import call_context as context

DEFAULT_INTERVAL = 24 * 3600  # seconds: once a day (the sweep is idempotent; running more often is harmless)


def sweep_interval() -> float:
    return float(getattr(settings, "SUPERVISION_SWEEP_INTERVAL", DEFAULT_INTERVAL))


def run_sweep(*, today: dt.date | None = None) -> dict:
    """The sweep, the predictions and the idle online items, in order (what the task and command run)."""
    from ..services import anomalies, cards, predictions

    with context.bound(channel=context.Channel.TASK):
        result = cards.sweep(today=today)
        refreshed = predictions.refresh(today=today)
        idle = anomalies.find_idle_online_items(today=today)
    return {
        "today": result.today.isoformat(),
        "cards": result.raised,
        "recipients": result.recipients,
        "notices": result.notices,
        **refreshed,
        "idle_online_items": idle,
    }


@task()
def sweep_cards() -> dict:
    """Run the daily sweep, then schedule the next run."""
    summary = run_sweep()
    summary["scheduled"] = _schedule_next()
    return summary


def _next_run_waiting() -> bool:
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the database backend is a dependency
        return False
    return DBTaskResult.objects.filter(task_path=sweep_cards.module_path, status="READY").exists()


def _schedule_next() -> bool:
    backend = sweep_cards.get_backend()
    if not backend.supports_defer or _next_run_waiting():
        return False
    sweep_cards.using(run_after=timezone.now() + dt.timedelta(seconds=sweep_interval())).enqueue()
    return True
