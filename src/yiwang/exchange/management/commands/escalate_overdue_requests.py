"""Escalate the overdue share requests once, in a loop beside the web server, or schedule the task."""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.exchange.services.escalation import escalate_overdue_requests
from yiwang.exchange.tasks import escalation_interval

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "上报逾期未审核的共享申请（每项只上报一次）；--loop 每 EXCHANGE_ESCALATION_INTERVAL 秒一次"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep escalating every interval")
        parser.add_argument(
            "--schedule", action="store_true", help="enqueue the self-rescheduling task instead"
        )

    def handle(self, *args, loop=False, schedule=False, **options):
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.exchange.tasks import escalate_overdue

                escalate_overdue.enqueue()
                self.stdout.write("escalate_overdue task enqueued")
                return
            while True:
                try:
                    escalated = escalate_overdue_requests()
                except Exception:
                    if not loop:
                        raise
                    logger.exception("escalation pass failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(escalation_interval())
                    continue
                if escalated or not loop:
                    self.stdout.write(f"escalated {len(escalated)} overdue request(s)")
                if not loop:
                    return
                time.sleep(escalation_interval())
