"""Fire the due workflow timers once, in a loop beside the web server, or schedule the task."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.applications.services.runtime import fire_due_timers
from yiwang.applications.tasks import timer_interval
from yiwang.core import call_context as context

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "触发到期的审批流程定时器（超期督办等）；--loop 每 APPLICATIONS_TIMER_INTERVAL 秒一次"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep firing every interval")
        parser.add_argument(
            "--schedule", action="store_true", help="enqueue the self-rescheduling task instead"
        )

    def handle(self, *args, loop=False, schedule=False, **options):
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.applications.tasks import fire_due_timers as task

                task.enqueue()
                self.stdout.write("fire_due_timers task enqueued")
                return
            while True:
                try:
                    fired = fire_due_timers()
                except Exception:
                    if not loop:
                        raise
                    logger.exception("timer pass failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(timer_interval())
                    continue
                if fired or not loop:
                    self.stdout.write(f"fired the timers of {fired} case(s)")
                if not loop:
                    return
                time.sleep(timer_interval())
