"""Online applications under load: submissions per second with the workflow started; reads at 1M cases.

    .venv/bin/python bench/applications_bench.py submit  [--database sqlite|postgres] [--seconds 10]
                                                         [--processes 2]
    .venv/bin/python bench/applications_bench.py http    [--database sqlite|postgres] [--seconds 10]
    .venv/bin/python bench/applications_bench.py reads   [--cases 1000000] [--seconds 10] [--samples 400]
    .venv/bin/python bench/applications_bench.py profile [--database sqlite|postgres] [--submissions 40]
    .venv/bin/python bench/applications_bench.py page    [--samples 400]     # the workbench page in-process
    .venv/bin/python bench/applications_bench.py cpu     [--database …] [--batches 4] [--submissions 25]

``submit``: ``services.cases.submit`` in-process, a real demo form (城乡居民医保参保登记 for citizen_l4,
社会保障卡申领 for citizen_l3), every material satisfied by an e-license or the vault, the workflow started
(``runtime.start``: the accept task in the queue), the audit entry and ``case.submitted`` in the outbox,
one transaction a submission; ``--processes`` loops side by side for ``--seconds``. Wall clock and CPU
(this process, and its PostgreSQL backend read from /proc) per submission.

``http``: ``POST /api/v1/applications`` with a bearer token and a unique Idempotency-Key a request (wrk and
a Lua script), granian as ``make serve`` runs it (WSGI, 2 workers × 2 threads), ``/api/v1/health`` measured
by the same server in the same run; afterwards every 2xx is checked to have exactly one case with its
outbox event and its ready task.

``cpu``: CPU a submission (this process and its PostgreSQL backend) over ``--batches`` batches of
``--submissions``, the minimum and the median of the batches: the figure to compare two versions of the
code on a shared machine, run one after the other, alternating.

``reads``: on PostgreSQL with ``applications_data.py``'s cases (generated when missing): the applicant's
list (``list_cases_for_applicant``, an applicant with ~50 cases) and the staff queue (``staff_queue``)
in-process, then ``GET /api/v1/applications``, ``GET /api/v1/workbench/tasks`` and the page
``/cases/workbench/`` over HTTP beside the bare endpoint, median and p99 against the target (≤ 20 ms),
and EXPLAIN ANALYZE of the list and queue queries (which index each uses).

``profile``: CPU a submission with no profiler (this process's ``process_time`` and, on PostgreSQL, its
backend's from /proc), then pyinstrument (when installed) over ``--submissions`` in-process submissions
(the text tree and the SQL of one submission go to var/bench-applications*/submit-profile.txt) and cProfile
on ``process_time`` (submit's callees and the cumulative list: submit-cpu-profile.txt).

Databases of their own: SQLite in var/bench-applications/, PostgreSQL
``YIWANG_BENCH_APPLICATIONS_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/yiwang_bench_applications),
filled once with the demo data set (regions, the catalog, registers, accounts, licenses, the exchange,
the 办件 step's processes, forms and grants; no search index). The last line printed is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

PG_URL = os.environ.get(
    "YIWANG_BENCH_APPLICATIONS_DATABASE_URL",
    "postgres://postgres@127.0.0.1:5432/yiwang_bench_applications",
)
SQLITE_VAR = ROOT / "var" / "bench-applications"
PG_VAR = ROOT / "var" / "bench-applications-pg"
TARGET_SUBMISSIONS_PER_SECOND = 100
TARGET_READ_MEDIAN_MS = 20
TOKEN_PREFIX = "bench-applications-"  # noqa: S105 (bench-only tokens on a loopback server)
SCOPES = "openid applications:read applications:write"
STAFF_SCOPES = "openid workbench:read"


def var_dir(database: str) -> Path:
    return PG_VAR if database == "postgres" else SQLITE_VAR


def server_env(database: str) -> dict[str, str]:
    """What granian (or a management command) needs to run against the bench database."""
    env = {"YIWANG_VAR_DIR": str(var_dir(database)), "YIWANG_DEBUG": "0"}
    if database == "postgres":
        env["DATABASE_URL"] = PG_URL
    return env


def setup_django(database: str) -> None:
    """Point Django at the bench database (created and migrated when missing)."""
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_DEBUG"] = "0"
    os.environ["YIWANG_TASKS"] = "dummy"
    if database == "postgres":
        from pg_bench_database import setup_django_on_postgres

        setup_django_on_postgres(database_url=PG_URL, var_dir=PG_VAR)
        return
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "yiwang.settings.base"
    os.environ["YIWANG_VAR_DIR"] = str(SQLITE_VAR)
    SQLITE_VAR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_world() -> dict[str, Any]:
    """The demo data set without the search index (once); the applications step is idempotent."""
    import logging

    from yiwang.applications.models import ApplicationForm
    from yiwang.demo.steps import STEPS
    from yiwang.identity.models import User

    logging.getLogger("fontTools").setLevel(logging.WARNING)
    ready = User.objects.filter(username="citizen_l4").exists() and ApplicationForm.objects.exists()
    if ready:
        return {"world_seconds": 0.0}
    started = time.perf_counter()
    for step in STEPS:
        if "search" in step.name or "quality" in step.name:
            continue
        print(f"  demo step {step.name} …", file=sys.stderr, flush=True)
        step.run()
    return {"world_seconds": round(time.perf_counter() - started, 1)}


# What is submitted ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """One applicant applying for one implementation with the demo form's answers."""

    username: str
    implementation_code: str
    situation: dict[str, Any]
    data: dict[str, Any]


