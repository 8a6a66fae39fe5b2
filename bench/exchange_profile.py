"""Where an exchange call's time goes: wall and CPU milliseconds per request in each step, in-process.

    .venv/bin/python bench/exchange_profile.py [verify|query|verify/batch] [--requests 1000] [--cprofile FILE]

Same database and world as ``exchange_bench.py`` (PostgreSQL, 1,000,000 people). Requests go through
Django's whole stack (middleware, ninja, the token check, the grant look-up, the register read, the
audit entries, the SM2 signature) with the test client, one at a time, so the figures
are the cost of one request without HTTP or contention. Each step is timed by wrapping the function that
does it; a step the code no longer has is left out. The SQL statements of one request are listed.
``--cprofile`` also writes a cProfile dump of the same requests.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

_wall: dict[str, float] = defaultdict(float)
_cpu: dict[str, float] = defaultdict(float)
_count: dict[str, int] = defaultdict(int)

# (module, attribute, label): the steps of the request path, outermost first
STEPS = (
    ("yiwang.core.api_auth", "PlatformSystemAuth.authenticate", "token check (core.api_auth, 1 SQL)"),
    ("yiwang.exchange.selectors.calls", "_find", "grants ⋈ resource ⋈ consumer department (1 SQL)"),
    ("yiwang.exchange.selectors.calls", "_checked", "grant check (no SQL when allowed)"),
    ("yiwang.exchange.selectors.calls", "_answered", "read + audit entries + commit (1 transaction)"),
    (
        "yiwang.exchange.selectors.register_sources",
        "_GatedRegisterSource.records",
        "  register row + records (2 SQL)",
    ),
    ("yiwang.exchange.selectors.calls", "record_reads", "  all audit entries of the call (1 INSERT)"),
    ("yiwang.exchange.api", "signed", "signature (key + RFC 8785 + SM2)"),
    ("yiwang.exchange.signing", "exchange_key", "  exchange key (kept per process)"),
    ("yiwang.core.signing.database", "DatabaseBackend.sign", "  unseal the key (SM4-GCM) + SM2 sign"),
    ("yiwang.core.signing.database", "sign", "    SM2 sign"),
)


def _timed(label: str, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _wall[label] += time.perf_counter() - started
            _cpu[label] += time.thread_time() - cpu
            _count[label] += 1

    return wrapper


def _wrap_steps() -> None:
    import importlib

    for module_name, attribute, label in STEPS:
        module = importlib.import_module(module_name)
        owner, _, name = attribute.rpartition(".")
        target = getattr(module, owner) if owner else module
        if hasattr(target, name):
            setattr(target, name, _timed(label, getattr(target, name)))
    # every other module that imported record_event keeps its own reference: wrap each
    for module in list(sys.modules.values()):
        if (
            module is not None
            and getattr(module, "__name__", "").startswith("yiwang.")
            and module.__name__ != "yiwang.audit.services"
            and hasattr(module, "record_event")
        ):
            module.record_event = _timed("audit.record_event (each single INSERT)", module.record_event)


def _backend_cpu_seconds(connection) -> float:
    """CPU time of this connection's PostgreSQL backend process so far (same machine: read from /proc)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(*, kind: str, requests: int, cprofile: str | None) -> None:
    os.environ["YIWANG_DEBUG"] = "0"
    import audit_http_bench
    import exchange_bench

    audit_http_bench.setup_django()
    figures = exchange_bench.ensure_exchange("bench")
    keys = exchange_bench.BATCH_KEYS if kind == "verify/batch" else 1
    bodies = exchange_bench._bodies(figures["resource"], count=(requests + 101) * keys)[kind]
    from django.db import connection
    from django.test import Client

    import yiwang.exchange.api
    import yiwang.exchange.selectors.register_sources  # noqa: F401  (loaded before wrapping)

    _wrap_steps()
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {exchange_bench.TOKEN}")

    def call(body: str) -> None:
        response = client.post(f"/api/v1/exchange/{kind}", body, content_type="application/json")
        assert response.status_code == 200, response.content

    for body in bodies[:100]:  # warm up: imports, prepared statements, caches
        call(body)
    statements: list[str] = []

    def record_sql(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record_sql):
        call(bodies[100])
    _wall.clear(), _cpu.clear(), _count.clear()
    backend = _backend_cpu_seconds(connection)
    started, cpu = time.perf_counter(), time.thread_time()
    for body in bodies[101 : 101 + requests]:
        call(body)
    wall_total, cpu_total = time.perf_counter() - started, time.thread_time() - cpu
    backend = _backend_cpu_seconds(connection) - backend
    print(
        f"{kind}: {requests} requests one at a time; per request wall {1000 * wall_total / requests:.2f} ms, "
        f"CPU of this process {1000 * cpu_total / requests:.2f} ms, "
        f"of its PostgreSQL backend {1000 * backend / requests:.2f} ms, {len(statements)} SQL statements"
        + (
            f"; {keys} keys a request: CPU {1000 * (cpu_total + backend) / requests / keys:.3f} ms a key"
            if keys > 1
            else ""
        )
    )
    for label in sorted(_wall, key=lambda name: -_wall[name]):
        print(
            f"  {label:<52} wall {1000 * _wall[label] / requests:6.2f} ms   "
            f"CPU {1000 * _cpu[label] / requests:6.2f} ms   ({_count[label] / requests:.0f}× a request)"
        )
    for sql in statements:
        print("    SQL", sql[:100])
    if cprofile:
        profile = cProfile.Profile()
        profile.enable()
        for body in bodies[101 : 101 + requests]:
            call(body)
        profile.disable()
        profile.dump_stats(cprofile)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", nargs="?", choices=["verify", "query", "verify/batch"], default="verify")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--cprofile")
    arguments = parser.parse_args()
    main(kind=arguments.kind, requests=arguments.requests, cprofile=arguments.cprofile)
