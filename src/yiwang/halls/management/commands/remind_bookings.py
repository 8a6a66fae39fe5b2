"""Appointment reminders (预约提醒): each booking is reminded once, a day before its slot.

manage.py remind_bookings            send the due reminders now
manage.py remind_bookings --loop     keep sending them every interval (what `make serve` starts)
manage.py remind_bookings --schedule enqueue the self-rescheduling task (workers, YIWANG_TASKS=database)
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.halls.tasks import remind_bookings, reminder_interval, run_reminders

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "发送预约提醒（每个预约一次，预约时段前一天）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep sending at the interval")
        parser.add_argument("--schedule", action="store_true", help="enqueue the self-rescheduling task")

    def handle(self, *args, loop=False, schedule=False, **options):
        if schedule:
            remind_bookings.enqueue()
            self.stdout.write(f"{remind_bookings.module_path} enqueued")
            return
        while True:
            try:
                self.stdout.write(f"reminders: {run_reminders()}")
            except Exception:
                if not loop:
                    raise
                logger.exception("appointment reminders failed; retrying after the interval")
                close_old_connections()
            if not loop:
                return
            time.sleep(reminder_interval())
