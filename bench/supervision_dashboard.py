"""The supervision dashboard's queries at 1,000,000 cases on PostgreSQL, DailyCaseStat refreshed from them.

    .venv/bin/python bench/supervision_dashboard.py [--cases 1000000] [--runs 50]

A database of its own (``YIWANG_BENCH_DASHBOARD_DATABASE_URL``, default yiwang_bench_dashboard), built like
the applications bench (its ``ensure_world`` and ``applications_data.ensure_cases``: demo data, then the
cases by COPY). Times: the full refresh of every day (``refresh_since``), the periodic refresh of today
and yesterday, then p50/p99 of each of the page's reads and of the whole page (``dashboard_figures`` for
the platform, the city, a county, a department; the department's open cases; hot items) over ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

DASHBOARD_URL = os.environ.get(
    "YIWANG_BENCH_DASHBOARD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench_dashboard"
)
TARGET_P99_MS = 200


def _timed(function, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 1),
    }


def main() -> None:
    import applications_bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    arguments = parser.parse_args()
    applications_bench.PG_URL = DASHBOARD_URL  # a database of its own, the same steps
    applications_bench.PG_VAR = HERE.parent / "var" / "bench-dashboard-pg"
    applications_bench.setup_django("postgres")
    applications_bench.ensure_world()
    from applications_data import ensure_cases

    data = ensure_cases(cases=arguments.cases)

    from django.db import connection
    from django.utils import timezone

    from yiwang.applications.models import Case
    from yiwang.identity.constants import StaffRole
    from yiwang.identity.models import StaffAssignment
    from yiwang.regions.models import Department, Region
    from yiwang.supervision.models import DailyCaseStat
    from yiwang.supervision.selectors.stats import (
        dashboard_figures,
        department_open_cases,
        hot_items,
        period_window,
        public_reader,
        staff_reader,
    )
    from yiwang.supervision.services.stats import refresh_recent, refresh_since

    first = timezone.localtime(
        Case.objects.order_by("submitted_at").values_list("submitted_at", flat=True)[0]
    ).date()
    start = time.perf_counter()
    rows = refresh_since(since=first)
    full_refresh_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE supervision_dailycasestat")
    start = time.perf_counter()
    refresh_recent()
    recent_refresh_s = time.perf_counter() - start

    county = Region.objects.get(code="511602000000")
    city = Region.objects.get(code="511600000000")
    department = (
        Department.objects.filter(pk__in=Case.objects.values("department_id")[:1000]).order_by("pk").first()
    )
    supervisor = StaffAssignment.objects.filter(role=StaffRole.SUPERVISOR).select_related("user").first()
    reader = staff_reader(actor=supervisor.user) if supervisor else public_reader()
    since, until = period_window(days=30)
    year_since, _ = period_window(days=365)
    queries = {
        "platform_30d": lambda: dashboard_figures(reader=public_reader(), since=since, until=until),
        "city_30d": lambda: dashboard_figures(reader=public_reader(), since=since, until=until, region=city),
        "county_365d": lambda: dashboard_figures(
            reader=public_reader(), since=year_since, until=until, region=county
        ),
        "supervisor_scope_30d": lambda: dashboard_figures(reader=reader, since=since, until=until),
        "department_30d": lambda: dashboard_figures(
            reader=public_reader(), since=since, until=until, department=department
        ),
        "hot_items": lambda: hot_items(region_code=county.code, limit=10),
    }
    if (
        supervisor
        and reader.scope is not None
        and reader.scope.covers(department_id=department.pk, region_code=department.region_id)
    ):
        queries["department_open_cases"] = lambda: department_open_cases(reader=reader, department=department)

    def page():
        queries["supervisor_scope_30d"]()
        queries["county_365d"]()

    figures = {name: _timed(function, arguments.runs) for name, function in queries.items()}
    figures["whole_page(scope_30d+county_365d)"] = _timed(page, arguments.runs)
    report = {
        "cases": Case.objects.count(),
        "generated": data.get("generated"),
        "daily_rows": DailyCaseStat.objects.count(),
        "rows_written": rows,
        "refresh_all_days_s": round(full_refresh_s, 1),
        "refresh_today_and_yesterday_ms": round(recent_refresh_s * 1000, 1),
        "queries": figures,
        "target_p99_ms": TARGET_P99_MS,
        "all_within_target": all(value["p99_ms"] <= TARGET_P99_MS for value in figures.values()),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
