"""Deliver the due webhooks once, in a loop beside the web server, or schedule the self-rescheduling task."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.notifications.tasks import deliver_until_idle

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "投递到期的推送（webhook）；--loop 每 NOTIFICATIONS_DELIVERY_INTERVAL 秒一次"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="keep delivering every NOTIFICATIONS_DELIVERY_INTERVAL seconds",
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the self-rescheduling deliver_webhooks task instead",
        )

    def handle(self, *args, loop=False, schedule=False, **options):
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.notifications.tasks import deliver_webhooks

                deliver_webhooks.enqueue()
                self.stdout.write("deliver_webhooks task enqueued")
                return
            while True:
                try:
                    run = deliver_until_idle()
                except Exception:
                    if not loop:
                        raise
                    # Outlives a database restart or a bad key: claimed deliveries return after the lease.
                    logger.exception("webhook delivery pass failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(settings.NOTIFICATIONS_DELIVERY_INTERVAL)
                    continue
                if run.claimed or not loop:
                    self.stdout.write(
                        f"delivered {run.delivered}, retrying {run.retrying}, dead-lettered {run.dead}"
                    )
                if not loop:
                    return
                time.sleep(settings.NOTIFICATIONS_DELIVERY_INTERVAL)
