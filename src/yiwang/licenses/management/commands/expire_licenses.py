from django.core.management.base import BaseCommand

from yiwang.licenses.services import expire_licenses


class Command(BaseCommand):
    help = "Mark licenses past their last valid day as expired (run daily, e.g. from cron on one node)."

    def handle(self, *args, **options):
        self.stdout.write(f"licenses expired: {expire_licenses()}")
