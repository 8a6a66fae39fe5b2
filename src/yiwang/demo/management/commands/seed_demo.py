import time

from django.core.management.base import BaseCommand

from yiwang.demo.steps import STEPS


class Command(BaseCommand):
    help = "Load the demo data set (regions, holidays, catalog, guides, search index …). Idempotent."

    def handle(self, *args, **options):
        for step in STEPS:
            started = time.perf_counter()
            result = step.run()
            self.stdout.write(f"  ✓ {step.name}: {result} ({time.perf_counter() - started:.1f} s)")
