from django.core.management.base import BaseCommand

from yiwang.catalog.completeness import recompute_completeness
from yiwang.catalog.models import Implementation


class Command(BaseCommand):
    help = "Recompute the guide completeness of every implementation."

    def handle(self, *args, **options):
        changed = recompute_completeness()
        self.stdout.write(f"implementations: {Implementation.objects.count()}, changed: {changed}")
