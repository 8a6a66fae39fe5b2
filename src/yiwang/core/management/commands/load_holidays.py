from django.core.management.base import BaseCommand

from yiwang.core.services import load_bundled_holidays


class Command(BaseCommand):
    help = "Load the statutory holiday calendars shipped with the platform."

    def handle(self, *args, **options):
        for row in load_bundled_holidays():
            state = "published" if row.is_published else "NOT published: weekends only"
            self.stdout.write(f"{row.year}: {state}")
