"""The supervision dashboard's queries at 1,000,000 cases on PostgreSQL, DailyCaseStat refreshed from them.

    .venv/bin/python bench/supervision_dashboard.py [--cases 1000000] [--runs 50] [--rebuild]
        [--case-date-indexes]

A database of its own (``YIWANG_BENCH_DASHBOARD_DATABASE_URL``, default yiwang_bench_dashboard), built like
the applications bench (its ``ensure_world`` and ``applications_data.ensure_cases``: demo data, then the
cases by COPY). Times: the full refresh of every day (``refresh_since``; only when the daily figures are
empty or with ``--rebuild``), the roll-up of every finished month, the periodic refresh of today and
yesterday, then p50/p99 of each of the page's reads and of the whole page (``dashboard_figures`` for the
platform, the city, a county, a department over 30, 90 and 365 days; the department's open cases; hot
items) over ``--runs``, each printed beside the 200 ms p99 target. ``--case-date-indexes`` also times the
periodic refresh with indexes on applications_case (accepted_at) and (closed_at) created for the run and
dropped after it (a proposal for the applications app; the bench leaves the schema as the migrations say).
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
    parser.add_argument("--rebuild", action="store_true", help="recompute every day even when present")
    parser.add_argument("--case-date-indexes", action="store_true")
    arguments = parser.parse_args()
    applications_bench.PG_URL = DASHBOARD_URL  # a database of its own, the same steps
    applications_bench.PG_VAR = HERE.parent / "var" / "bench-dashboard-pg"
    applications_bench.setup_django("postgres")
    applications_bench.ensure_world()
    from applications_data import ensure_cases

    data = ensure_cases(cases=arguments.cases)

    from django.db import connection
    from django.utils import timezone

    from yiwang.supervision.models import MonthlyCaseStat

    if MonthlyCaseStat._meta.db_table not in connection.introspection.table_names():
        # a bench database migrated before the roll-up joined migration 0001 (not landed yet)
        with connection.schema_editor() as editor:
            editor.create_model(MonthlyCaseStat)

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
    from yiwang.supervision.services.stats import (
        finished_months,
        refresh_recent,
        refresh_since,
        roll_up_months,
    )

    first = timezone.localtime(
        Case.objects.order_by("submitted_at").values_list("submitted_at", flat=True)[0]
    ).date()
    rows, full_refresh_s = None, None
    if arguments.rebuild or not DailyCaseStat.objects.exists():
        start = time.perf_counter()
        rows = refresh_since(since=first)  # rolls up the finished months too
        full_refresh_s = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    month_first, month_after = finished_months(since=first, until=timezone.localdate())
    monthly_rows = roll_up_months(first=month_first, after=month_after)
    roll_up_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE supervision_dailycasestat")
        cursor.execute("ANALYZE supervision_monthlycasestat")

    def recent() -> dict[str, float]:
        refresh_recent()  # warm
        return _timed(refresh_recent, 5)

    recent_refresh = recent()
    with_indexes = None
    if arguments.case_date_indexes:
        proposal = (
            "CREATE INDEX case_accepted_at_idx ON applications_case (accepted_at)",
            "CREATE INDEX case_closed_at_idx ON applications_case (closed_at)",
        )
        with connection.cursor() as cursor:
            start = time.perf_counter()
            for statement in proposal:
                cursor.execute(statement)
            cursor.execute("ANALYZE applications_case")
            build_s = time.perf_counter() - start
        try:
            with_indexes = {"build_both_s": round(build_s, 1), **recent()}
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS case_accepted_at_idx")
                cursor.execute("DROP INDEX IF EXISTS case_closed_at_idx")

    county = Region.objects.get(code="511602000000")
    city = Region.objects.get(code="511600000000")
    department = (
        Department.objects.filter(pk__in=Case.objects.values("department_id")[:1000]).order_by("pk").first()
    )
    supervisor = StaffAssignment.objects.filter(role=StaffRole.SUPERVISOR).select_related("user").first()
    reader = staff_reader(actor=supervisor.user) if supervisor else public_reader()

    def view(days: int, **where):
        since, until = period_window(days=days)
        who = where.pop("reader", None) or public_reader()
        return lambda: dashboard_figures(reader=who, since=since, until=until, **where)

    queries = {}
    for days in (30, 90, 365):
        queries[f"platform_{days}d"] = view(days)
        queries[f"city_{days}d"] = view(days, region=city)
        queries[f"county_{days}d"] = view(days, region=county)
        queries[f"supervisor_scope_{days}d"] = view(days, reader=reader)
        queries[f"department_{days}d"] = view(days, department=department)
    queries["hot_items"] = lambda: hot_items(region_code=county.code, limit=10)
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
        "monthly_rows": monthly_rows,
        "rows_written": rows,
        "refresh_all_days_s": full_refresh_s,
        "roll_up_all_finished_months_s": round(roll_up_s, 1),
        "refresh_today_and_yesterday_ms": recent_refresh,
        "refresh_today_and_yesterday_with_case_date_indexes_ms": with_indexes,
        "load_average": os.getloadavg(),
        "queries": figures,
        "target_p99_ms": TARGET_P99_MS,
        "all_within_target": all(value["p99_ms"] <= TARGET_P99_MS for value in figures.values()),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"\n{'read':<40} {'p50 ms':>8} {'p99 ms':>8} {'target p99':>11}")
    for name, value in figures.items():
        verdict = "ok" if value["p99_ms"] <= TARGET_P99_MS else "OVER"
        print(
            f"{name:<40} {value['p50_ms']:>8} {value['p99_ms']:>8} {'≤ ' + str(TARGET_P99_MS):>11} {verdict}"
        )


if __name__ == "__main__":
    main()
