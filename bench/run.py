"""`make bench`: run every benchmark, print the figures and compare them with the issues' targets.

    .venv/bin/python bench/run.py [--only search,http,…,supervision,personal-space] [--seconds 10]

Each benchmark runs in its own process (each points Django at its own bench database under var/bench*).
Loads go to loopback only and stop by themselves.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
sys.path.insert(0, str(BENCH))

TARGET_RATIO = 0.40


def _run_script(name: str, *args: str) -> None:
    print(f"\n=== {name} {' '.join(args)}", flush=True)
    subprocess.run([PYTHON, str(BENCH / name), *args], check=True, cwd=ROOT)


def _json_script(name: str, *args: str):
    out = subprocess.run(
        [PYTHON, str(BENCH / name), *args], check=True, cwd=ROOT, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _guide_paths(database: Path) -> list[str]:
    """Guides spread over the whole bench catalog."""
    with sqlite3.connect(database) as connection:
        codes = connection.execute(
            "SELECT code FROM catalog_implementation WHERE id % 20011 = 7 LIMIT 50"
        ).fetchall()
    return ["/api/v1/items/" + urllib.parse.quote(code) for (code,) in codes]


def http(seconds: int) -> dict:
    import catalog_generator
    import http_bench

    guide_paths = _guide_paths(catalog_generator.BENCH_VAR_DIR / "yiwang.sqlite3")
    search_paths = _json_script("search_paths.py")
    print(
        f"\nsearch paths: {len(search_paths)} requests over {len(set(search_paths))} distinct queries (Zipf)"
    )
    figures = http_bench.main(
        var_dir=catalog_generator.BENCH_VAR_DIR,
        search_paths=search_paths,
        guide_paths=guide_paths,
        seconds=seconds,
    )
    bare, search, guide = figures["bare"], figures["search"], figures["guide"]
    print(
        "\n=== HTTP under load (granian WSGI, 2 workers; wrk 2 threads, 16 connections, "
        f"{seconds} s each, same machine)"
    )
    for name, row in (
        ("bare /api/v1/health", bare),
        ("search /api/v1/search", search),
        ("guide /api/v1/items/{code}", guide),
    ):
        print(
            f"  {name:<30} {row['rps']:>9,.0f} req/s   p50 {row['p50_ms']:.2f} ms"
            f"   p99 {row['p99_ms']:.2f} ms   non-2xx {row['non_2xx']}"
        )
    ratio = figures["search_to_bare_ratio"]
    print(
        f"  search / bare throughput: {ratio:.0%} (goal ≥ {TARGET_RATIO:.0%}) "
        f"{'PASS' if ratio >= TARGET_RATIO else 'BELOW GOAL'}"
    )
    return figures


def audit_http(seconds: int) -> None:
    """Audited register reads over HTTP on PostgreSQL, beside the bare endpoint of the same server."""
    figures = _json_script("audit_http_bench.py", "--seconds", str(seconds))
    bare, reads = figures["bare"], figures["audited_reads"]
    print(
        f"\n=== audited register reads over HTTP (PostgreSQL, {figures['people']:,} people; "
        f"granian 2 workers, wrk 2 threads, 16 connections, {seconds} s)"
    )
    for name, row in (("bare /api/v1/health", bare), ("POST /registers/population/lookup", reads)):
        print(
            f"  {name:<36} {row['rps']:>9,.0f} req/s   p50 {row['p50_ms']:.2f} ms"
            f"   p99 {row['p99_ms']:.2f} ms   non-2xx {row['non_2xx']}"
        )
    print(
        f"  audit entries written {figures['audit_entries_written']:,} for {reads['requests']:,} requests "
        f"({'every read logged' if figures['every_read_logged'] else 'READS MISSING FROM THE LOG'}); "
        f"target ≥ 2,000 reads/s: {'PASS' if figures['meets_target'] else 'BELOW TARGET'}"
    )


def exchange(seconds: int) -> None:
    """Exchange verify, query and batch verify over HTTP on PostgreSQL, beside the bare endpoint."""
    figures = _json_script("exchange_bench.py", "--seconds", str(seconds))
    print(
        f"\n=== exchange calls over HTTP (PostgreSQL, {figures['people']:,} people; "
        f"granian 2 workers × 2 threads, wrk 2 threads, 16 connections, {seconds} s each)"
    )
    batch = figures["verify_batch"]
    for name, row in (
        ("bare /api/v1/health", figures["bare"]),
        ("POST /exchange/verify", figures["verify"]),
        ("POST /exchange/query", figures["query"]),
        (f"POST /exchange/verify/batch ({batch['keys_per_request']} keys)", batch),
    ):
        print(
            f"  {name:<36} {row['rps']:>9,.0f} req/s   p50 {row['p50_ms']:.2f} ms"
            f"   p99 {row['p99_ms']:.2f} ms   non-2xx {row['non_2xx']}"
        )
    logged = all(figures[name]["every_call_logged"] for name in ("verify", "query", "verify_batch"))
    print(
        f"  verified keys/s: single {figures['verify']['keys_per_second']:,.0f}, "
        f"batched {batch['keys_per_second']:,.0f}; "
        f"server RSS after the load {figures['server_rss_mb']:,.0f} MB; "
        f"{'every call and key logged' if logged else 'CALLS MISSING FROM THE LOG'}; "
        f"target ≥ 2,000 verified/s: {'PASS' if figures['meets_target'] else 'BELOW TARGET'}"
    )


def audit_tracker() -> None:
    """The data tracker's first page on 10 million PostgreSQL audit rows."""
    figures = _json_script("audit_tracker_bench.py")
    print(
        f"\n=== data tracker first page on {figures['rows']:,} audit rows (PostgreSQL, "
        f"{figures['queries']:,} citizens, {figures['rows_per_page_avg']} rows a page on average): "
        f"p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms (targets ≤ 20 / 50 ms) "
        f"{'PASS' if figures['meets_targets'] else 'FAIL'}"
    )


