"""Recompute the dashboards' daily figures: today and yesterday, or every day since a date."""

import datetime as dt
import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.supervision.services.stats import refresh_recent, refresh_since
from yiwang.supervision.tasks.stats import stats_interval

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "重新计算统计看板的每日数据（默认今天和昨天；--since 日期 起的每一天）"

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first day to recompute (YYYY-MM-DD)")
        parser.add_argument("--loop", action="store_true", help="refresh today and yesterday every interval")
        parser.add_argument("--schedule", action="store_true", help="enqueue the self-rescheduling task")

    def handle(self, *args, since=None, loop=False, schedule=False, **options):
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.supervision.tasks.stats import refresh_daily_stats

                refresh_daily_stats.enqueue()
                self.stdout.write("refresh_daily_stats task enqueued")
                return
            if since:
                try:
                    first = dt.date.fromisoformat(since)
                except ValueError:
                    raise CommandError(f"--since: not a date (YYYY-MM-DD): {since}") from None
                rows = refresh_since(since=first)
                self.stdout.write(f"refreshed the figures since {first}: {rows} row(s)")
                return
            while True:
                try:
                    rows = refresh_recent()
                except Exception:
                    if not loop:
                        raise
                    logger.exception("stats refresh failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(stats_interval())
                    continue
                self.stdout.write(f"refreshed today and yesterday: {rows} row(s)")
                if not loop:
                    return
                time.sleep(stats_interval())
