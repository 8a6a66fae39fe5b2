"""Identity figures: register lookups by ID number through the gate (each writing its access-log row) per
second on 1,000,000 synthetic people, and login throughput. ``main()`` returns a dict; bench/run.py prints it.

Runs against its own SQLite database under var/bench-identity (or YIWANG_BENCH_IDENTITY_DIR; set
YIWANG_BENCH_IDENTITY_DATABASE_URL for PostgreSQL). The million people are generated once and kept there,
so later runs only measure.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
VAR_DIR = Path(os.environ.get("YIWANG_BENCH_IDENTITY_DIR", ROOT / "var" / "bench-identity"))
PEOPLE_TARGET = 1_000_000
TARGETS = {"lookups_per_second": 500, "logins_per_second": 2}
PASSWORD = "Bench-login-password-2026"  # noqa: S105 (bench-only account)


def setup_django() -> None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["YIWANG_VAR_DIR"] = str(VAR_DIR)
    os.environ["DATABASE_URL"] = os.environ.get(
        "YIWANG_BENCH_IDENTITY_DATABASE_URL", f"sqlite:///{VAR_DIR / 'yiwang.sqlite3'}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_TASKS"] = "dummy"
    os.environ["YIWANG_AXES_HANDLER"] = "axes.handlers.dummy.AxesDummyHandler"  # measure logins, not lockouts
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_people() -> dict:
    """Regions and the bench-size registers, generated only when missing."""
    from yiwang.regions.models import Region
    from yiwang.regions.services import load_regions
    from yiwang.registers.models import LegalPerson, Person
    from yiwang.registers.services import generate_registers

    if not Region.objects.exists():
        load_regions(with_villages=False)
    figures: dict = {}
    if Person.objects.count() < PEOPLE_TARGET:
        started = time.perf_counter()
        summary = generate_registers(size="bench", seed=20261121, progress=True)
        elapsed = time.perf_counter() - started
        figures["generation_seconds"] = round(elapsed, 1)
        figures["generated_people_per_second"] = round(summary.counts["people"] / elapsed)
    figures["people"] = Person.objects.count()
    figures["legal_persons"] = LegalPerson.objects.count()
    return figures


def _sample_ids(count: int) -> list[str]:
    from yiwang.registers.models import Person

    last = Person.objects.order_by("-id").values_list("id", flat=True).first()
    wanted = random.Random(7).sample(range(1, last + 1), count)
    return list(Person.objects.filter(id__in=wanted).values_list("id_number", flat=True))


def measure_lookups(*, count: int = 5000) -> dict:
    """Gate lookups by ID number, each narrowed to two fields and logged in its own transaction."""
    from yiwang.audit.models import AuditEntry
    from yiwang.registers.selectors import access_person_by_id_number

    id_numbers = _sample_ids(count)
    reads = AuditEntry.objects.filter(action="registers.person_read")
    logged_before = reads.count()
    latencies = []
    started = time.perf_counter()
    for id_number in id_numbers:
        began = time.perf_counter()
        access_person_by_id_number(
            actor=None, system="bench", id_number=id_number, purpose="基准测试", fields=["name", "birth_date"]
        )
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - started
    assert reads.count() - logged_before == len(id_numbers)  # one audit entry per read
    latencies.sort()
    return {
        "lookups": len(id_numbers),
        "lookups_per_second": round(len(id_numbers) / elapsed),
        "lookup_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "lookup_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def measure_logins(*, count: int = 20) -> dict:
    """Full login requests (form, password hash check, session, audit event) through the Django stack."""
    from django.conf import settings
    from django.test import Client

    from yiwang.identity.models import User

    user, _ = User.objects.get_or_create(
        username="bench_login", defaults={"surname": "测", "given_name": "试", "assurance_level": 2}
    )
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    started = time.perf_counter()
    for _ in range(count):
        response = client.post(
            "/accounts/login/", {"username": "bench_login", "password": PASSWORD, "next": "/"}
        )
        assert response.status_code == 302, response.status_code
        client.cookies.clear()
    elapsed = time.perf_counter() - started
    return {
        "logins": count,
        "logins_per_second": round(count / elapsed, 1),
        "password_hasher": settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1],
    }


def main(*, lookups: int = 5000, logins: int = 20) -> dict:
    os.nice(5)  # other engineers share the cores
    setup_django()
    figures = ensure_people()
    figures.update(measure_lookups(count=lookups))
    figures.update(measure_logins(count=logins))
    figures["meets_targets"] = all(figures[name] >= target for name, target in TARGETS.items())
    return figures


if __name__ == "__main__":
    print(main())