def recipes() -> list[Recipe]:
    from django.utils import timezone

    from yiwang.applications import demo
    from yiwang.identity.models import User

    l4 = User.objects.get(username="citizen_l4")
    l3 = User.objects.get(username="citizen_l3")
    return [
        Recipe(
            "citizen_l4",
            demo.MEDICAL_INSURANCE,
            {"person_type": "adult", "hukou": "local", "assisted": "no"},
            {
                **demo._applicant(l4),
                "insured_name": l4.full_name,
                "insured_id_number": l4.id_number,
                "contribution_year": timezone.localdate().year + 1,
                "truth_commitment": True,
            },
        ),
        Recipe(
            "citizen_l3",
            demo.SOCIAL_SECURITY_CARD,
            {"applicant": "self", "age": "adult", "card_method": "mail", "photo": "on_file"},
            {
                **demo._applicant(l3),
                "mail_address": "四川省广安市广安区渠江北路88号1栋2单元301",
                "truth_commitment": True,
            },
        ),
    ]


def submit_once(recipe: Recipe, *, key: str, uploads: dict | None = None):
    """One submission through the case service (the API's and the pages' path below the edge)."""
    from yiwang.applications.services import cases
    from yiwang.catalog.models import Implementation
    from yiwang.identity.models import User

    actor = User.objects.get(username=recipe.username)
    implementation = Implementation.objects.get(code=recipe.implementation_code)
    return cases.submit(
        actor=actor,
        implementation=implementation,
        applicant_kind="person",
        holder_code=actor.id_number,
        situation=recipe.situation,
        data=recipe.data,
        prefilled_claims={},
        uploads=uploads or {},
        idempotency_key=key,
    )


def prime_vault(all_recipes: list[Recipe]) -> list[dict[str, str]]:
    """Submit each recipe once with scans of what it still asks to upload, so the holder's vault (and
    the e-licenses) satisfy every material afterwards; return each recipe's material plan."""
    from yiwang.applications import demo
    from yiwang.applications.constants import MaterialSource
    from yiwang.applications.services import materials
    from yiwang.catalog.models import Implementation
    from yiwang.identity.models import User

    plans = []
    for recipe in all_recipes:
        actor = User.objects.get(username=recipe.username)
        implementation = Implementation.objects.get(code=recipe.implementation_code)
        uploads = demo.uploads_for(
            implementations=[implementation],
            situation=recipe.situation,
            actor=actor,
            holder_code=actor.id_number,
        )
        if uploads:
            submit_once(recipe, key=f"bench-prime-{uuid.uuid4().hex}", uploads=uploads)
        plan = materials.plan(
            implementations=[implementation],
            situation=recipe.situation,
            actor=actor,
            holder_code=actor.id_number,
        )
        missing = [item.key for item in plan if item.satisfied_by == MaterialSource.UPLOAD]
        if missing:
            raise RuntimeError(f"{recipe.username}: still to upload {missing}")
        plans.append({item.key: str(item.satisfied_by) for item in plan})
    return plans


