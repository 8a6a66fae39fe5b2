"""Rebuild the search index from the database: a new generation, then an atomic switch."""

from django.core.management.base import BaseCommand

from yiwang.search.services import rebuild_search_index


class Command(BaseCommand):
    help = "从数据库重建搜索索引（写入新目录后原子切换，读者不受影响）"

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, **options):
        stats = rebuild_search_index(progress=not options["no_progress"] and options["verbosity"] > 0)
        self.stdout.write(
            f"indexed {stats.documents} documents and {stats.suggestions} suggestions "
            f"in {stats.seconds:.1f} s ({stats.size_bytes / 1_000_000:.1f} MB) at {stats.location}"
        )
