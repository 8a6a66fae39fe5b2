"""Sealing time for 100,000 audit entries: numbering, leaf hashes, Merkle nodes and one signed head per batch.

    .venv/bin/python bench/audit_seal.py [--entries 100000] [--batch 20000]

SQLite by default, in a fresh database under var/bench-audit-seal; set YIWANG_BENCH_SEAL_DATABASE_URL to a
PostgreSQL database to measure there (entries are appended to what is already sealed: the log refuses
deletes). The entries are bulk-inserted first (not timed); then ``seal_all`` runs as the sealer task does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
VAR_DIR = ROOT / "var" / "bench-audit-seal"


def setup_django() -> None:
    database_url = os.environ.get("YIWANG_BENCH_SEAL_DATABASE_URL", "")
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


def insert_entries(count: int) -> None:
    from django.utils import timezone

    from yiwang.audit.models import AuditEntry
    from yiwang.audit.subjects import subject_hash

    now = timezone.now()
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                occurred_at=now,
                kind="read",
                action="registers.person_read",
                object_type="registers.person",
                object_id=str(n),
                subject_hash=subject_hash(f"11010519491231{n % 10_000:04d}"),
                subject_kind="person",
                fields=["birth_date", "name"],
                purpose="受理户籍迁入申请",
                ground_kind="case",
                ground_ref=f"BJ-{n}",
                channel="api",
                request_id=f"{n:032x}",
                ip_address="10.0.0.1",
            )
            for n in range(count)
        ),
        batch_size=5000,
    )


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=20_000)
    arguments = parser.parse_args()
    setup_django()
    from django.db import connection

    from yiwang.audit.sealing import seal_all
    from yiwang.audit.verification import verify_log

    insert_entries(arguments.entries)
    started = time.perf_counter()
    sealed = seal_all(batch=arguments.batch)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = verify_log()
    verify_seconds = time.perf_counter() - started
    figures = {
        "database": connection.vendor,
        "entries_sealed": sealed,
        "seal_seconds": round(seconds, 2),
        "entries_per_second": round(sealed / seconds),
        "verify_seconds": round(verify_seconds, 2),
        "log_verifies": report.is_valid,
    }
    print(
        f"audit sealing ({figures['database']}): {sealed:,} entries in {seconds:.2f} s "
        f"({figures['entries_per_second']:,}/s, batches of {arguments.batch:,}); "
        f"verify_audit_log over {report.entries:,} entries in {verify_seconds:.2f} s: "
        f"{'OK' if report.is_valid else report.problem}"
    )
    return figures


if __name__ == "__main__":
    main()
