"""Delete old events that have nothing left to deliver (dead letters and retries stay)."""

import datetime as dt

from django.core.management.base import BaseCommand

from yiwang.core import call_context as context
from yiwang.notifications.services import prune_outbox


class Command(BaseCommand):
    help = "清理早于指定天数且已全部投递的事件（死信与待重试的保留）"

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=30)

    def handle(self, *args, older_than_days=30, **options):
        total = 0
        with context.bound(channel=context.Channel.COMMAND):
            while deleted := prune_outbox(older_than=dt.timedelta(days=older_than_days)):
                total += deleted
        self.stdout.write(f"pruned {total} events")
