"""CPU a guide request costs in-process, cached and not (API and page), on a copy of the bench catalog.

The guide API and page run through Django's test client (the whole middleware stack, no network) over
guides spread across the 1M-implementation bench catalog. "uncached" empties this process's renderings
before every request (what each request paid before ADR 0012); "cached" is the steady state; "304" is a
client that already holds the current version. Figures are CPU time (process_time) a request, comparable
on a loaded machine. The page writes its view counters, so it runs on a copy: var/bench-guide/.

    .venv/bin/python bench/guide_bench.py [--seconds 5]          # figures as JSON
    .venv/bin/python bench/guide_bench.py profile [--mode page] [--cached]   # cProfile by CPU time
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("YIWANG_BENCH_DIR", ROOT / "var" / "bench")) / "yiwang.sqlite3"
COPY_DIR = ROOT / "var" / "bench-guide"
SAMPLES = 50


def _copy_catalog() -> Path:
    """A private copy of the bench database (the page counts views), made once with SQLite's backup."""
    COPY_DIR.mkdir(parents=True, exist_ok=True)
    target = COPY_DIR / "yiwang.sqlite3"
    if not target.exists() or target.stat().st_mtime < SOURCE.stat().st_mtime:
        partial = COPY_DIR / "yiwang.sqlite3.partial"
        source = sqlite3.connect(f"file:{SOURCE}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        source.backup(copy)
        copy.close()
        source.close()
        partial.replace(target)
    return target


def setup_django() -> None:
    database = _copy_catalog()
    os.environ["YIWANG_VAR_DIR"] = str(COPY_DIR)
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["YIWANG_SEARCH_INDEX_DIR"] = str(COPY_DIR / "search-index")
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ.setdefault("YIWANG_DEBUG", "0")
    if str(ROOT / "src") not in sys.path:
        sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _codes() -> list[str]:
    from yiwang.catalog.models import Implementation

    ids = Implementation.objects.filter(is_active=True).order_by("id").values_list("id", flat=True)
    last = ids.last() or 0
    wanted = [1 + (last * n) // SAMPLES for n in range(SAMPLES)]
    codes = Implementation.objects.filter(is_active=True, id__in=_near(wanted)).values_list("code", flat=True)
    return list(codes)[:SAMPLES]


def _near(ids: list[int]) -> list[int]:
    return [pk + offset for pk in ids for offset in range(3)]


def _run(request, *, seconds: float, before=None) -> dict:
    """Call ``request()`` for about ``seconds`` of wall time; CPU milliseconds a request, p50 and mean."""
    cpu: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(cpu) < 5:
        if before is not None:
            before()
        start = time.process_time()
        request()
        cpu.append((time.process_time() - start) * 1000)
    return {"requests": len(cpu), "cpu_p50_ms": statistics.median(cpu), "cpu_mean_ms": statistics.fmean(cpu)}


def _cycle(client, paths: list[str], *, expect: int, headers: dict[str, dict] | None = None):
    position = 0

    def request():
        nonlocal position
        path = paths[position % len(paths)]
        position += 1
        response = client.get(path, headers=(headers or {}).get(path, {}))
        assert response.status_code == expect, (path, response.status_code)

    return request


def _etags(client, paths: list[str]) -> dict[str, dict]:
    return {path: {"If-None-Match": client.get(path)["ETag"]} for path in paths}


def measure(seconds: float) -> dict:
    from django.test import Client

    from yiwang.catalog.guide_cache import forget_local_renderings

    codes = _codes()
    api = [f"/api/v1/items/{code}" for code in codes]
    page = [f"/items/{code}" for code in codes]
    client = Client()
    client.get(page[0])  # the CSRF cookie a returning visitor holds
    share = seconds / 6
    figures = {"guides": len(codes)}
    for name, paths in (("api", api), ("page", page)):
        uncached = _run(_cycle(client, paths, expect=200), seconds=share, before=forget_local_renderings)
        for path in paths:
            client.get(path)
        cached = _run(_cycle(client, paths, expect=200), seconds=share)
        not_modified = _run(_cycle(client, paths, expect=304, headers=_etags(client, paths)), seconds=share)
        figures |= {
            f"{name}_uncached_cpu_ms": round(uncached["cpu_mean_ms"], 3),
            f"{name}_cached_cpu_ms": round(cached["cpu_mean_ms"], 3),
            f"{name}_304_cpu_ms": round(not_modified["cpu_mean_ms"], 3),
            f"{name}_cached_cpu_p50_ms": round(cached["cpu_p50_ms"], 3),
            f"{name}_requests": uncached["requests"] + cached["requests"] + not_modified["requests"],
        }
    # The names bench/run.py prints beside each other: the API, the figure issue 13 measured (~9.5 ms).
    figures["uncached_cpu_ms"] = figures["api_uncached_cpu_ms"]
    figures["cached_cpu_ms"] = figures["api_cached_cpu_ms"]
    figures["load_average"] = round(os.getloadavg()[0], 2)
    return figures


def main(seconds: int = 5) -> dict:
    """In-process CPU a guide request (API and page), cached and not; ``seconds`` of wall time in all."""
    setup_django()
    return measure(max(float(seconds), 3.0))


def profile(mode: str, requests: int, *, cached: bool = False) -> None:
    """Where a guide request's CPU goes: cProfile timed by process_time (a loaded machine's waits left
    out), the functions with the most cumulative CPU."""
    setup_django()
    import cProfile
    import pstats

    from django.test import Client

    from yiwang.catalog.guide_cache import forget_local_renderings

    codes = _codes()
    paths = [f"/api/v1/items/{code}" if mode == "api" else f"/items/{code}" for code in codes]
    client = Client()
    for path in paths:  # warm: templates, translations, connections, the database's pages
        client.get(path)
    profiler = cProfile.Profile(time.process_time)
    start = time.process_time()
    profiler.enable()
    for n in range(requests):
        if not cached:
            forget_local_renderings()
        client.get(paths[n % len(paths)])
    profiler.disable()
    spent = (time.process_time() - start) * 1000 / requests
    print(f"{mode} {'cached' if cached else 'uncached'}: {spent:.2f} ms CPU a request (profiled)")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", default="measure", choices=["measure", "profile"])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--mode", default="api", choices=["api", "page"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--cached", action="store_true", help="profile the steady state instead")
    arguments = parser.parse_args()
    if arguments.command == "profile":
        profile(arguments.mode, arguments.requests, cached=arguments.cached)
    else:
        print(json.dumps(main(arguments.seconds), ensure_ascii=False))