def webhooks() -> None:
    """Webhook deliveries per second to a loopback receiver (bounded: 2,000 events × 2 endpoints, 60 s)."""
    figures = _json_script("webhook_bench.py", "--events", "2000", "--endpoints", "2", "--seconds", "60")
    print(
        f"\n=== webhook deliveries ({figures['database']}, one deliverer, loopback receiver): "
        f"{figures['deliveries']:,} in {figures['seconds']:.2f} s = {figures['deliveries_per_second']:,}/s "
        f"(signed, at least once); undelivered {figures['undelivered']}"
    )


def notifications() -> None:
    """Messages to people delivered per second (notify + deliver, null SMS backend, locmem email)."""
    print("\n=== notifications to people: notify + deliver (null SMS backend, locmem email; one process)")
    for database in ("sqlite", "postgres"):
        row = _json_script("notifications.py", "--database", database, "--messages", "2000")
        print(
            f"  {row['database']:<10} {row['messages']:,} messages → {row['copies']:,} SMS/email copies: "
            f"notify {row['notify_per_second']:,.0f}/s, "
            f"deliver {row['copies_sent_per_second']:,.0f} copies/s, "
            f"end to end {row['messages_per_second_end_to_end']:,.0f} messages/s; left {row['left']}; "
            "target: (none stated) — reported"
        )


def applications(seconds: int) -> None:
    """Submissions per second with the workflow started (SQLite, PostgreSQL; in-process and over HTTP beside
    the bare endpoint), and the applicant's list and the staff queue at 1M cases on PostgreSQL."""
    target = 100
    print(f"\n=== applications: submissions with the workflow started (target ≥ {target}/s on 2 cores)")
    for database in ("sqlite", "postgres"):
        row = _json_script(
            "applications_bench.py", "submit", "--database", database, "--seconds", str(seconds)
        )
        print(
            f"  in-process {database:<8} 2 processes: {row['submissions_per_second']:>7,.1f}/s   "
            f"p50 {row['p50_ms']:.0f} ms   p99 {row['p99_ms']:.0f} ms   "
            f"CPU {row['cpu_ms_per_submission']:.0f} ms"
            + (
                f" + PostgreSQL {row['db_cpu_ms_per_submission']:.0f} ms"
                if row["db_cpu_ms_per_submission"]
                else ""
            )
            + f" a submission (≈ {row['cpu_bound_per_second_on_2_cores']:.0f}/s if 2 cores did only this); "
            f"load {row['load_average_before']}; "
            f"{'every case complete' if row['check']['complete'] else 'CASES INCOMPLETE'}; "
            f"{'PASS' if row['meets_target'] else 'BELOW TARGET'}"
        )
        row = _json_script("applications_bench.py", "http", "--database", database, "--seconds", str(seconds))
        bare, submit = row["bare"], row["submit"]
        print(
            f"  HTTP {database:<8} bare /api/v1/health {bare['rps']:>8,.0f} req/s "
            f"(p50 {bare['p50_ms']:.1f} ms); "
            f"POST /api/v1/applications {submit['rps']:>6,.1f}/s   p50 {submit['p50_ms']:.0f} ms   "
            f"p99 {submit['p99_ms']:.0f} ms   non-2xx {submit['non_2xx']}; "
            f"{'every case complete' if row['check']['complete'] else 'CASES INCOMPLETE'}; "
            f"{'PASS' if row['meets_target'] else 'BELOW TARGET'}"
        )
    row = _json_script("applications_bench.py", "reads", "--seconds", str(seconds))
    print(f"\n=== applications at {row['cases']:,} cases on PostgreSQL (target median ≤ 20 ms)")
    for name, figures in row["in_process"].items():
        print(f"  in-process {name:<34} p50 {figures['p50_ms']:6.2f} ms   p99 {figures['p99_ms']:6.2f} ms")
    for name, by_connections in row["http"].items():
        one, many = by_connections["1"], by_connections["16"]
        print(
            f"  {name:<36} 1 connection: p50 {one['p50_ms']:6.2f} ms p99 {one['p99_ms']:6.2f} ms; "
            f"16: {many['rps']:>7,.0f} req/s p50 {many['p50_ms']:6.1f} ms p99 {many['p99_ms']:6.1f} ms"
            f"   non-2xx {one['non_2xx'] + many['non_2xx']}"
        )
    for name, explained in row["explain"].items():
        for plan in explained["plans"]:
            print(
                f"  EXPLAIN {name}: {plan['execution_ms']:.2f} ms, "
                f"indexes {', '.join(plan['indexes']) or '-'}"
                f"{'; seq scans ' + ', '.join(plan['seq_scans']) if plan['seq_scans'] else ''}"
            )
    print(f"  target median ≤ 20 ms: {'PASS' if row['meets_target'] else 'FAIL'}")


