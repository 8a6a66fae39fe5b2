"""Start granian with the application loaded before it forks its workers, so they share it copy-on-write.

granian (2.8) imports the WSGI target in each worker after forking, and has no preload option: each
worker would load Django, every module and the search dictionaries (jieba's, the pinyin phrases, the
synonyms, the region chains) into memory of its own. This launcher imports ``yiwang.wsgi`` and loads
those in the parent, closes the database connections, moves every object to the permanent generation
(``gc.freeze``: collections in a worker then never write to the shared pages), and hands the command
line to granian unchanged. The workers' import of ``yiwang.wsgi`` finds the module already loaded.

    python -m yiwang.prefork --interface wsgi --workers 2 … yiwang.wsgi:application

Nothing that starts threads or opens files to keep (the search index, database connections) is
opened before the fork: each worker opens its own on first use.
"""

from __future__ import annotations

import gc
import os
import sys


def preload() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings.base")
    from django.db import connections
    from django.urls import get_resolver

    import yiwang.wsgi  # noqa: F401  (django.setup(), the middleware chain, the models)
    from yiwang.search.selectors import preload_search

    get_resolver().url_patterns  # noqa: B018  (imports every view, API router and schema)
    preload_search()
    connections.close_all()
    gc.collect()
    gc.freeze()


def main() -> int:
    preload()
    from granian import cli

    sys.argv[0] = "granian"
    return cli.entrypoint()


if __name__ == "__main__":
    sys.exit(main())
