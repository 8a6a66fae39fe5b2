from django.core.management.base import BaseCommand

from yiwang.regions.services import load_regions


class Command(BaseCommand):
    help = "Load China's administrative divisions (to towns; villages for Zhejiang)."

    def add_arguments(self, parser):
        parser.add_argument("--no-villages", action="store_true", help="skip the fifth level")

    def handle(self, *args, **options):
        created = load_regions(with_villages=not options["no_villages"])
        self.stdout.write(f"regions created: {created}")
