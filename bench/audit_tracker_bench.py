"""The citizen's data tracker at scale: first-page p50/p99 on ≥ 10 million audit rows on PostgreSQL.

    .venv/bin/python bench/audit_tracker_bench.py [--rows 10000000] [--queries 2000]

Uses its own PostgreSQL database (YIWANG_BENCH_AUDIT_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/yiwang_bench_audit), created and filled once: 1,000,000 subjects with a
long-tailed number of entries each (most people a handful, a few thousands), spread over two years, with
their keyed subject hashes computed by the platform's own function. The indexes are built after the
load, as an operator would for a bulk import. Later runs only measure. Queries go through the tracker's
selector, the one the page and the API call.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
DATABASE_URL = os.environ.get(
    "YIWANG_BENCH_AUDIT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yiwang_bench_audit"
)
SUBJECTS = 1_000_000
TARGETS_MS = {"p50": 20.0, "p99": 50.0}


def _subject_code(number: int) -> str:
    return f"BENCH{number:013d}"


def setup_django() -> None:
    from pg_bench_database import setup_django_on_postgres

    setup_django_on_postgres(database_url=DATABASE_URL, var_dir=ROOT / "var" / "bench-audit")


def _load_subjects(cursor) -> None:
    from yiwang.audit.subjects import subject_hash

    cursor.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_subject (n integer PRIMARY KEY, hash text)")
    cursor.execute("TRUNCATE bench_subject")
    with cursor.copy("COPY bench_subject (n, hash) FROM STDIN") as copy:
        for number in range(SUBJECTS):
            copy.write_row((number, subject_hash(_subject_code(number))))


_INDEXES = ("audit_subject_time_idx", "audit_department_time_idx", "audit_actor_dept_time_idx")


def generate(rows: int) -> dict:
    """Fill the log up to ``rows`` entries (plain SQL, indexes dropped during the load and rebuilt)."""
    from django.db import connection

    from yiwang.audit.models import AuditEntry

    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (our own table name)
        present = cursor.fetchone()[0]
        if present >= rows:
            return {"rows": present}
        started = time.perf_counter()
        _load_subjects(cursor.cursor)
        # The append-only trigger (if installed) refuses only UPDATE/DELETE: inserts are fine.
        for index in _INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
        cursor.execute("SELECT id FROM regions_department ORDER BY id LIMIT 40")
        departments = [row[0] for row in cursor.fetchall()] or [None]
        department_list = "ARRAY[" + ",".join(str(d) for d in departments if d is not None) + "]::bigint[]"
        # Long tail: subject = floor(1e6 · u³) puts ~20 % of entries on the first 1 % of subjects.
        cursor.execute(
            f"""
            INSERT INTO {table} (leaf_hash, kind, action, outcome, reason, actor_role, actor_region_code,
                system, on_behalf_of, object_type, object_id, subject_hash, subject_kind, fields, purpose,
                ground_kind, ground_ref, channel, request_id, details, occurred_at, department_id,
                actor_department_id)
            SELECT '', 'read', 'registers.person_read', 'allowed', '', 'window_clerk', '511602', '',
                '', 'registers.person', '', s.hash, 'person', '["birth_date", "name"]'::jsonb, '户籍核验',
                'case', 'BJ' || drawn.g, 'api', md5(drawn.g::text), '{{}}'::jsonb,
                now() - (random() * interval '730 days'),
                ({department_list})[1 + (drawn.g % {max(len(departments), 1)})],
                ({department_list})[1 + (drawn.g % {max(len(departments), 1)})]
            FROM (
                SELECT g, floor({SUBJECTS} * power(random(), 3))::int AS n
                FROM generate_series({present + 1}, {rows}) AS g
            ) AS drawn
            JOIN bench_subject s ON s.n = drawn.n
            """  # noqa: S608 (numbers we computed)
        )
        loaded = time.perf_counter() - started
        cursor.execute(
            f"CREATE INDEX audit_subject_time_idx ON {table} (subject_hash, occurred_at DESC, id DESC)"
        )
        cursor.execute(f"CREATE INDEX audit_department_time_idx ON {table} (department_id, occurred_at DESC)")
        cursor.execute(
            f"CREATE INDEX audit_actor_dept_time_idx ON {table} (actor_department_id, occurred_at DESC)"
        )
        cursor.execute(f"ANALYZE {table}")
        return {
            "rows": rows,
            "load_seconds": round(loaded, 1),
            "index_seconds": round(time.perf_counter() - started - loaded, 1),
        }


def _first_page(code: str) -> int:
    from yiwang.audit.scope import AuditScope
    from yiwang.audit.selectors import list_data_uses

    page = list_data_uses(scope=AuditScope(subject_codes=frozenset({code}), department_ids=frozenset()))
    return len(page.items)


def measure(queries: int) -> dict:
    rng = random.Random(20261206)
    # Citizens opening their tracker: drawn like the data (busy subjects open it more often too).
    codes = [_subject_code(int(SUBJECTS * rng.random() ** 3)) for _ in range(queries)]
    for code in codes[:50]:
        _first_page(code)  # warm the connection and the index's upper levels
    latencies, found = [], 0
    for code in codes:
        began = time.perf_counter()
        found += _first_page(code)
        latencies.append((time.perf_counter() - began) * 1000)
    latencies.sort()
    return {
        "queries": queries,
        "rows_per_page_avg": round(found / queries, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 2),
    }


def main(*, rows: int = 10_000_000, queries: int = 2000) -> dict:
    setup_django()
    figures = generate(rows)
    figures.update(measure(queries))
    figures["meets_targets"] = (
        figures["p50_ms"] <= TARGETS_MS["p50"] and figures["p99_ms"] <= TARGETS_MS["p99"]
    )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    arguments = parser.parse_args()
    print(json.dumps(main(rows=arguments.rows, queries=arguments.queries)))
