"""Durability of submissions: kill -9 the web and worker processes under load; nothing acknowledged is lost
and nothing is duplicated.

    .venv/bin/python bench/durability.py [--database postgres|sqlite] [--kills 6] [--kill-every 5]
                                         [--clients 8]
    make durability

Starts the platform as ``make serve`` does (granian WSGI, 2 workers × 2 threads, plus the loops beside it:
``fire_timers``, ``deliver_webhooks``, ``seal_audit_log``), each in its own process group, against the
applications bench database (``applications_bench``: PostgreSQL by default; filled with the demo data set
once). ``--clients`` threads submit ``POST /api/v1/applications`` (citizen_l4 and citizen_l3, real demo
forms, materials by e-license and vault) each with a fresh ``Idempotency-Key``, and record every
acknowledged (2xx) answer: key → case number. Every ``--kill-every`` seconds (± 1 s) the web server's
process group (the main process and its workers) and the worker loops get SIGKILL, ``--kills`` times, and
are started again. A request that got no answer or a 5xx is sent again with the same key and body until
it is acknowledged (after a restart a committed case answers 200 with the same number).

At the end, in the database: every acknowledged key has exactly one case, with the acknowledged number;
no key has two cases and no key was answered with two numbers; every case the run created has its
``case.submitted`` outbox event, its workflow state (process version and state) and its ready accept
task; every key the clients used is accounted for. Exits 1 on any loss or duplicate, 0 otherwise; the
last line printed is JSON. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

VENV_BIN = ROOT / ".venv" / "bin"
LOOPS = ("fire_timers", "deliver_webhooks", "seal_audit_log")
FINAL_RETRY_SECONDS = 180


@dataclass
class Ledger:
    """What the clients saw: acknowledged keys and every number answered for each key."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: dict[str, str] = field(default_factory=dict)  # key → number
    answers: dict[str, set[str]] = field(default_factory=dict)  # key → every number answered
    keys: dict[str, str] = field(default_factory=dict)  # key → username
    attempts: int = 0
    failures: int = 0  # no answer, or a 5xx: sent again
    retried_keys: set[str] = field(default_factory=set)
    created_201: int = 0
    replayed_200: int = 0
    refused: list[str] = field(default_factory=list)  # 4xx: not expected


class Platform:
    """granian and the worker loops, each in its own process group, started and killed together."""

    def __init__(self, *, env: dict[str, str], port: int, log_dir: Path) -> None:
        self.env, self.port, self.log_dir = env, port, log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.starts = 0

    def _spawn(self, name: str, command: list[str]) -> None:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.processes[name] = subprocess.Popen(
            command,
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: SIGKILL reaches the workers too
        )
        log.close()

    def start(self) -> None:
        self.starts += 1
        self._spawn(
            "web",
            [
                str(VENV_BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "2",
                "--blocking-threads",
                "2",
                "--no-ws",
                "--log-level",
                "warning",
                "yiwang.wsgi:application",
            ],
        )
        for loop in LOOPS:
            self._spawn(loop, [str(VENV_BIN / "python"), "manage.py", loop, "--loop"])
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/api/v1/health")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.processes["web"].poll() is not None:
                raise RuntimeError("the web server exited: see " + str(self.log_dir / "web.log"))
            time.sleep(0.2)
        raise RuntimeError("the web server did not answer in time")

    def kill(self) -> list[int]:
        """SIGKILL every process group (the web server's main process and workers, the loops)."""
        killed = []
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGKILL)
                killed.append(process.pid)
            except ProcessLookupError:
                pass
        for process in self.processes.values():
            process.wait(timeout=30)
        return killed

    def stop(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _post(port: int, body: bytes, token: str, key: str) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/applications",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": key,
            },
        )
        response = connection.getresponse()
        text = response.read()
        return response.status, (json.loads(text) if text else {})
    finally:
        connection.close()


