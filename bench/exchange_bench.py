"""Exchange calls per second over HTTP (verify, query, batch verify), beside the bare endpoint in one run.

    .venv/bin/python bench/exchange_bench.py [--seconds 10] [--people bench|demo] [--batch 50]

A consuming department's system (区人社局, OAuth2 client credentials, scope ``exchange``) calls
``POST /api/v1/exchange/verify`` (alive, age over 18) and ``POST /api/v1/exchange/query`` (name, birth
date, death flag; masked as granted) for residents of the population register, each with a purpose and a
case number, and ``POST /api/v1/exchange/verify/batch`` with ``--batch`` residents a request (the same
assertions for each; verified keys/s = answered requests/s × keys a request): the whole production path
(token check, the grant check, the register read, the exchange's audit entry and one read entry per key,
the commit, the SM2 signature over the RFC 8785 answer). granian (WSGI, 2 workers × 2 threads, as
``make serve``) and wrk (2 threads, 16 connections) share the machine with PostgreSQL; loopback only,
bounded in time.

Runs on the registers' bench database (YIWANG_BENCH_REGISTERS_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/yiwang_bench_registers, 1,000,000 people, created by
``audit_http_bench.ensure_world`` when missing). Reports requests/s, p50/p99, the workers' RSS, and
checks that every answered call wrote its audit entries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

TARGET_VERIFIED_PER_SECOND = 2000
BATCH_KEYS = 50
TOKEN = "bench-exchange-system-token"  # noqa: S105 (bench-only token on a loopback server)
SYSTEM = "bench-rsj-benefits"
PURPOSE = "511602-RSJ-YLJ-001"
QUERY_ITEMS = ["birth_date", "is_deceased", "name"]

_WRK_LUA = """
local bodies = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i + 1
  return wrk.format(nil, "%s", nil, bodies[(i %% #bodies) + 1])
end
"""


def _credit_code(body: str) -> str:
    from yiwang.core.identifiers import credit_code_check_character

    return body + credit_code_check_character(body)


def ensure_exchange(size: str) -> dict:
    """The population resource, a consumer department with its data administrator, a system, a grant."""
    import audit_http_bench
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from yiwang.exchange.models import Grant
    from yiwang.exchange.services import decide_request, publish_register_resources, request_resource
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.models import ClientProfile, StaffAssignment, User
    from yiwang.regions.services import upsert_department

    figures = audit_http_bench.ensure_world(size)  # regions, the police branch, 1,000,000 people
    resource = next(r for r in publish_register_resources() if r.source == "population")
    consumer = upsert_department(
        credit_code=_credit_code("11511602MB0000002"),
        name="广安市广安区人力资源和社会保障局",
        region_code=audit_http_bench.HOME,
        short_name="区人社局",
    )
    admins = {}
    for name, department in (("bench_rsj_data", consumer), ("bench_gaj_data", resource.provider)):
        user, _ = User.objects.get_or_create(
            username=name, defaults={"surname": "测", "given_name": "数据", "is_staff_member": True}
        )
        StaffAssignment.objects.get_or_create(
            user=user,
            department=department,
            role=StaffRole.DATA_ADMIN,
            defaults={"region_id": department.region_id},
        )
        admins[department.pk] = user
    system, _ = Application.objects.get_or_create(
        client_id=SYSTEM,
        defaults={
            "name": "区人社局社会保障业务系统（基准测试）",
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    ClientProfile.objects.update_or_create(
        application=system, defaults={"department": consumer, "allowed_scopes": "exchange"}
    )
    if not Grant.objects.filter(system=system, resource=resource, revoked_at__isnull=True).exists():
        share = request_resource(
            actor=admins[consumer.pk],
            resource=resource,
            consumer=consumer,
            system=system,
            purpose="养老保险待遇资格认证",
            service_item_codes=[PURPOSE],
            legal_basis="《政务信息资源共享管理暂行办法》第十条",
            item_codes=QUERY_ITEMS,
            full_items=["birth_date"],
            ends_on=timezone.localdate() + dt.timedelta(days=365),
        )
        if share.status == "pending":
            decide_request(actor=admins[resource.provider_id], request_id=share.pk, approve=True)
    AccessToken.objects.update_or_create(
        token=TOKEN,
        defaults={
            "user": None,
            "application": system,
            "scope": "exchange",
            "expires": timezone.now() + dt.timedelta(days=1),
        },
    )
    _usable_exchange_key()
    figures["resource"] = resource.code
    return figures


def _usable_exchange_key() -> None:
    """Retire an exchange key sealed under another var/ (cleaned since) so the first call makes a new one."""
    from yiwang.core.crypto.sm4 import DecryptionFailed
    from yiwang.exchange.models import ExchangeKey
    from yiwang.exchange.signing import signed

    try:
        signed({"probe": True})
    except DecryptionFailed:
        ExchangeKey.objects.filter(is_active=True).update(is_active=False)
        signed({"probe": True})


def _bodies(resource: str, count: int = 2000, batch: int = BATCH_KEYS) -> dict[str, list[str]]:
    import audit_http_bench

    from yiwang.registers.models import Person

    numbers = list(
        Person.objects.filter(region__code__startswith=audit_http_bench.HOME[:6])
        .order_by("?")
        .values_list("id_number", flat=True)[:count]
    )
    rng = random.Random(8)

    def case() -> str:
        return f"BJ2026{rng.randrange(10**8):08d}"

    common = {"resource": resource, "purpose": PURPOSE}
    return {
        "verify": [
            json.dumps(
                {**common, "key": n, "assertions": {"alive": True, "age_over": 18}, "case_number": case()}
            )
            for n in numbers
        ],
        "query": [
            json.dumps({**common, "key": n, "items": QUERY_ITEMS, "case_number": case()}) for n in numbers
        ],
        "verify/batch": [
            json.dumps(
                {
                    **common,
                    "keys": numbers[start : start + batch],
                    "assertions": {"alive": True, "age_over": 18},
                    "case_number": case(),
                }
            )
            for start in range(0, len(numbers) - batch + 1, batch)
        ],
    }


def wrk_post(base: str, path: str, bodies: list[str], seconds: int) -> dict:
    """wrk POSTing the bodies in turn (2 threads, 16 connections) with the system's token."""
    from http_bench import _parse_latency

    quoted = ", ".join("'" + body.replace("\\", "\\\\").replace("'", "\\'") + "'" for body in bodies)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as script:
        script.write(_WRK_LUA % (quoted, TOKEN, path))
    try:
        out = subprocess.run(
            ["wrk", "-t", "2", "-c", "16", "-d", f"{seconds}s", "--latency", "-s", script.name, base],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _parse_latency(out, "50"),
        "p99_ms": _parse_latency(out, "99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def server_rss_mb(port: int) -> float:
    """Resident memory of the granian process on ``port`` and all its descendants, in MB."""
    parents: dict[int, int] = {}
    root = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if any(part.endswith(b"granian") for part in cmdline) and str(port).encode() in cmdline:
            root = int(entry.name)
    if root is None:
        return 0.0
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total_kb = 0
    for pid in family:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total_kb += int(match.group(1)) if match else 0
    return round(total_kb / 1024, 1)


ACTIONS = {"verify": "exchange.verify", "query": "exchange.query", "verify/batch": "exchange.verify_batch"}


def main(*, size: str = "bench", seconds: int = 10, batch: int = BATCH_KEYS) -> dict:
    import audit_http_bench
    import http_bench

    audit_http_bench.setup_django()
    figures = ensure_exchange(size)
    bodies = _bodies(figures["resource"], count=max(2000, 40 * batch), batch=batch)
    from yiwang.audit.models import AuditEntry

    def logged(action: str) -> int:
        return AuditEntry.objects.filter(action=action).count()

    def reads() -> int:
        return logged("registers.person_read")

    with http_bench.running_server(
        extra_env={
            "DATABASE_URL": audit_http_bench.DATABASE_URL,
            "YIWANG_VAR_DIR": str(ROOT / "var" / "bench-registers"),
        },
        warm_paths=("/api/v1/health",),
    ) as base:
        port = int(base.rsplit(":", 1)[1])
        figures["bare"] = http_bench.wrk(base=base, paths=["/api/v1/health"], seconds=seconds)
        for name in ("verify", "query", "verify/batch"):
            before, reads_before = logged(ACTIONS[name]), reads()
            row = wrk_post(base, f"/api/v1/exchange/{name}", bodies[name], seconds)
            row["audit_entries"] = logged(ACTIONS[name]) - before
            row["read_entries"] = reads() - reads_before
            keys = batch if name == "verify/batch" else 1
            # wrk counts requests it sent; ones still in flight at the end may also have been logged
            answered = row["requests"] - row["non_2xx"]
            row["every_call_logged"] = (
                row["audit_entries"] >= answered and row["read_entries"] >= answered * keys
            )
            row["keys_per_request"] = keys
            row["keys_per_second"] = round(row["rps"] * keys * answered / max(row["requests"], 1), 1)
            figures[name] = row
        figures["server_rss_mb"] = server_rss_mb(port)
    figures["verify_batch"] = figures.pop("verify/batch")
    figures["verify_to_bare"] = round(figures["verify"]["rps"] / figures["bare"]["rps"], 3)
    figures["query_to_bare"] = round(figures["query"]["rps"] / figures["bare"]["rps"], 3)
    figures["verify_batch_to_bare"] = round(figures["verify_batch"]["rps"] / figures["bare"]["rps"], 3)
    figures["verified_keys_per_second"] = max(
        figures["verify"]["keys_per_second"], figures["verify_batch"]["keys_per_second"]
    )
    figures["meets_target"] = (
        figures["verified_keys_per_second"] >= TARGET_VERIFIED_PER_SECOND
        and figures["verify_batch"]["non_2xx"] == 0
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", choices=["bench", "demo"], default="bench")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=BATCH_KEYS, help="keys a verify/batch request (≤ 100)")
    arguments = parser.parse_args()
    figures = main(size=arguments.people, seconds=arguments.seconds, batch=arguments.batch)
    print(json.dumps(figures, ensure_ascii=False))