# In-process submissions ----------------------------------------------------------------------------


def _backend_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _proc_cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a process on this machine (a PostgreSQL backend), from /proc."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _submit_loop(database: str, seconds: float, worker: int, queue) -> None:
    """One process submitting back to back for ``seconds`` (the recipes in rotation)."""
    from django.db import connections

    connections.close_all()
    all_recipes = recipes()
    backend = _backend_pid()
    walls: list[float] = []
    cpu_started, db_started = time.process_time(), _proc_cpu_seconds(backend)
    deadline = time.perf_counter() + seconds
    run = uuid.uuid4().hex[:8]
    i = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        _case, created = submit_once(all_recipes[i % len(all_recipes)], key=f"bench-{run}-{worker}-{i}")
        walls.append(time.perf_counter() - started)
        if not created:
            raise RuntimeError("a fresh key returned an existing case")
        i += 1
    queue.put(
        {
            "walls": walls,
            "cpu": time.process_time() - cpu_started,
            "db_cpu": _proc_cpu_seconds(backend) - db_started,
            "keys_prefix": f"bench-{run}-{worker}-",
        }
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def check_submissions(prefixes: list[str]) -> dict[str, Any]:
    """Every case of these key prefixes has its ``case.submitted`` outbox event and its workflow state."""
    from django.db.models import Count, Q

    from yiwang.applications.constants import CASE_SUBMITTED, TaskState
    from yiwang.applications.models import Case
    from yiwang.notifications.models import OutboxEvent

    condition = Q(pk__in=[])
    for prefix in prefixes:
        condition |= Q(idempotency_key__startswith=prefix)
    cases = Case.objects.filter(condition)
    numbers = list(cases.values_list("number", flat=True))
    with_task = cases.filter(tasks__state=TaskState.READY).values("pk").distinct().count()
    with_state = cases.filter(state_json__isnull=False, process_version__isnull=False).count()
    evented: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        payloads = OutboxEvent.objects.filter(topic=CASE_SUBMITTED, payload__number__in=chunk)
        evented |= {payload["number"] for payload in payloads.values_list("payload", flat=True)}
    events = len(evented)
    duplicates = (
        cases.values("applicant_id", "idempotency_key").annotate(n=Count("pk")).filter(n__gt=1).count()
    )
    return {
        "cases": len(numbers),
        "with_ready_task": with_task,
        "with_workflow_state": with_state,
        "with_outbox_event": events,
        "duplicate_keys": duplicates,
        "complete": len(numbers) == with_task == with_state == events and duplicates == 0,
    }


def submit_bench(*, database: str, seconds: float, processes: int) -> dict[str, Any]:
    import multiprocessing

    from django.db import connections

    setup_django(database)
    figures: dict[str, Any] = {"database": database, **ensure_world()}
    figures["material_plans"] = prime_vault(recipes())
    for _ in range(3):  # warm: caches, the workflow spec, connections
        submit_once(recipes()[0], key=f"bench-warm-{uuid.uuid4().hex}")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    load_before = _load_average()
    started = time.perf_counter()
    workers = [
        context.Process(target=_submit_loop, args=(database, seconds, n, queue)) for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    walls = [wall for result in results for wall in result["walls"]]
    count = len(walls)
    cpu = sum(result["cpu"] for result in results)
    db_cpu = sum(result["db_cpu"] for result in results)
    figures.update(
        {
            "processes": processes,
            "submissions": count,
            "seconds": round(elapsed, 2),
            "submissions_per_second": round(count / elapsed, 1),
            "p50_ms": round(_percentile(walls, 0.5) * 1000, 1),
            "p99_ms": round(_percentile(walls, 0.99) * 1000, 1),
            "cpu_ms_per_submission": round(cpu / count * 1000, 1),
            "db_cpu_ms_per_submission": round(db_cpu / count * 1000, 1) if database == "postgres" else None,
            # What 2 cores would do if every cycle went to submissions (no other load on the machine).
            "cpu_bound_per_second_on_2_cores": round(2 / ((cpu + db_cpu) / count), 1),
            "load_average_before": load_before,
            "load_average_after": _load_average(),
            "check": check_submissions([result["keys_prefix"] for result in results]),
        }
    )
    figures["meets_target"] = figures["submissions_per_second"] >= TARGET_SUBMISSIONS_PER_SECOND
    return figures


def profile_bench(*, database: str, submissions: int) -> dict[str, Any]:
    """Where one submission's time goes: pyinstrument's tree, and SQL statements per submission."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    setup_django(database)
    ensure_world()
    all_recipes = recipes()
    prime_vault(all_recipes)
    for _ in range(3):
        submit_once(all_recipes[0], key=f"bench-warm-{uuid.uuid4().hex}")
    with CaptureQueriesContext(connection) as queries:
        submit_once(all_recipes[0], key=f"bench-sql-{uuid.uuid4().hex}")
    statements = [query["sql"] for query in queries.captured_queries]
    # CPU a submission with no profiler attached: this process, and its PostgreSQL backend (from /proc).
    backend = _backend_pid()
    plain_cpu, plain_db = time.process_time(), _proc_cpu_seconds(backend)
    for i in range(submissions):
        submit_once(all_recipes[i % len(all_recipes)], key=f"bench-cpu-{uuid.uuid4().hex}")
    plain_cpu, plain_db = time.process_time() - plain_cpu, _proc_cpu_seconds(backend) - plain_db
    out = var_dir(database) / "submit-profile.txt"
    try:
        from pyinstrument import Profiler
    except ImportError:  # pragma: no cover - pyinstrument is a bench-only tool
        Profiler = None
    cpu_started, started = time.process_time(), time.perf_counter()
    if Profiler is not None:
        profiler = Profiler(interval=0.0005)
        profiler.start()
    for i in range(submissions):
        submit_once(all_recipes[i % len(all_recipes)], key=f"bench-profile-{uuid.uuid4().hex}")
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if Profiler is not None:
        profiler.stop()
        out.write_text(
            profiler.output_text(unicode=True, color=False)
            + "\n\nSQL of one submission:\n"
            + "\n".join(statements)
        )
    # The same in CPU time (cProfile on process_time: what a busy machine's other work does not change).
    import cProfile
    import io
    import pstats

    cpu_profiler = cProfile.Profile(time.process_time)
    cpu_profiler.enable()
    for i in range(submissions):
        submit_once(all_recipes[i % len(all_recipes)], key=f"bench-profile-{uuid.uuid4().hex}")
    cpu_profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(cpu_profiler, stream=text)
    stats.sort_stats("cumulative").print_callees(r"submission.py.*\(submit\)")
    stats.sort_stats("cumulative").print_stats(r"yiwang|SpiffWorkflow", 60)
    (var_dir(database) / "submit-cpu-profile.txt").write_text(text.getvalue())
    return {
        "database": database,
        "submissions": submissions,
        "cpu_profile": str(var_dir(database) / "submit-cpu-profile.txt"),
        "cpu_ms_per_submission": round(plain_cpu / submissions * 1000, 1),
        "db_cpu_ms_per_submission": round(plain_db / submissions * 1000, 1) if backend else None,
        "load_average": _load_average(),
        "wall_ms_per_submission_under_pyinstrument": round(wall / submissions * 1000, 1),
        "cpu_ms_per_submission_under_pyinstrument": round(cpu / submissions * 1000, 1),
        "sql_statements_per_submission": len(statements),
        "profile": str(out) if Profiler is not None else "pyinstrument not installed",
    }


def cpu_bench(*, database: str, batches: int, submissions: int) -> dict[str, Any]:
    """CPU a submission on a shared machine: ``batches`` of ``submissions`` back to back, each batch's
    process_time (and its PostgreSQL backend's, from /proc) a submission; the minimum and the median of the
    batches (the minimum is the least disturbed by the other load), and the statements of one submission."""
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    setup_django(database)
    ensure_world()
    all_recipes = recipes()
    prime_vault(all_recipes)
    for _ in range(5):
        submit_once(all_recipes[0], key=f"bench-warm-{uuid.uuid4().hex}")
    with CaptureQueriesContext(connection) as queries:
        submit_once(all_recipes[0], key=f"bench-sql-{uuid.uuid4().hex}")
    backend = _backend_pid()
    python_ms, database_ms = [], []
    for _ in range(batches):
        cpu, db_cpu = time.process_time(), _proc_cpu_seconds(backend)
        for i in range(submissions):
            submit_once(all_recipes[i % len(all_recipes)], key=f"bench-cpu-{uuid.uuid4().hex}")
        python_ms.append((time.process_time() - cpu) / submissions * 1000)
        database_ms.append((_proc_cpu_seconds(backend) - db_cpu) / submissions * 1000)
    return {
        "database": database,
        "statements_per_submission": len(queries.captured_queries),
        "cpu_ms_min": round(min(python_ms), 1),
        "cpu_ms_median": round(statistics.median(python_ms), 1),
        "db_cpu_ms_min": round(min(database_ms), 1) if backend else None,
        "db_cpu_ms_median": round(statistics.median(database_ms), 1) if backend else None,
        "load_average": _load_average(),
    }


# Over HTTP -------------------------------------------------------------------------------------------

_SUBMIT_LUA = """
local bodies = {%s}
local tokens = {%s}
local prefix = "%s"
local made = 0
local counter = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)
end
function request()
  counter = counter + 1
  local n = (counter %% #bodies) + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. tokens[n]
  headers["Idempotency-Key"] = prefix .. tid .. "-" .. counter
  return wrk.format("POST", "/api/v1/applications", headers, bodies[n])
end
"""

_GET_LUA = """
local paths = {%s}
local tokens = {%s}
local cookies = {%s}
local counter = 0
function request()
  counter = counter + 1
  local n = (counter %% #paths) + 1
  local headers = {}
  if tokens[n] ~= "" then headers["Authorization"] = "Bearer " .. tokens[n] end
  if cookies[n] ~= "" then headers["Cookie"] = cookies[n] end
  return wrk.format("GET", paths[n], headers)
end
"""


def _lua_strings(values: list[str]) -> str:
    return ", ".join(f"[==[{value}]==]" for value in values)


def _run_wrk(script: str, base: str, *, seconds: int, connections: int, threads: int = 2) -> dict[str, Any]:
    from http_bench import _parse_latency

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as handle:
        handle.write(script)
    threads = min(threads, connections)
    try:
        out = subprocess.run(
            [
                *("wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"),
                *("--timeout", "30s", "--latency", "-s", handle.name, base),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 90,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "connections": connections,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _parse_latency(out, "50"),
        "p99_ms": _parse_latency(out, "99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def bench_tokens(users, scope: str = SCOPES) -> list[str]:
    """A bearer token for each user (applications:read and :write: a citizen's app; staff: workbench)."""
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    application, _ = Application.objects.get_or_create(
        client_id="bench-applications-app",
        defaults={
            "name": "办件基准测试客户端",
            "client_type": Application.CLIENT_PUBLIC,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": "http://127.0.0.1/callback",
            "algorithm": Application.RS256_ALGORITHM,
        },
    )
    tokens = []
    for user in users:
        token = f"{TOKEN_PREFIX}{user.username}"
        AccessToken.objects.update_or_create(
            token=token,
            defaults={
                "user": user,
                "application": application,
                "scope": scope,
                "expires": timezone.now() + timedelta(days=1),
            },
        )
        tokens.append(token)
    return tokens


def _api_body(recipe: Recipe) -> str:
    from yiwang.identity.models import User

    actor = User.objects.get(username=recipe.username)
    body = {
        "implementation_code": recipe.implementation_code,
        "applicant_kind": "person",
        "holder_code": actor.id_number,
        "situation": recipe.situation,
        "data": recipe.data,
        "prefilled": {},
        "materials": {},
    }
    return json.dumps(body, ensure_ascii=False)


def http_submit_bench(*, database: str, seconds: int, connections: int = 16) -> dict[str, Any]:
    """POST /api/v1/applications under load beside /api/v1/health, on granian as `make serve` runs it."""
    import http_bench

    setup_django(database)
    from yiwang.identity.models import User

    figures: dict[str, Any] = {"database": database, **ensure_world()}
    all_recipes = recipes()
    prime_vault(all_recipes)
    tokens = bench_tokens([User.objects.get(username=recipe.username) for recipe in all_recipes])
    bodies = [_api_body(recipe) for recipe in all_recipes]
    prefix = f"bench-http-{uuid.uuid4().hex[:8]}-"
    with http_bench.running_server(
        extra_env={**server_env(database), "DJANGO_SETTINGS_MODULE": "yiwang.settings.base"},
        warm_paths=("/api/v1/health",),
    ) as base:
        bare = http_bench.wrk(base=base, paths=["/api/v1/health"], seconds=seconds)
        warm = _SUBMIT_LUA % (_lua_strings(bodies), _lua_strings(tokens), "bench-httpwarm-" + prefix[11:])
        _run_wrk(warm, base, seconds=2, connections=2)
        load_before = _load_average()
        script = _SUBMIT_LUA % (_lua_strings(bodies), _lua_strings(tokens), prefix)
        submit = _run_wrk(script, base, seconds=seconds, connections=connections)
    figures.update(
        {
            "bare": bare,
            "submit": submit,
            "load_average": [load_before, _load_average()],
            # wrk counts answered requests; one in flight when the run stopped may also have made its case.
            "check": check_submissions([prefix]),
            "meets_target": submit["rps"] >= TARGET_SUBMISSIONS_PER_SECOND and submit["non_2xx"] == 0,
        }
    )
    return figures


# Reads at 1M cases -----------------------------------------------------------------------------------


def _heavy_applicants(count: int = 200) -> list:
    from django.db import connection

    from yiwang.identity.models import User

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT applicant_id FROM applications_case GROUP BY applicant_id "
            "HAVING COUNT(*) BETWEEN 45 AND 55 ORDER BY applicant_id LIMIT %s",
            [count],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _busiest_staff(count: int = 6) -> list[tuple[Any, int]]:
    """Staff who see cases, with the ready tasks in their scope, busiest first."""
    from yiwang.applications import selectors
    from yiwang.applications.constants import TaskState
    from yiwang.applications.models import CaseTask
    from yiwang.identity.models import StaffAssignment, User

    roles = selectors._roles_viewing_cases()
    staff = User.objects.filter(
        pk__in=StaffAssignment.objects.filter(role__in=roles).values("user_id"), is_active=True
    )
    counted = [
        (user, CaseTask.objects.filter(selectors.queue_scope_q(user), state=TaskState.READY).count())
        for user in staff
    ]
    return sorted(counted, key=lambda pair: -pair[1])[:count]


def _timed(call, samples: int) -> dict[str, float]:
    walls = []
    for i in range(samples):
        started = time.perf_counter()
        call(i)
        walls.append(time.perf_counter() - started)
    return {
        "samples": samples,
        "p50_ms": round(_percentile(walls, 0.5) * 1000, 2),
        "p99_ms": round(_percentile(walls, 0.99) * 1000, 2),
    }


_INDEX_NAME = re.compile(r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def explain(label: str, call) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statements on cases and tasks that ``call`` runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    plans = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "applications_case" not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        plans.append(
            {
                "sql": sql,
                "indexes": sorted(set(_INDEX_NAME.findall(plan))),
                "seq_scans": sorted(set(_SEQ_SCAN.findall(plan))),
                "execution_ms": float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)),
                "plan": plan,
            }
        )
    path = PG_VAR / f"explain-{label}.txt"
    path.write_text("\n\n".join(f"-- {p['execution_ms']} ms\n{p['sql']}\n\n{p['plan']}" for p in plans))
    return {
        "statements": len(captured.captured_queries),
        "plans": [{k: v for k, v in plan.items() if k not in ("plan", "sql")} for plan in plans],
        "file": str(path),
    }


def staff_session_cookie(user) -> str:
    """A logged-in staff session that passed the second factor (the workbench page requires it)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["otp_device_id"] = device.persistent_id
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def reads_bench(*, cases: int, seconds: int, samples: int) -> dict[str, Any]:
    import applications_data
    import http_bench

    setup_django("postgres")
    from yiwang.applications import presenters, selectors
    from yiwang.applications.models import Case

    figures: dict[str, Any] = {"database": "postgres", **ensure_world()}
    figures["data"] = applications_data.ensure_cases(cases=cases)
    figures["cases"] = Case.objects.count()
    applicants = _heavy_applicants()
    staff = _busiest_staff()
    figures["applicants"] = len(applicants)
    figures["applicant_cases"] = Case.objects.filter(applicant=applicants[0]).count()
    figures["staff"] = [{"user": user.username, "ready_tasks_in_scope": n} for user, n in staff]
    busiest = [user for user, _n in staff[:3]]

    def applicant_list(i: int):
        page = selectors.list_cases_for_applicant(actor=applicants[i % len(applicants)])
        return [presenters.case_summary(case) for case in page.items]

    def queue(i: int):
        return list(selectors.staff_queue(actor=busiest[i % len(busiest)]).items)

    def queue_page_two(i: int):
        actor = busiest[i % len(busiest)]
        first = selectors.staff_queue(actor=actor)
        return list(selectors.staff_queue(actor=actor, cursor=first.next_cursor).items)

    for call in (applicant_list, queue):
        _timed(call, 20)  # warm
    figures["in_process"] = {
        "list_cases_for_applicant": _timed(applicant_list, samples),
        "staff_queue": _timed(queue, samples),
        "staff_queue_page_2_with_page_1": _timed(queue_page_two, max(50, samples // 4)),
    }
    figures["explain"] = {
        "list_cases_for_applicant": explain("list", lambda: applicant_list(0)),
        "staff_queue": explain("queue", lambda: queue(0)),
    }
    applicant_tokens = bench_tokens(applicants)
    staff_tokens = bench_tokens(busiest, scope=STAFF_SCOPES)
    cookies = [staff_session_cookie(user) for user in busiest]
    from django.db import connections

    connections.close_all()
    endpoints = {
        "GET /api/v1/applications": (
            ["/api/v1/applications"] * len(applicant_tokens),
            applicant_tokens,
            [""] * len(applicant_tokens),
        ),
        "GET /api/v1/workbench/tasks": (["/api/v1/workbench/tasks"] * len(busiest), staff_tokens, [""] * 3),
        "page /cases/workbench/": (["/cases/workbench/"] * len(busiest), [""] * len(busiest), cookies),
    }
    http: dict[str, Any] = {}
    with http_bench.running_server(
        extra_env={**server_env("postgres"), "DJANGO_SETTINGS_MODULE": "yiwang.settings.base"},
        warm_paths=("/api/v1/health",),
    ) as base:
        http["bare /api/v1/health"] = {
            "1": _run_wrk(_GET_LUA % ('"/api/v1/health"', '""', '""'), base, seconds=seconds, connections=1),
            "16": _run_wrk(
                _GET_LUA % ('"/api/v1/health"', '""', '""'), base, seconds=seconds, connections=16
            ),
        }
        for name, (paths, tokens, session_cookies) in endpoints.items():
            script = _GET_LUA % (_lua_strings(paths), _lua_strings(tokens), _lua_strings(session_cookies))
            _run_wrk(script, base, seconds=2, connections=4)  # warm every worker
            http[name] = {
                "1": _run_wrk(script, base, seconds=seconds, connections=1),
                "16": _run_wrk(script, base, seconds=seconds, connections=16),
            }
    figures["http"] = http
    figures["load_average"] = _load_average()
    figures["meets_target"] = all(
        row["1"]["p50_ms"] is not None
        and row["1"]["p50_ms"] <= TARGET_READ_MEDIAN_MS
        and row["1"]["non_2xx"] + row["16"]["non_2xx"] == 0
        for name, row in http.items()
        if not name.startswith("bare")
    )
    return figures


def page_bench(*, samples: int) -> dict[str, Any]:
    """The workbench page ``/cases/workbench/`` in-process (Django's test client, a verified staff
    session, the busiest three queues at 1M cases): median and p99 of the whole request, its SQL count,
    and a cProfile on process_time in var/bench-applications-pg/page-cpu-profile.txt."""
    import cProfile
    import io
    import pstats

    from django.db import connection
    from django.test import Client

    setup_django("postgres")
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    busiest = [user for user, _n in _busiest_staff()[:3]]
    clients = []
    for user in busiest:
        client = Client()
        name, value = staff_session_cookie(user).split("=", 1)
        client.cookies[name] = value
        clients.append(client)
    for i in range(20):  # warm
        response = clients[i % 3].get("/cases/workbench/")
        assert response.status_code == 200, response.status_code
    statements: list[str] = []

    def _capture(execute, sql, params, many, context):  # request_started clears connection.queries
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(_capture):
        clients[0].get("/cases/workbench/")
    timed = _timed(lambda i: clients[i % 3].get("/cases/workbench/"), samples)
    cpu = []
    for i in range(samples):  # CPU time of this process a page (what other work on the cores does not change)
        started = time.process_time()
        clients[i % 3].get("/cases/workbench/")
        cpu.append(time.process_time() - started)
    timed["cpu_p50_ms"] = round(_percentile(cpu, 0.5) * 1000, 2)
    timed["cpu_p99_ms"] = round(_percentile(cpu, 0.99) * 1000, 2)
    cpu_profiler = cProfile.Profile(time.process_time)
    cpu_profiler.enable()
    for i in range(min(samples, 100)):
        clients[i % 3].get("/cases/workbench/")
    cpu_profiler.disable()
    text = io.StringIO()
    pstats.Stats(cpu_profiler, stream=text).sort_stats("cumulative").print_stats(60)
    out = PG_VAR / "page-cpu-profile.txt"
    out.write_text(text.getvalue() + "\n\nSQL of one page:\n" + "\n".join(statements))
    return {
        "page /cases/workbench/ in-process": timed,
        "sql_statements": len(statements),
        "rows": clients[0].get("/cases/workbench/").content.count(b'data-testid="queue-row"'),
        "cpu_profile": str(out),
        "load_average": _load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["submit", "http", "reads", "profile", "page", "cpu"])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--batches", type=int, default=4)
    arguments = parser.parse_args()
    if arguments.mode == "submit":
        figures = submit_bench(
            database=arguments.database, seconds=arguments.seconds, processes=arguments.processes
        )
    elif arguments.mode == "profile":
        figures = profile_bench(database=arguments.database, submissions=arguments.submissions)
    elif arguments.mode == "cpu":
        figures = cpu_bench(
            database=arguments.database, batches=arguments.batches, submissions=arguments.submissions
        )
    elif arguments.mode == "http":
        figures = http_submit_bench(database=arguments.database, seconds=int(arguments.seconds))
    elif arguments.mode == "page":
        figures = page_bench(samples=arguments.samples)
    else:
        figures = reads_bench(
            cases=arguments.cases, seconds=int(arguments.seconds), samples=arguments.samples
        )
    print(json.dumps(figures, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
