"""What each middleware costs an anonymous GET of the API, in CPU time, in-process (no server, no network).

Each configuration builds Django's WSGI handler with the first n entries of MIDDLEWARE and answers the
same anonymous GET (no cookie) many times; a middleware's cost is the CPU time per request the stack
with it spends above the stack before it (prefixes: later middleware may need earlier ones). The bare
view (/api/v1/health) and a cached search are measured.

    .venv/bin/python bench/middleware_cost.py [--requests 3000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
import urllib.parse
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog_generator

warnings.filterwarnings("ignore", message="No directory at")
PATHS = {"bare": "/api/v1/health", "search": "/api/v1/search?q=营业执照"}


def _environ(path: str, **extra) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": urllib.parse.quote(query, safe="=&"),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        **extra,
    }


def _start_response(status, headers, exc_info=None):
    if not status.startswith("200"):
        raise RuntimeError(status)


def handler(middleware: list[str]):
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    settings.MIDDLEWARE = middleware
    return WSGIHandler()


def cpu_per_request(app, path: str, requests: int, rounds: int = 3) -> float:
    """Microseconds of CPU per request, the best of ``rounds`` (the machine is shared)."""
    for _ in range(100):
        b"".join(app(_environ(path), _start_response))
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            b"".join(app(_environ(path), _start_response))
        best = min(best, (time.process_time() - started) / requests * 1e6)
    return best


def main(requests: int) -> dict:
    catalog_generator.setup_django()
    from django.conf import settings

    full = list(settings.MIDDLEWARE)
    figures: dict = {}
    for kind, path in PATHS.items():
        bare = previous = cpu_per_request(handler([]), path, requests)
        costs = {}
        for count, entry in enumerate(full, start=1):
            current = cpu_per_request(handler(full[:count]), path, requests)
            costs[entry], previous = current - previous, current
        total = previous
        figures[kind] = {"full_us": total, "no_middleware_us": bare, "costs_us": costs}
    settings.MIDDLEWARE = full
    return figures


def profile(path: str, requests: int) -> str:
    catalog_generator.setup_django()
    from django.conf import settings

    app = handler(list(settings.MIDDLEWARE))
    cpu_per_request(app, path, 100, rounds=1)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        b"".join(app(_environ(path), _start_response))
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "tottime"))
    stats.print_stats(int(os.environ.get("TOP", "35")))
    return out.getvalue()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", choices=tuple(PATHS), help="cProfile the full stack on this path")
    arguments = parser.parse_args()
    if arguments.profile:
        print(profile(PATHS[arguments.profile], arguments.requests))
        sys.exit()
    figures = main(arguments.requests)
    for kind, numbers in figures.items():
        print(
            f"{kind} ({PATHS[kind]}): {numbers['full_us']:.0f} µs CPU per request with every middleware, "
            f"{numbers['no_middleware_us']:.0f} µs with none"
        )
        for entry, cost in numbers["costs_us"].items():
            print(f"  {cost:7.1f} µs  {entry}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
