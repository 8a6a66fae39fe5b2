"""manage.py sweep_cards [--today YYYY-MM-DD]: raise the due yellow and red cards, refresh the predictions."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from yiwang.supervision.tasks.cards import run_sweep


class Command(BaseCommand):
    help = "效能监察：发出到期的黄红牌，更新超期预测与异常线索（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按此日期检查（YYYY-MM-DD，默认今天）")

    def handle(self, *args, **options):
        today = None
        if options.get("today"):
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today 须为 YYYY-MM-DD") from None
        summary = run_sweep(today=today)
        self.stdout.write(
            f"{summary['today']}: cards {summary['cards']}, recipients {summary['recipients']}, "
            f"notices {summary['notices']}, predictions {summary['predictions']}, "
            f"idle online items {summary['idle_online_items']}"
        )
