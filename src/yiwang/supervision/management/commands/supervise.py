"""Supervision's recurring work in one process: the card sweep (daily), the late-feedback reminders
(hourly) and the dashboards' figures (every five minutes).

    manage.py supervise            run each once now
    manage.py supervise --loop     keep running each at its interval (what `make serve` starts)
    manage.py supervise --schedule enqueue the three self-rescheduling tasks (workers, YIWANG_TASKS=database)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.supervision.tasks import cards, feedback, stats

logger = logging.getLogger(__name__)


def _remind() -> dict:
    from yiwang.supervision.services.feedback import remind_late_feedback

    with context.bound(channel=context.Channel.TASK):
        return {"reminded": remind_late_feedback()}


def _refresh() -> dict:
    from yiwang.supervision.services.stats import refresh_recent

    with context.bound(channel=context.Channel.TASK):
        return {"rows": refresh_recent()}


class Command(BaseCommand):
    help = "效能监察的周期任务：黄红牌扫描（每日）、投诉咨询催办（每小时）、统计看板数据（每五分钟）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running each job at its interval")
        parser.add_argument("--schedule", action="store_true", help="enqueue the self-rescheduling tasks")

    def handle(self, *args, loop=False, schedule=False, **options):
        if schedule:
            for task in (cards.sweep_cards, feedback.remind_late_feedback, stats.refresh_daily_stats):
                task.enqueue()
                self.stdout.write(f"{task.module_path} enqueued")
            return
        jobs: list[tuple[str, Callable[[], dict], Callable[[], float]]] = [
            ("sweep", cards.run_sweep, cards.sweep_interval),
            ("reminders", _remind, feedback.reminder_interval),
            ("stats", _refresh, stats.stats_interval),
        ]
        next_run = dict.fromkeys((name for name, _job, _interval in jobs), 0.0)
        while True:
            for name, job, interval in jobs:
                if time.monotonic() < next_run[name]:
                    continue
                try:
                    self.stdout.write(f"{name}: {job()}")
                except Exception:
                    if not loop:
                        raise
                    logger.exception("supervision job %s failed; retrying after its interval", name)
                    close_old_connections()
                next_run[name] = time.monotonic() + interval()
            if not loop:
                return
            time.sleep(max(1.0, min(next_run.values()) - time.monotonic()))
