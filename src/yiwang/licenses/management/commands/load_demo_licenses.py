"""Load the e-license type catalog and the demo licenses of the registers' people and companies."""

from django.core.management.base import BaseCommand

from yiwang.licenses.demo import load_demo_licenses


class Command(BaseCommand):
    help = "Load the license type catalog and issue demo licenses consistent with the registers"

    def handle(self, *args, **options):
        counts = load_demo_licenses()
        self.stdout.write(
            ", ".join(f"{code}: {count}" for code, count in counts.items()) or "no licenses issued"
        )
