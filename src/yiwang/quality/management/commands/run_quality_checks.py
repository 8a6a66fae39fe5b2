"""Run the data-quality rules once, in a loop beside the web server, or schedule the recurring task."""

import logging
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from yiwang.core import call_context as context
from yiwang.exchange.models import Resource
from yiwang.quality.services import run_all_quality_checks
from yiwang.quality.tasks import interval_seconds

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "按质量规则检查共享资源（每个资源一个事务），记录问题与质量评分；--resource 只检查一个资源"

    def add_arguments(self, parser):
        parser.add_argument("--resource", metavar="CODE", help="resource code, e.g. RK-511602-0001")
        parser.add_argument(
            "--loop", action="store_true", help="check again every QUALITY_CHECK_INTERVAL seconds"
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the self-rescheduling run_quality_checks task instead",
        )

    def handle(self, *args, resource=None, loop=False, schedule=False, **options):
        codes = [resource] if resource else None
        if resource and not Resource.objects.filter(code=resource).exclude(source="").exists():
            raise CommandError(f"unknown register resource {resource!r}")
        with context.bound(channel=context.Channel.COMMAND):
            if schedule:
                from yiwang.quality.tasks import run_quality_checks

                run_quality_checks.enqueue(codes)
                self.stdout.write("run_quality_checks task enqueued")
                return
            while True:
                try:
                    runs = run_all_quality_checks(trigger="command", codes=codes)
                except Exception:
                    if not loop:
                        raise
                    logger.exception("quality check pass failed; retrying after the interval")
                    close_old_connections()
                    time.sleep(interval_seconds())
                    continue
                for run in runs:
                    self.stdout.write(
                        f"{run.resource.code}: checked {run.records_checked}, new {run.findings_new}, "
                        f"fixed {run.findings_fixed}, score {run.score}"
                    )
                if not loop:
                    return
                time.sleep(interval_seconds())
