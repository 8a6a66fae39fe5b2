"""Webhook deliveries per second to a loopback receiver: claim, sign (SM2), POST and record, as deployed.

    .venv/bin/python bench/webhook_bench.py [--events 2000] [--endpoints 2] [--seconds 30]

SQLite in a fresh database under var/bench-webhooks; YIWANG_BENCH_WEBHOOK_DATABASE_URL=postgres://…/name
measures on PostgreSQL (the database is created when missing; earlier deliveries stay delivered).
The receiver is a separate process on 127.0.0.1 (http.server, threads, answers 204). Events are enqueued
first (not timed); then ``deliver_until_idle`` runs until every delivery is delivered or the time is up.
Prints one line of figures and, last, a JSON line for bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
VAR_DIR = ROOT / "var" / "bench-webhooks"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver behind a proxy would

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Handler).serve_forever()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the loopback receiver did not start")


def setup_django() -> None:
    database_url = os.environ.get("YIWANG_BENCH_WEBHOOK_DATABASE_URL", "")
    os.environ["YIWANG_WEBHOOK_ALLOW_LOOPBACK"] = "1"
    if database_url.startswith(("postgres://", "postgresql://")):
        from pg_bench_database import setup_django_on_postgres

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        setup_django_on_postgres(database_url=database_url, var_dir=VAR_DIR)
        return
    if not database_url:
        shutil.rmtree(VAR_DIR, ignore_errors=True)
        VAR_DIR.mkdir(parents=True)
        database_url = f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"
    os.environ["YIWANG_VAR_DIR"] = str(VAR_DIR)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_TASKS"] = "dummy"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def enqueue(*, port: int, events: int, endpoints: int) -> None:
    from django.db import transaction

    from yiwang.notifications.models import WebhookEndpoint
    from yiwang.notifications.services import enqueue_event
    from yiwang.regions.constants import RegionLevel
    from yiwang.regions.models import Department, Region

    region = Region.objects.first() or Region.objects.create(
        code="511602000000", name="广安区", full_name="四川省广安市广安区", level=RegionLevel.COUNTY
    )
    department, _created = Department.objects.get_or_create(
        credit_code="11511600MB0000000X", defaults={"name": "基准测试部门", "region": region}
    )
    receivers = [
        WebhookEndpoint.objects.create(
            department=department, name=f"bench {n}", url=f"http://127.0.0.1:{port}/{n}"
        )
        for n in range(endpoints)
    ]
    with transaction.atomic():
        for n in range(events):
            enqueue_event(
                topic="registers.person_died",
                payload={"person_ref": f"P{n:08d}", "date_of_death": "2026-12-01"},
                endpoints=receivers,
            )


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    arguments = parser.parse_args()
    port = _free_port()
    receiver = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    try:
        _wait_for(port)
        setup_django()
        from django.db import connection

        from yiwang.notifications.models import Delivery
        from yiwang.notifications.signing import platform_key
        from yiwang.notifications.tasks import deliver_until_idle

        enqueue(port=port, events=arguments.events, endpoints=arguments.endpoints)
        platform_key()  # the key is made once, not timed
        total = arguments.events * arguments.endpoints
        delivered, started = 0, time.perf_counter()
        while delivered < total and time.perf_counter() - started < arguments.seconds:
            delivered += deliver_until_idle(batch=100, rounds=1).delivered
        seconds = time.perf_counter() - started
        left = Delivery.objects.exclude(status="delivered").count()
    finally:
        receiver.terminate()
    figures = {
        "database": connection.vendor,
        "deliveries": delivered,
        "events": arguments.events,
        "endpoints": arguments.endpoints,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(delivered / seconds) if seconds else 0,
        "undelivered": left,
    }
    print(
        f"webhook deliveries ({figures['database']}, one deliverer, loopback receiver): {delivered:,} of "
        f"{total:,} in {seconds:.2f} s = {figures['deliveries_per_second']:,}/s "
        f"(claim, SM2 signature per event, POST, record per batch); undelivered {left}"
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
