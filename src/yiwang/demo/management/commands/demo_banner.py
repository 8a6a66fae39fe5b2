from django.core.management.base import BaseCommand

from yiwang.demo.banner import render_banner


class Command(BaseCommand):
    help = "Print the platform's URLs and the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")

    def handle(self, *args, url, **options):
        self.stdout.write(render_banner(base_url=url.rstrip("/")))
