"""Search relevance: the share of everyday queries whose expected service is among the first results.

bench/search_relevance.json lists ≥ 100 queries as people type them — the guides' FAQ questions, typed
pinyin (full and initials), traditional characters, one-character typos, English, questions about a life
event — each with the names it should find (any one of them counts). They were written from the guides
and the kinds of misses reported in issue 12, not tuned query by query.

The catalog is the real one of 广安区 (the 1,135 items of the catalog app's data copy, the demo guides and
their 一件事 bundles), loaded into its own SQLite database under var/bench-relevance/ (built on the first
run, ~1 minute), indexed with the operators' command, and searched through ``search_catalog`` within
广安区 (as the portal searches for a visitor who chose it).

    .venv/bin/python bench/search_relevance.py [--top 3] [--rebuild] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CASES = BENCH / "search_relevance.json"
VAR_DIR = ROOT / "var" / "bench-relevance"
REGION = "511602000000"  # 广安区
TARGET_HIT_RATE = 0.90


def load_cases(path: Path = CASES) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["queries"]


def evaluate(cases: list[dict], *, top: int = 3, region_code: str | None = REGION) -> dict:
    """Top-``top`` hit rate of ``cases`` on the catalog Django currently points at (index built)."""
    from yiwang.search.selectors import search_catalog

    misses = []
    by_kind: dict[str, list[int]] = {}
    for case in cases:
        page = search_catalog(query=case["query"], region_code=region_code, limit=top)
        names = [hit.name for hit in page.results[:top]]
        hit = any(expected in name for name in names for expected in case["expected"])
        by_kind.setdefault(case.get("kind", "everyday"), [0, 0])
        by_kind[case.get("kind", "everyday")][0] += hit
        by_kind[case.get("kind", "everyday")][1] += 1
        if not hit:
            misses.append({"query": case["query"], "expected": case["expected"], "found": names})
    hits = len(cases) - len(misses)
    return {
        "queries": len(cases),
        "hits": hits,
        "hit_rate": hits / len(cases) if cases else 0.0,
        "by_kind": {kind: {"hits": h, "queries": n} for kind, (h, n) in sorted(by_kind.items())},
        "misses": misses,
    }


def time_queries(cases: list[dict], *, rounds: int = 3, region_code: str | None = REGION) -> dict:
    """p50/p99 of the relevance queries through ``search_catalog``, each with an empty result cache."""
    import statistics
    import time

    from yiwang.search.backends import get_backend
    from yiwang.search.backends.tantivy_backend import RESULT_CACHE_ENTRIES, ResultCache
    from yiwang.search.selectors import analyze_query, search_catalog

    backend = get_backend()
    timings = []
    for _round in range(rounds):
        for case in cases:
            if hasattr(backend, "_results"):
                backend._results = ResultCache(max_entries=RESULT_CACHE_ENTRIES)  # the search, not the cache
            analyze_query.cache_clear()
            start = time.perf_counter()
            search_catalog(query=case["query"], region_code=region_code, limit=10)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {"p50_ms": statistics.median(timings), "p99_ms": timings[int(len(timings) * 0.99)]}


def load_real_catalog() -> None:
    """The 广安区 items, the demo guides and bundles, and the search index over them."""
    from django.core.management import call_command

    from yiwang.catalog.guides import load_demo_guides
    from yiwang.search.services import rebuild_search_index

    call_command("load_regions", verbosity=0)
    call_command("import_service_items", verbosity=0)
    load_demo_guides()
    rebuild_search_index()


def setup_django(*, rebuild: bool) -> None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    database = VAR_DIR / "yiwang.sqlite3"
    if rebuild and database.exists():
        database.unlink()
    os.environ["YIWANG_VAR_DIR"] = str(VAR_DIR)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["YIWANG_SEARCH_INDEX_DIR"] = str(VAR_DIR / "search-index")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    fresh = not database.exists() or database.stat().st_size == 0
    call_command("migrate", verbosity=0, interactive=False)
    if fresh or rebuild:
        load_real_catalog()
    else:
        from yiwang.search.services import rebuild_search_index

        rebuild_search_index()  # the analysis may have changed since the last run: seconds at this size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="reload the catalog from scratch")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    arguments = parser.parse_args()
    setup_django(rebuild=arguments.rebuild)
    result = evaluate(load_cases(), top=arguments.top)
    print(
        f"search relevance: top-{arguments.top} hit rate {result['hit_rate']:.1%} "
        f"({result['hits']}/{result['queries']} queries; target ≥ {TARGET_HIT_RATE:.0%}) "
        f"{'PASS' if result['hit_rate'] >= TARGET_HIT_RATE else 'FAIL'}"
    )
    latency = time_queries(load_cases())
    print(
        f"  latency of these queries (uncached, in-process): p50 {latency['p50_ms']:.2f} ms, "
        f"p99 {latency['p99_ms']:.2f} ms"
    )
    result["latency"] = latency
    for kind, figures in result["by_kind"].items():
        print(f"  {kind}: {figures['hits']}/{figures['queries']}")
    for miss in result["misses"] if arguments.verbose else result["misses"][:10]:
        print(f"  miss: {miss['query']!r} expected {miss['expected']} found {miss['found']}")
    print(json.dumps({key: value for key, value in result.items() if key != "misses"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
