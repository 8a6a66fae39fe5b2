from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog.guides import GUIDES_DIR, GuideDataError, load_demo_guides


class Command(BaseCommand):
    help = "Load the demo service guides, life-event bundles and topics (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=GUIDES_DIR, help="folder of guide JSON files")

    def handle(self, *args, directory: Path, **options):
        try:
            summary = load_demo_guides(directory=directory)
        except GuideDataError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"guides: {summary.implementations} ({summary.implementations_created} new, "
            f"{summary.implementations_changed} changed), bundles: {summary.bundles}, "
            f"topics: {summary.topics}, departments created: {summary.departments_created}, "
            f"rows written: {summary.rows_written}"
        )
