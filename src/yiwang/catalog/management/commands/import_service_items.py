from django.core.management.base import BaseCommand

from yiwang.catalog.importers import import_real_items


class Command(BaseCommand):
    help = "Import the 1,135 real service items of 广安区 and their departments (idempotent)."

    def handle(self, *args, **options):
        summary = import_real_items()
        self.stdout.write(
            f"departments: {summary.departments} ({summary.departments_created} created, "
            f"{summary.departments_updated} updated)\n"
            f"items: {summary.items_created} created, {summary.items_updated} updated\n"
            f"implementations: {summary.implementations_total} ({summary.implementations_created} created, "
            f"{summary.implementations_updated} updated)"
        )