def supervision() -> None:
    """The card sweep over 1M open cases (target < 60 s on 2 cores) and the dashboard's reads at 1M cases
    (target p99 ≤ 200 ms), each on its own PostgreSQL database (built on the first run, ~10 minutes)."""
    _run_script("supervision_sweep.py")
    _run_script("supervision_dashboard.py")


def personal_space(seconds: int) -> None:
    """我的空间 for a person with 1,000 cases and 1,000 licenses (PostgreSQL), in-process and over HTTP beside
    the bare endpoint; target p99 ≤ 200 ms on one connection (ours: the issue gives none)."""
    figures = _json_script("personal_space.py", "--seconds", str(seconds))
    print(
        f"\n=== 我的空间 for a person with {figures['person_cases']:,} cases and "
        f"{figures['person_licenses']:,} licenses (PostgreSQL, {figures['all_cases']:,} cases in all; "
        f"granian 2 workers × 2 threads, wrk 1 and 8 connections, {seconds} s each; "
        f"load {figures['load_average_before'][0]})"
    )
    for name, row in figures["in_process"].items():
        print(
            f"  in-process {name:<26} p50 {row['p50_ms']:7.2f} ms   p99 {row['p99_ms']:7.2f} ms   "
            f"Python CPU p50 {row['cpu_p50_ms']:6.2f} ms   {row['queries']} SQL queries"
        )
    for name, by_connections in figures["http"].items():
        one, many = by_connections["1"], by_connections["8"]
        print(
            f"  {name:<30} 1 connection: p50 {one['p50_ms']:7.2f} ms p99 {one['p99_ms']:7.2f} ms; "
            f"8: {many['rps']:>7,.0f} req/s p99 {many['p99_ms']:7.1f} ms   "
            f"non-2xx {one['non_2xx'] + many['non_2xx']}"
        )
    print(
        f"  target p99 ≤ {figures['target_p99_ms']} ms on one connection (ours): "
        f"{'PASS' if figures['meets_target'] else 'OVER'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Yiwang benchmarks")
    parser.add_argument(
        "--only",
        default="search,http,guide,identity,licenses,audit-seal,audit-http,exchange,audit-tracker,webhooks,"
        "notifications,applications,supervision,personal-space",
    )
    parser.add_argument("--seconds", type=int, default=10)
    arguments = parser.parse_args()
    chosen = set(arguments.only.split(","))
    started = time.perf_counter()
    if "search" in chosen:
        _run_script("search_bench.py")
        _run_script("search_relevance.py")  # top-3 hit rate of the relevance set (target ≥ 90%)
    if "http" in chosen:
        http(arguments.seconds)
    if "guide" in chosen:
        figures = _json_script("guide_queries.py")
        print(
            f"\n=== guide endpoint SQL queries on the bench catalog: max {figures['guide_queries_max']} "
            f"over {figures['guide_samples']} guides (target ≤ 12) "
            f"{'PASS' if figures['meets_guide_queries'] else 'FAIL'}"
        )
    if "identity" in chosen:
        _run_script("identity_bench.py")
    if "licenses" in chosen:
        _run_script("license_bench.py")
    if "audit-seal" in chosen:
        _run_script("audit_seal.py")  # sealing time for 100,000 audit entries
    if "audit-http" in chosen:
        audit_http(arguments.seconds)
    if "exchange" in chosen:
        exchange(arguments.seconds)
    if "audit-tracker" in chosen:
        audit_tracker()
    if "webhooks" in chosen:
        webhooks()
    if "notifications" in chosen:
        notifications()
    if "applications" in chosen:
        applications(arguments.seconds)
    if "supervision" in chosen:
        supervision()
    if "personal-space" in chosen:
        personal_space(arguments.seconds)
    print(f"\nall benchmarks done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
