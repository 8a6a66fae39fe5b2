"""Seal the audit log: number the new entries, add them to the Merkle tree and sign a tree head."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from yiwang.audit.constants import Channel
from yiwang.audit.sealing import seal_all
from yiwang.core import call_context as context


class Command(BaseCommand):
    help = "封存审计日志（分配序号、写入默克尔树、签发树头）；--loop 每 AUDIT_SEAL_INTERVAL 秒一次"

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="keep sealing every AUDIT_SEAL_INTERVAL seconds"
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="enqueue the self-rescheduling seal_audit_log task instead",
        )

    def handle(self, *args, loop=False, schedule=False, **options):
        with context.bound(channel=Channel.COMMAND):
            if schedule:
                from yiwang.audit.tasks import seal_audit_log

                seal_audit_log.enqueue()
                self.stdout.write("seal_audit_log task enqueued")
                return
            while True:
                sealed = seal_all()
                if sealed or not loop:
                    self.stdout.write(f"sealed {sealed} audit entries")
                if not loop:
                    return
                time.sleep(settings.AUDIT_SEAL_INTERVAL)
