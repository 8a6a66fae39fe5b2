"""The card sweep over 1,000,000 open cases on PostgreSQL (target: under 60 s on 2 cores).

    .venv/bin/python bench/supervision_sweep.py [--cases 1000000] [--today 2026-12-07] [--batch-size 50000]

Runs on a database of its own (``YIWANG_BENCH_SUPERVISION_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/yiwang_bench_supervision), created and migrated when missing. The data
is synthetic and goes in with ``COPY`` (``applications_data.Copier``): 60 departments of the city's six
counties, each with two approvers, two window clerks and a head; three city supervisors and one per
county; 1,000,000 open cases (accepted 80 %, submitted with a promised date 10 %, supplement 5 %,
suspended 5 %), promised 5–20 working days, due from 15 days before to 40 days after ``--today``, each
with one open stage (60 % claimed) due a few days before the case. The sweep runs twice: first from no
cards (it raises them all, with their recipients and audit entries), then again (idempotent: nothing new).
Peak memory is this process's (the sweep holds no rows in Python); PostgreSQL's own is not counted. Also
printed: the load average (the machine is shared) and the CPU time of the sweep's PostgreSQL backend.
Migration 0001 was regenerated on 2026-12-06 without four foreign-key indexes of Card and CardRecipient; a
bench database migrated before still has them: drop them (docs/supervision-cards.md) or the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

PG_URL = os.environ.get(
    "YIWANG_BENCH_SUPERVISION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench_supervision"
)
VAR = ROOT / "var" / "bench-supervision"
TARGET_SECONDS = 60
COUNTIES = ["511602", "511603", "511621", "511622", "511623", "511681"]
CASE_COLUMNS = [
    "id",
    "number",
    "query_code_hash",
    "department_id",
    "region_id",
    "applicant_id",
    "applicant_kind",
    "holder_code",
    "holder_name",
    "channel",
    "status",
    "submitted_at",
    "accepted_at",
    "promised_limit_days",
    "statutory_limit_days",
    "promised_due",
    "created_at",
    "updated_at",
    "revision",
]
TASK_COLUMNS = [
    "id",
    "case_id",
    "task_id",
    "bpmn_id",
    "name",
    "role",
    "department_id",
    "region_id",
    "state",
    "claimed_by_id",
    "due_on",
    "is_escalation",
    "created_at",
]


def _world() -> dict:
    from yiwang.catalog.tests.factories import DepartmentFactory, synthetic_credit_code
    from yiwang.core.services import load_bundled_holidays
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.models import StaffAssignment
    from yiwang.identity.tests.factories import UserFactory
    from yiwang.regions.models import Department, Region
    from yiwang.regions.services import load_regions

    if not Region.objects.exists():
        load_regions()
    load_bundled_holidays()
    departments = list(Department.objects.filter(name__startswith="监察基准局").order_by("pk"))
    if not departments:
        for n in range(60):
            county = COUNTIES[n % len(COUNTIES)]
            region = Region.objects.get(code=f"{county}000000")
            departments.append(
                DepartmentFactory(
                    credit_code=synthetic_credit_code(800_000_000 + n, region_prefix=county),
                    name=f"监察基准局{n}",
                    short_name=f"基准局{n}",
                    region=region,
                )
            )
        for department in departments:
            for role, count in (
                (StaffRole.APPROVER, 2),
                (StaffRole.WINDOW_CLERK, 2),
                (StaffRole.DEPARTMENT_HEAD, 1),
            ):
                for _ in range(count):
                    StaffAssignment.objects.create(
                        user=UserFactory(staff=True),
                        department=department,
                        region=department.region,
                        role=role,
                    )
        city = Region.objects.get(code="511600000000")
        for _ in range(3):
            StaffAssignment.objects.create(
                user=UserFactory(staff=True),
                department=departments[0],
                region=city,
                role=StaffRole.SUPERVISOR,
            )
        for department in departments[: len(COUNTIES)]:
            StaffAssignment.objects.create(
                user=UserFactory(staff=True),
                department=department,
                region=department.region,
                role=StaffRole.SUPERVISOR,
            )
    from yiwang.identity.models import User

    applicant = User.objects.filter(username="sv_bench_applicant").first() or UserFactory(
        level3=True, username="sv_bench_applicant"
    )
    approvers: dict[int, list[int]] = {}
    for assignment in StaffAssignment.objects.filter(department__in=departments, role=StaffRole.APPROVER):
        approvers.setdefault(assignment.department_id, []).append(assignment.user_id)
    return {"departments": departments, "applicant": applicant, "approvers": approvers}


def build(*, cases: int, today: dt.date, seed: int = 20261206) -> int:
    from applications_data import Copier, _reserve_ids
    from django.db import connection
    from django.utils import timezone

    from yiwang.applications.models import Case, CaseTask

    existing = Case.objects.filter(number__startswith="SV").count()
    if existing >= cases:
        return existing
    world = _world()
    rng = random.Random(seed)
    now = timezone.now()
    case_copier, task_copier = Copier(Case, CASE_COLUMNS), Copier(CaseTask, TASK_COLUMNS)
    count = cases - existing
    with connection.cursor() as cursor:
        raw = cursor.cursor
        first_case = _reserve_ids(raw, Case._meta.db_table, count)
        first_task = _reserve_ids(raw, CaseTask._meta.db_table, count)
        departments = world["departments"]
        rows, tasks = [], []

        def flush() -> None:
            case_copier.copy(raw, rows)
            task_copier.copy(raw, tasks)
            rows.clear()
            tasks.clear()

        for offset in range(count):
            case_id, department = first_case + offset, departments[offset % len(departments)]
            roll = rng.random()
            status = (
                "accepted"
                if roll < 0.8
                else "submitted"
                if roll < 0.9
                else "supplement"
                if roll < 0.95
                else "suspended"
            )
            limit = rng.choice((5, 10, 15, 20))
            due = today + dt.timedelta(days=rng.randint(-15, 40))
            accepted = timezone.make_aware(
                dt.datetime.combine(due - dt.timedelta(days=limit * 7 // 5), dt.time(10))
            )
            rows.append(
                (
                    case_id,
                    f"SV{case_id:020d}",
                    f"{case_id:064x}",
                    department.pk,
                    department.region_id,
                    world["applicant"].pk,
                    "person",
                    world["applicant"].id_number or "",
                    "基准申请人",
                    "online",
                    status,
                    accepted,
                    accepted,
                    limit,
                    limit * 2,
                    due,
                    now,
                    now,
                    0,
                )
            )
            claimed = rng.random() < 0.6
            tasks.append(
                (
                    first_task + offset,
                    case_id,
                    f"t{case_id}",
                    "review",
                    "审查",
                    "approver",
                    department.pk,
                    department.region_id,
                    "ready",
                    rng.choice(world["approvers"][department.pk]) if claimed else None,
                    due - dt.timedelta(days=rng.randint(0, 8)),
                    False,
                    now,
                )
            )
            if len(rows) >= 50_000:
                flush()
        flush()
        cursor.execute("ANALYZE applications_case")
        cursor.execute("ANALYZE applications_casetask")
    return Case.objects.filter(number__startswith="SV").count()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu_seconds() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server; NaN otherwise):
    the sweep's work apart from waiting for the CPU on a loaded machine or for the disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 12, 7))
    parser.add_argument("--batch-size", type=int, default=50_000)
    args = parser.parse_args()
    from pg_bench_database import setup_django_on_postgres

    setup_django_on_postgres(database_url=PG_URL, var_dir=VAR)
    from django.db import connection

    from yiwang.supervision.models import Card, CardRecipient
    from yiwang.supervision.services import cards

    started = time.perf_counter()
    total = build(cases=args.cases, today=args.today)
    print(f"data: {total:,} open cases ready in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE supervision_cardrecipient, supervision_card")
        cursor.execute(
            "SELECT count(*) FROM applications_case WHERE status IN ('submitted', 'accepted') "
            "AND promised_due IS NOT NULL"
        )
        open_cases = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM applications_case WHERE status IN "
            "('submitted', 'accepted', 'supplement', 'suspended')"
        )
        all_open = cursor.fetchone()[0]
    for label in ("first sweep (raises every card)", "second sweep (idempotent)"):
        load_before, cpu_before = _load(), _backend_cpu_seconds()
        started = time.perf_counter()
        result = cards.sweep(today=args.today, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        cpu = _backend_cpu_seconds() - cpu_before
        print(
            f"{label}: {seconds:.1f} s for {all_open:,} open cases ({open_cases:,} with a running clock), "
            f"{all_open / seconds:,.0f} cases/s; PostgreSQL backend CPU {cpu:.1f} s; "
            f"cards {result.cards:,} {result.raised}, recipients {result.recipients:,}, "
            f"handlers added {result.handlers_added:,}, notices {result.notices:,}, "
            f"batches {result.batches}; "
            f"peak memory {_peak_mb():.0f} MB; load average {load_before} before, {_load()} after; "
            f"target < {TARGET_SECONDS} s on 2 cores: {'met' if seconds < TARGET_SECONDS else 'MISSED'}"
        )
    print(f"cards in the table: {Card.objects.count():,}, recipients: {CardRecipient.objects.count():,}")


if __name__ == "__main__":
    main()
