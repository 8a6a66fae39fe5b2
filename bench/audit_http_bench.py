"""Audited register reads per second under concurrent HTTP load, beside the bare endpoint in the same run.

    .venv/bin/python bench/audit_http_bench.py [--people bench|demo] [--seconds 10]

A window clerk's departmental system calls ``POST /api/v1/registers/population/lookup`` with a bearer
token (scope ``registers:read``), the ID number in the body, two fields, a purpose and a case number:
the whole production path (token check, the gate asking identity for the clerk's role and region, the
read, the audit entry with its keyed subject hash, the commit). granian (WSGI, 2 workers) and wrk
(2 threads, 16 connections) share the machine; loopback only, bounded in time.

Runs on its own PostgreSQL database (YIWANG_BENCH_REGISTERS_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/yiwang_bench_registers), filled once with the bench-size population
register (1,000,000 people); later runs only measure. Checks afterwards that every answered read wrote
exactly one audit entry.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
DATABASE_URL = os.environ.get(
    "YIWANG_BENCH_REGISTERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench_registers"
)
TARGET_READS_PER_SECOND = 2000
HOME = "511602000000"  # 广安区: the clerk's department and region
TOKEN = "bench-window-system-token"  # noqa: S105 (bench-only token on a loopback server)

_WRK_LUA = """
local bodies = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i + 1
  return wrk.format(nil, "/api/v1/registers/population/lookup", nil, bodies[(i %% #bodies) + 1])
end
"""


def setup_django() -> None:
    from pg_bench_database import setup_django_on_postgres

    setup_django_on_postgres(database_url=DATABASE_URL, var_dir=ROOT / "var" / "bench-registers")


def ensure_world(size: str) -> dict:
    """Regions, the police branch holding the population register, the people, a clerk and a token."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from yiwang.identity.constants import StaffRole
    from yiwang.identity.models import StaffAssignment, User
    from yiwang.regions.models import Region
    from yiwang.regions.services import load_regions, upsert_department
    from yiwang.registers.models import Person
    from yiwang.registers.services import ensure_register_catalog, generate_registers

    figures: dict = {}
    if not Region.objects.exists():
        load_regions(with_villages=False)
    police = upsert_department(
        credit_code=_police_credit_code(),
        name="广安市公安局广安区分局",
        region_code=HOME,
        short_name="区公安分局",
    )
    ensure_register_catalog()
    if not Person.objects.exists():
        started = time.perf_counter()
        generate_registers(size=size, seed=20261206, progress=False)
        figures["generation_seconds"] = round(time.perf_counter() - started, 1)
    clerk, _ = User.objects.get_or_create(
        username="bench_clerk", defaults={"surname": "测", "given_name": "窗口", "is_staff_member": True}
    )
    StaffAssignment.objects.get_or_create(
        user=clerk, department=police, role=StaffRole.WINDOW_CLERK, defaults={"region_id": HOME}
    )
    application, _ = Application.objects.get_or_create(
        client_id="bench-window-system",
        defaults={
            "name": "窗口受理系统（基准测试）",
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "http://127.0.0.1/callback",
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    AccessToken.objects.update_or_create(
        token=TOKEN,
        defaults={
            "user": clerk,
            "application": application,
            "scope": "openid registers:read",
            "expires": timezone.now() + timedelta(days=1),
        },
    )
    figures["people"] = Person.objects.count()
    return figures


def _police_credit_code() -> str:
    from yiwang.core.identifiers import credit_code_check_character

    body = "11511602MB0000001"
    return body + credit_code_check_character(body)


def _bodies(count: int = 2000) -> list[str]:
    from yiwang.registers.models import Person

    numbers = list(
        Person.objects.filter(region__code__startswith=HOME[:6])
        .order_by("?")
        .values_list("id_number", flat=True)[:count]
    )
    rng = random.Random(7)
    return [
        json.dumps(
            {
                "id_number": number,
                "fields": ["name", "birth_date"],
                "purpose": "办理户籍证明",
                "ground_kind": "case",
                "ground_ref": f"BJ2026{rng.randrange(10**8):08d}",
            },
            ensure_ascii=False,
        )
        for number in numbers
    ]


def _wrk_post(base: str, bodies: list[str], seconds: int) -> dict:
    from http_bench import _parse_latency

    quoted = ", ".join("'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'" for body in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(_WRK_LUA % (quoted, TOKEN))
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "--latency", "-s", script.name, base],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    os.unlink(script.name)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _parse_latency(out, "50"),
        "p99_ms": _parse_latency(out, "99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main(*, size: str = "bench", seconds: int = 10) -> dict:
    import http_bench

    setup_django()
    figures = ensure_world(size)
    bodies = _bodies()
    from yiwang.audit.models import AuditEntry

    with http_bench.running_server(
        extra_env={"DATABASE_URL": DATABASE_URL, "YIWANG_VAR_DIR": str(ROOT / "var" / "bench-registers")},
        warm_paths=("/api/v1/health",),
    ) as base:
        bare = http_bench.wrk(base=base, paths=["/api/v1/health"], seconds=seconds)
        logged_before = AuditEntry.objects.filter(action="registers.person_read").count()
        reads = _wrk_post(base, bodies, seconds)
        logged = AuditEntry.objects.filter(action="registers.person_read").count() - logged_before
    figures.update(
        {
            "bare": bare,
            "audited_reads": reads,
            # wrk counts requests it sent; ones still in flight at the end may also have been logged.
            "audit_entries_written": logged,
            "every_read_logged": logged >= reads["requests"] - reads["non_2xx"],
            "meets_target": reads["rps"] >= TARGET_READS_PER_SECOND and reads["non_2xx"] == 0,
        }
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", choices=["bench", "demo"], default="bench")
    parser.add_argument("--seconds", type=int, default=10)
    arguments = parser.parse_args()
    print(json.dumps(main(size=arguments.people, seconds=arguments.seconds), ensure_ascii=False))