def _client(
    *,
    port: int,
    bodies: list[tuple[str, bytes, str]],
    run: str,
    number: int,
    ledger: Ledger,
    load_over: threading.Event,
    final_deadline: list[float],
) -> None:
    """Submit fresh keys until the load ends; an unanswered key is sent again (same key, same body)."""
    rng = random.Random(number)
    i = 0
    while not load_over.is_set():
        username, body, token = bodies[(number + i) % len(bodies)]
        key = f"durability-{run}-{number}-{i}"
        i += 1
        with ledger.lock:
            ledger.keys[key] = username
        tries = 0
        while time.monotonic() < final_deadline[0]:
            tries += 1
            with ledger.lock:
                ledger.attempts += 1
                if tries > 1:
                    ledger.retried_keys.add(key)
            try:
                status, answer = _post(port, body, token, key)
            except (OSError, http.client.HTTPException, ValueError):
                status, answer = 0, {}
            if 200 <= status < 300:
                with ledger.lock:
                    ledger.acknowledged.setdefault(key, answer.get("number", ""))
                    ledger.answers.setdefault(key, set()).add(answer.get("number", ""))
                    if status == 201:
                        ledger.created_201 += 1
                    else:
                        ledger.replayed_200 += 1
                break
            if 400 <= status < 500 and status not in (408, 429):
                with ledger.lock:
                    ledger.refused.append(f"{key}: {status} {json.dumps(answer, ensure_ascii=False)[:300]}")
                break
            with ledger.lock:
                ledger.failures += 1
            time.sleep(0.2 + rng.random() * 0.5)


def _tokens(usernames: list[str]) -> dict[str, str]:
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from yiwang.identity.models import User

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
    tokens = {}
    for username in usernames:
        token = f"bench-applications-{username}"
        AccessToken.objects.update_or_create(
            token=token,
            defaults={
                "user": User.objects.get(username=username),
                "application": application,
                "scope": "openid applications:read applications:write",
                "expires": timezone.now() + timedelta(days=1),
            },
        )
        tokens[username] = token
    return tokens


def _bodies() -> list[tuple[str, bytes, str]]:
    import applications_bench

    from yiwang.identity.models import User

    recipes = applications_bench.recipes()
    applications_bench.prime_vault(recipes)
    tokens = _tokens([recipe.username for recipe in recipes])
    bodies = []
    for recipe in recipes:
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
        bodies.append(
            (recipe.username, json.dumps(body, ensure_ascii=False).encode(), tokens[recipe.username])
        )
    return bodies


def check(ledger: Ledger, run: str) -> dict[str, Any]:
    """Compare what the clients were told with what the database holds."""
    from django.db.models import Count

    from yiwang.applications.constants import CASE_SUBMITTED, TaskState
    from yiwang.applications.models import Case
    from yiwang.notifications.models import OutboxEvent

    cases = Case.objects.filter(idempotency_key__startswith=f"durability-{run}-")
    rows = list(
        cases.values_list(
            "idempotency_key", "number", "applicant__username", "state_json", "process_version_id"
        )
    )
    by_key: dict[str, list[str]] = {}
    for key, number, _username, _state, _version in rows:
        by_key.setdefault(key, []).append(number)
    numbers = [row[1] for row in rows]
    evented: dict[str, int] = {}
    for start in range(0, len(numbers), 500):
        events = OutboxEvent.objects.filter(
            topic=CASE_SUBMITTED, payload__number__in=numbers[start : start + 500]
        )
        for payload in events.values_list("payload", flat=True):
            evented[payload["number"]] = evented.get(payload["number"], 0) + 1
    ready = set(
        cases.filter(tasks__state=TaskState.READY, tasks__bpmn_id="accept").values_list("number", flat=True)
    )
    lost = sorted(key for key in ledger.acknowledged if key not in by_key)
    wrong_number = sorted(
        key for key, number in ledger.acknowledged.items() if key in by_key and by_key[key] != [number]
    )
    duplicated = sorted(key for key, found in by_key.items() if len(found) > 1)
    two_answers = sorted(key for key, answered in ledger.answers.items() if len(answered) > 1)
    unknown = sorted(key for key in by_key if key not in ledger.keys)
    unacknowledged = sorted(key for key in ledger.keys if key not in ledger.acknowledged)
    without_event = sorted(number for number in numbers if evented.get(number, 0) != 1)
    without_state = sorted(row[1] for row in rows if row[3] is None or row[4] is None)
    without_task = sorted(number for number in numbers if number not in ready)
    same_content = cases.values("applicant_id", "number").annotate(n=Count("pk")).filter(n__gt=1).count()
    problems = {
        "lost_acknowledged": lost,
        "acknowledged_number_differs": wrong_number,
        "key_with_two_cases": duplicated,
        "key_answered_with_two_numbers": two_answers,
        "case_for_unknown_key": unknown,
        "key_never_acknowledged": unacknowledged,
        "case_without_one_submitted_event": without_event,
        "case_without_workflow_state": without_state,
        "case_without_ready_accept_task": without_task,
        "refused_requests": ledger.refused,
    }
    return {
        "cases": len(rows),
        "keys": len(ledger.keys),
        "acknowledged": len(ledger.acknowledged),
        "duplicate_numbers": same_content,
        "problems": {name: values[:20] for name, values in problems.items() if values},
        "ok": not any(problems.values()) and same_content == 0,
    }


