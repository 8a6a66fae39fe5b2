"""Deliver the due webhooks and messages to people (SMS, email, daily digests) once, in a loop beside the
web server (`make serve`), or schedule the two self-rescheduling tasks (`make worker`)."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.notifications.tasks import deliver_messages_until_idle, deliver_until_idle

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "投递到期的推送（webhook）和消息（短信、邮件、每日汇总）；--loop 持续投递"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            action="store_true",
            help="keep delivering every NOTIFICATIONS_DELIVERY_INTERVAL seconds",
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the self-rescheduling deliver_webhooks and deliver_messages tasks instead",
        )

    def handle(self, *args, loop=False, schedule=False, **options):
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.notifications.tasks import deliver_messages, deliver_webhooks

                deliver_webhooks.enqueue()
                deliver_messages.enqueue()
                self.stdout.write("deliver_webhooks and deliver_messages tasks enqueued")
                return
            while True:
                try:
                    run = deliver_until_idle()
                    messages = deliver_messages_until_idle()
                except Exception:
                    if not loop:
                        raise
                    # Outlives a database restart or a bad key: claimed deliveries return after the lease.
                    logger.exception("delivery pass failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(settings.NOTIFICATIONS_DELIVERY_INTERVAL)
                    continue
                if run.claimed or messages.claimed or not loop:
                    self.stdout.write(
                        f"delivered {run.delivered}, retrying {run.retrying}, dead-lettered {run.dead}; "
                        f"messages sent {messages.sent}, retrying {messages.retrying}, dead {messages.dead}"
                    )
                if not loop:
                    return
                time.sleep(settings.NOTIFICATIONS_DELIVERY_INTERVAL)
