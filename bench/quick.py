"""The quick benchmark for CI: fails on a large regression of the HTTP ratios, not of absolute times.

    .venv/bin/python bench/quick.py [--seconds 2] [--rounds 2] [--json]      (or `make bench-quick`)

On a small catalog of its own under var/bench-quick (≈ 6,000 implementations over every county, a
search index, a signing key and 50 signed e-licenses; built once, in ~15 s, rebuilt when the models or
migrations change), it starts granian as `make bench` does (2 workers × 2 threads) and loads with wrk
(2 threads, 16 connections, loopback) the bare endpoint ``/api/v1/health`` and three real ones:
search, the guide ``/api/v1/items/{code}`` and ``POST /api/v1/licenses/verify``. The rounds are
interleaved (bare, search, guide, verify, bare, search, …) so a burst of other work on the machine
falls on all of them. Judged: the server workers' CPU a request (from /proc, the least over the rounds),
bare ÷ endpoint; it exits 1 if that ratio falls below its floor in FLOORS (half of what it measured when
the floors were set; bench/README.md says why) or if any request failed. Requests/s and their ratios
are printed but never judged: the CI machine is shared and its speed varies.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
QUICK_DIR = Path(os.environ.get("YIWANG_BENCH_QUICK_DIR", ROOT / "var" / "bench-quick"))
sys.path.insert(0, str(BENCH))

IMPLEMENTATIONS = 3_000  # 2 per county over 2,978 counties: 5,956
LICENSES = 50
FORMAT = 1  # bump when what prepare() builds changes

# Floors of the server's CPU a request, bare ÷ endpoint: about half of the ratios measured when they were
# set (bench/README.md, "The quick benchmark in CI"). An endpoint whose cost a request doubles relative to
# the bare one fails; the run-to-run noise (a few %, even at load average 13) does not.
FLOORS = {"search": 0.22, "guide": 0.28, "verify": 0.14}


def _fingerprint() -> str:
    """Changes when the schema may have: the models and migrations, and what this script builds."""
    digest = hashlib.sha256(f"{FORMAT}-{IMPLEMENTATIONS}-{LICENSES}".encode())
    for path in sorted((ROOT / "src" / "yiwang").rglob("*.py")):
        if "migrations" in path.parts or path.name == "models.py" or path.parent.name == "models":
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _create_tables() -> None:
    """The tables straight from the models (as ``pytest --nomigrations``): seconds instead of a minute of
    migrations; the quick catalog needs no data migration."""
    from django.conf import settings
    from django.core.management import call_command

    class NoMigrations:
        def __contains__(self, app: str) -> bool:
            return True

        def __getitem__(self, app: str) -> None:
            return None

    saved = settings.MIGRATION_MODULES
    settings.MIGRATION_MODULES = NoMigrations()
    try:
        call_command("migrate", run_syncdb=True, verbosity=0)
    finally:
        settings.MIGRATION_MODULES = saved


def _issue_licenses(count: int) -> None:
    """A police branch in the first county signs ``count`` household registers (the real signing path)."""
    from yiwang.core.identifiers import credit_code_check_character, resident_id_check_digit
    from yiwang.licenses.models import LicenseType
    from yiwang.licenses.services import issue_license, load_license_type_catalog
    from yiwang.regions.constants import RegionLevel
    from yiwang.regions.models import Department, Region

    load_license_type_catalog()
    region = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code").first()
    body = f"11{region.code[:6]}QK0000001"  # 17 characters; no I, O, S, V, Z in a credit code
    department = Department.objects.create(
        credit_code=body + credit_code_check_character(body), name="快速压测公安分局", region=region
    )
    license_type = LicenseType.objects.get(code="HOUSEHOLD_REG")
    for n in range(count):
        id_body = f"{region.code[:6]}19{n % 90 + 10:02d}0{1 + n % 9}1{n % 9}{n:03d}"
        id_number = id_body + resident_id_check_digit(id_body)
        issue_license(
            license_type=license_type,
            issuer=department,
            holder_code=id_number,
            holder_name=f"快测{n}",
            surface={
                "name": f"快测{n}",
                "id_number": id_number,
                "household_number": f"Q{n:08d}",
                "relation": "户主",
                "address": "四川省广安市广安区",
            },
        )


def prepare() -> dict:
    """Build the quick catalog, index and licenses unless the ones there match this code; set Django up."""
    os.environ["YIWANG_BENCH_DIR"] = str(QUICK_DIR)  # catalog_generator writes here, never into var/bench
    import catalog_generator

    catalog_generator.BENCH_VAR_DIR = QUICK_DIR  # …also if it was imported before
    fingerprint = _fingerprint()
    marker = QUICK_DIR / "ready.json"
    ready = marker.exists() and json.loads(marker.read_text()).get("fingerprint") == fingerprint
    if not ready and QUICK_DIR.exists():
        shutil.rmtree(QUICK_DIR)
    tasks = os.environ.get("YIWANG_TASKS")
    os.environ["YIWANG_TASKS"] = "dummy"  # this process queues nothing while it builds…
    catalog_generator.setup_django()
    if tasks is None:  # …and the server runs tasks as `make serve` does
        del os.environ["YIWANG_TASKS"]
    else:
        os.environ["YIWANG_TASKS"] = tasks
    if ready:
        return {**json.loads(marker.read_text()), "reused": True}
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    _create_tables()
    generated = catalog_generator.generate(implementations=IMPLEMENTATIONS)
    call_command("rebuild_search_index", "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    _issue_licenses(LICENSES)
    connections.close_all()
    figures = {
        "fingerprint": fingerprint,
        "implementations": generated["implementations"],
        "licenses": LICENSES,
        "built_seconds": round(time.perf_counter() - started, 1),
    }
    marker.write_text(json.dumps(figures))
    return figures


def _requests() -> dict[str, dict]:
    """What each endpoint is loaded with: paths (and POST bodies), all from the quick database."""
    import search_paths
    from http_bench import verify_bodies

    with sqlite3.connect(QUICK_DIR / "yiwang.sqlite3") as connection:
        codes = [
            code
            for (code,) in connection.execute(
                "SELECT code FROM catalog_implementation WHERE id % 97 = 3 ORDER BY id LIMIT 50"
            )
        ]
        identifiers = [
            identifier for (identifier,) in connection.execute("SELECT identifier FROM licenses_license")
        ]
    return {
        "bare": {"paths": ["/api/v1/health"]},
        "search": {"paths": search_paths.main(distinct=300, requests=1000)},
        "guide": {"paths": ["/api/v1/items/" + urllib.parse.quote(code) for code in codes]},
        "verify": {"paths": ["/api/v1/licenses/verify"], "bodies": verify_bodies(identifiers)},
    }


def _check_answers(base: str, requests: dict[str, dict]) -> list[str]:
    """One request of each kind answers 200, and the license is found valid: a fast 404 or a failing
    check would make a ratio look good. Returns what is wrong."""
    wrong = []
    for name, spec in requests.items():
        body = spec.get("bodies", [None])[0]
        request = urllib.request.Request(
            base + spec["paths"][0],
            data=body.encode() if body else None,
            headers={"Content-Type": "application/json"} if body else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            wrong.append(f"{name} {spec['paths'][0]} answered {error.code}")
            continue
        if name == "verify" and answer.get("is_valid") is not True:
            wrong.append(f"the quick license did not verify: {answer}")
    return wrong


def measure(*, seconds: float, rounds: int, only: set[str]) -> dict:
    import http_bench

    requests = {name: spec for name, spec in _requests().items() if name == "bare" or name in only}
    runs: dict[str, list[dict]] = {name: [] for name in requests}
    load_before = round(os.getloadavg()[0], 2)
    with http_bench.running_server(var_dir=QUICK_DIR, warm_paths=("/api/v1/suggest?q=gjj",)) as base:
        wrong = _check_answers(base, requests)
        for spec in requests.values() if not wrong else ():  # warm every worker's caches, not measured
            http_bench.wrk(base=base, seconds=2, **spec)
        for _round in range(rounds if not wrong else 0):
            for name, spec in requests.items():  # interleaved: bare, search, guide, verify, bare, …
                runs[name].append(http_bench.wrk_with_cpu(base=base, seconds=seconds, **spec))
    if wrong:
        return {"wrong": wrong, "passed": False}
    return {**judge(runs), "load_average": [load_before, round(os.getloadavg()[0], 2)]}


def judge(runs: dict[str, list[dict]], floors: dict[str, float] = FLOORS) -> dict:
    """Each endpoint against the bare one. Judged: the server's CPU a request, bare ÷ endpoint, each at its
    least over the rounds (other work on the machine slows requests down far more than it makes them cost
    more CPU); shown beside it: best requests/s ÷ the bare endpoint's best. Passed when every CPU ratio is
    at or above its floor and no request failed (a failed request is a fast answer that would flatter it)."""
    best = {name: max(rows, key=lambda row: row["rps"]) for name, rows in runs.items()}
    ratios = {name: best[name]["rps"] / best["bare"]["rps"] for name in best if name != "bare"}
    cpu = {
        name: min(
            (row["server_cpu_ms_per_request"] for row in rows if row.get("server_cpu_ms_per_request")),
            default=None,
        )
        for name, rows in runs.items()
    }
    cpu_ratios = {
        name: cpu["bare"] / cpu[name] if cpu["bare"] and cpu[name] else ratios[name]  # no /proc: requests/s
        for name in ratios
    }
    failed = {name: sum(row["non_2xx"] + row["socket_errors"] for row in rows) for name, rows in runs.items()}
    return {
        "best": best,
        "runs": runs,
        "ratios": ratios,
        "cpu_ms_per_request": cpu,
        "cpu_ratios": cpu_ratios,
        "failed_requests": failed,
        "passed": all(cpu_ratios[name] >= floors[name] for name in cpu_ratios) and not any(failed.values()),
    }


def report(figures: dict, built: dict, calibration: dict | None) -> None:
    if calibration:
        import calibrate

        print(calibrate.line(calibration))
    if figures.get("wrong"):
        for problem in figures["wrong"]:
            print(f"quick bench: {problem}")
        print("quick bench: FAIL")
        return
    built_text = ("reused, " if built.get("reused") else "") + f"built in {built['built_seconds']} s"
    print(
        f"quick bench: {built['implementations']:,} implementations, {built['licenses']} licenses "
        f"({built_text}); granian 2 workers × 2 threads, wrk 2 threads 16 connections; "
        f"best of {len(figures['runs']['bare'])} interleaved runs; "
        f"load average {figures['load_average'][0]} → {figures['load_average'][1]}"
    )
    bare, cpu = figures["best"]["bare"], figures["cpu_ms_per_request"]
    print(
        f"  {'bare /api/v1/health':<30} {bare['rps']:>7,.0f} req/s   p50 {bare['p50_ms']:6.2f} ms   "
        f"server CPU {cpu['bare'] or 0:.3f} ms a request"
    )
    labels = {
        "search": "search /api/v1/search",
        "guide": "guide /api/v1/items/{code}",
        "verify": "POST /api/v1/licenses/verify",
    }
    for name, label in labels.items():
        if name not in figures["ratios"]:
            continue
        row, ratio, floor = figures["best"][name], figures["cpu_ratios"][name], FLOORS[name]
        print(
            f"  {label:<30} {row['rps']:>7,.0f} req/s   p50 {row['p50_ms']:6.2f} ms   "
            f"server CPU {cpu[name] or 0:.3f} ms a request; ÷ bare: "
            f"requests/s {figures['ratios'][name]:5.1%}, "
            f"CPU {ratio:5.1%} (floor {floor:.0%}) {'ok' if ratio >= floor else 'REGRESSION'}"
        )
    for name, count in figures["failed_requests"].items():
        if count:
            print(f"  {name}: {count} requests failed (non-2xx or socket errors)")
    print(f"quick bench: {'PASS' if figures['passed'] else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(FLOORS), help="endpoints to load beside the bare one")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        print("quick bench: wrk is not installed: `make bench-deps` (as root) or apt-get install wrk")
        return 1
    started = time.perf_counter()
    import calibrate

    calibration = calibrate.sm3_per_second(rounds=2, round_seconds=0.3)
    built = prepare()
    figures = measure(seconds=arguments.seconds, rounds=arguments.rounds, only=set(arguments.only.split(",")))
    report(figures, built, calibration)
    print(f"quick bench: {time.perf_counter() - started:.0f} s wall")
    if arguments.json:
        print(json.dumps({"calibration": calibration, **figures}))
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
