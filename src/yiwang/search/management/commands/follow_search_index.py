"""This node's search index follows the change log (ADR 0013): catalog edits made on any node, learned
synonyms and keywords, and guide views reach the index within about a second.

manage.py follow_search_index                 apply what is pending now (rebuild if this node never built)
manage.py follow_search_index --loop          keep following (what `make serve` and `make worker` start)
manage.py follow_search_index --prune         also delete log entries older than the retention (7 days)
"""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from yiwang.search.services import follow

logger = logging.getLogger(__name__)
PRUNE_EVERY = 3600.0  # seconds


class Command(BaseCommand):
    help = "让本节点的搜索索引跟随变更日志（其他节点的目录修改在约一秒内可搜到）"

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep following the log")
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between looks at the log")
        parser.add_argument("--prune", action="store_true", help="prune entries older than the retention")

    def handle(self, *args, loop=False, interval=0.5, prune=False, **options):
        last_prune = float("-inf") if (loop or prune) else float("inf")
        while True:
            try:
                follow.flush_views()  # views this process gathered (none, unless it also serves pages)
                if follow.is_behind():
                    result = follow.apply_pending(allow_rebuild=True)
                    if result.applied or result.rebuilt:
                        self.stdout.write(
                            f"applied {result.applied} entries ({result.indexed} indexed, {result.removed} "
                            f"removed{', rebuilt' if result.rebuilt else ''}) up to {result.position.top}"
                        )
                if time.monotonic() - last_prune >= PRUNE_EVERY:
                    last_prune = time.monotonic()
                    if pruned := follow.prune_change_log():
                        self.stdout.write(f"pruned {pruned} old entries")
            except Exception:
                if not loop:
                    raise
                logger.exception("following the search change log failed; retrying")
                close_old_connections()
                time.sleep(max(interval, 5.0))
            if not loop:
                return
            time.sleep(interval)
