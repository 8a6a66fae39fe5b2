import time

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from yiwang.demo.accounts import DEMO_TOTP_KEY_HEX


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff accounts (demo only: they share one secret)."

    def handle(self, *args, **options):
        code = totp(bytes.fromhex(DEMO_TOTP_KEY_HEX), step=30, t0=0, digits=6)
        self.stdout.write(f"{code:06d}  (valid for {30 - int(time.time()) % 30} more seconds)")