def main() -> int:
    import applications_bench
    import http_bench

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--kill-every", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    arguments = parser.parse_args()
    applications_bench.setup_django(arguments.database)
    applications_bench.ensure_world()
    bodies = _bodies()
    from django.db import connections

    connections.close_all()
    port = http_bench.free_port()
    env = {
        **os.environ,
        **applications_bench.server_env(arguments.database),
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.base",
        "YIWANG_TASKS": "immediate",  # as `make run`
        "YIWANG_LOG_LEVEL": "WARNING",
    }
    log_dir = Path(tempfile.mkdtemp(prefix="yiwang-durability-"))
    platform = Platform(env=env, port=port, log_dir=log_dir)
    run = uuid.uuid4().hex[:10]
    ledger = Ledger()
    rng = random.Random(run)
    kills: list[dict[str, Any]] = []
    started = time.monotonic()
    platform.start()
    load_started = time.monotonic()
    load_over = threading.Event()
    final_deadline = [float("inf")]  # set when the load is over: unanswered keys are retried until then
    clients = [
        threading.Thread(
            target=_client,
            kwargs={
                "port": port,
                "bodies": bodies,
                "run": run,
                "number": n,
                "ledger": ledger,
                "load_over": load_over,
                "final_deadline": final_deadline,
            },
            daemon=True,
        )
        for n in range(arguments.clients)
    ]
    for client in clients:
        client.start()
    try:
        for _ in range(arguments.kills):
            time.sleep(max(0.5, arguments.kill_every + rng.uniform(-1, 1)))
            with ledger.lock:
                acknowledged = len(ledger.acknowledged)
            pids = platform.kill()
            kills.append(
                {"at_s": round(time.monotonic() - started, 1), "pids": pids, "acked_so_far": acknowledged}
            )
            print(
                f"  kill -9 #{len(kills)}: {len(pids)} process groups, {acknowledged} acknowledged so far",
                file=sys.stderr,
                flush=True,
            )
            platform.start()
        time.sleep(arguments.kill_every)  # load on the last restart too
        load_seconds = time.monotonic() - load_started
        final_deadline[0] = time.monotonic() + FINAL_RETRY_SECONDS
        load_over.set()
        for client in clients:
            client.join(timeout=max(1.0, final_deadline[0] - time.monotonic()))
    finally:
        platform.stop()
    from django.db import connections as reconnect

    reconnect.close_all()
    result = check(ledger, run)
    figures = {
        "database": arguments.database,
        "run": run,
        "kills": len(kills),
        "kill_log": kills,
        "load_seconds": round(load_seconds, 1),
        "clients": arguments.clients,
        "attempts": ledger.attempts,
        "failed_attempts_sent_again": ledger.failures,
        "keys_sent_more_than_once": len(ledger.retried_keys),
        "answered_201_created": ledger.created_201,
        "answered_200_existing": ledger.replayed_200,
        "logs": str(log_dir),
        **result,
    }
    print(json.dumps(figures, ensure_ascii=False))
    print(
        f"durability: {result['acknowledged']} acknowledged, {result['cases']} cases, "
        f"{len(kills)} kill -9 rounds: "
        + ("OK, none lost, none duplicated" if result["ok"] else f"FAILED {list(result['problems'])}"),
        file=sys.stderr,
    )
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
