"""HTTP throughput and latency of the running platform under load (granian, 2 WSGI workers, wrk).

Each endpoint is loaded with wrk from the same machine (loopback only, bounded in time). The bare
endpoint (/api/v1/health) is measured in the same run so the ratio says what our code costs.
``running_server`` yields the base URL (a ``str`` that also carries the granian parent's ``pid``);
``worker_pids`` finds its workers; ``wrk`` loads GETs or POSTs (``bodies``) in rotation.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "bench") not in sys.path:  # bench/memory.py, when run from elsewhere
    sys.path.insert(0, str(ROOT / "bench"))
VENV_BIN = ROOT / ".venv" / "bin"

_WRK_LUA = """
local requests = {%s}
local json_headers = {["Content-Type"] = "application/json"}
local i = 0
request = function()
  i = i + 1
  local r = requests[(i %% #requests) + 1]
  if r[3] then
    return wrk.format(r[1], r[2], json_headers, r[3])
  end
  return wrk.format(r[1], r[2])
end
"""


class Server(str):
    """The server's base URL; ``pid`` is the granian parent process (its workers are its children)."""

    pid: int

    def __new__(cls, base: str, pid: int) -> Server:
        server = super().__new__(cls, base)
        server.pid = pid
        return server


def worker_pids(parent_pid: int) -> list[int]:
    """The granian workers: the parent's child processes (read from /proc; Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces or parentheses, so split after the last ")"
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == parent_pid:
            children.append(int(entry.name))
    return sorted(children)


def workers_memory(parent_pid: int) -> list[dict] | None:
    """bench/memory.py's ``worker_memory(pid)`` (USS/PSS/RSS MB) for each worker; None if not available."""
    try:
        memory = importlib.import_module("memory")
        measure = memory.worker_memory
    except (ImportError, AttributeError):
        return None
    rows = []
    for pid in worker_pids(parent_pid):
        try:
            rows.append({"pid": pid, **measure(pid)})
        except Exception as error:  # a figure missing must not lose the run's other figures
            rows.append({"pid": pid, "error": f"{type(error).__name__}: {error}"})
    return rows


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user + system) these processes have used so far; a process gone counts 0."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk_with_cpu(*, base: Server, **arguments) -> dict:
    """``wrk(...)`` plus the server workers' CPU milliseconds a request over the run: what a request
    costs the server, which, unlike requests/s, hardly depends on what else the machine is doing."""
    workers = worker_pids(base.pid)
    before = cpu_seconds(workers)
    row = wrk(base=base, **arguments)
    spent = cpu_seconds(workers) - before
    row["server_cpu_ms_per_request"] = round(spent * 1000 / row["requests"], 3) if row["requests"] else None
    return row


def _lua_string(text: str) -> str:
    """A Lua string literal of ``text`` (UTF-8 bytes; anything but plain printable ASCII as \\ddd)."""
    return (
        '"'
        + "".join(
            chr(byte) if 32 <= byte < 127 and byte not in (34, 92) else f"\\{byte:03d}"
            for byte in text.encode()
        )
        + '"'
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launcher() -> list[str]:
    """granian as `make serve` starts it: through yiwang.prefork (the application loaded once before the
    fork, shared by the workers) where the platform has it;
    YIWANG_BENCH_LAUNCHER=granian for plain granian."""
    plain = os.environ.get("YIWANG_BENCH_LAUNCHER") == "granian"
    if not plain and (ROOT / "src" / "yiwang" / "prefork.py").exists():
        return [str(VENV_BIN / "python"), "-m", "yiwang.prefork"]
    return [str(VENV_BIN / "granian")]


@contextmanager
def running_server(
    *,
    var_dir: Path | None = None,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
    warm_paths: tuple[str, ...] = ("/api/v1/search?q=营业执照", "/api/v1/suggest?q=gjj"),
):
    """Start granian on a free loopback port (against ``var_dir``, else this environment's); yield its URL."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.base",
        **({"YIWANG_VAR_DIR": str(var_dir)} if var_dir else {}),
        "YIWANG_DEBUG": "0",
        "YIWANG_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below, after the server stops)
    process = subprocess.Popen(
        [
            *_launcher(),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--blocking-threads",
            os.environ.get("GRANIAN_BLOCKING_THREADS", "2"),
            "--no-ws",
            "--log-level",
            "warning",
            "yiwang.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,  # a file, not a pipe nobody reads: a full pipe would stall the server mid-run
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=2).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError("server did not start: " + log.read().decode()[-2000:]) from None
                time.sleep(0.3)
        for path in (urllib.parse.quote(path, safe="/?=&%+") for path in warm_paths):  # warm every worker
            for _ in range(workers * 4):
                urllib.request.urlopen(base + path, timeout=30).read()
        yield Server(base, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.seek(0)
        errors = log.read().decode(errors="replace")
        if "Traceback" in errors:  # a 500 during the run: say so rather than only count it
            print("server errors during the run:\n" + errors[-3000:], file=sys.stderr)
        log.close()


def _parse_latency(text: str, label: str) -> float | None:
    match = re.search(rf"^\s*{label}%?\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return None
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(
    *,
    base: str,
    paths: list[str],
    seconds: float = 10,
    connections: int = 16,
    threads: int = 2,
    bodies: list[str] | None = None,
) -> dict:
    """Run wrk against ``paths`` in rotation (POSTing ``bodies`` in rotation as JSON when given); return
    requests/s, latency percentiles (ms), non-2xx/3xx responses and socket errors."""
    if bodies:
        count = max(len(paths), len(bodies))
        requests = [("POST", paths[n % len(paths)], bodies[n % len(bodies)]) for n in range(count)]
    else:
        requests = [("GET", path, None) for path in paths]
    table = ", ".join(
        "{" + ", ".join(_lua_string(part) for part in request if part is not None) + "}"
        for request in requests
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % table)
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--latency",
                "-s",
                script.name,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        os.unlink(script.name)
    if result.returncode:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests_done = re.search(r"(\d+) requests in", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "requests": int(requests_done.group(1)) if requests_done else 0,
        "p50_ms": _parse_latency(out, "50"),
        "p99_ms": _parse_latency(out, "99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
        # connect, read and write errors (a request not answered); timeouts (> 2 s) apart: slow, not wrong
        "socket_errors": sum(int(n) for n in socket_errors.groups()[:3]) if socket_errors else 0,
        "timeouts": int(socket_errors.group(4)) if socket_errors else 0,
    }


def verify_bodies(identifiers: list[str]) -> list[str]:
    """JSON bodies of ``POST /api/v1/licenses/verify`` for these license identifiers."""
    return [json.dumps({"identifier": identifier}) for identifier in identifiers]


def verify_run(*, var_dir: Path, identifiers: list[str], seconds: float = 10) -> dict:
    """``POST /api/v1/licenses/verify`` beside the bare endpoint of the same server (the licenses' own
    bench database under ``var_dir``, e.g. the one bench/license_bench.py fills)."""
    env = {"DATABASE_URL": f"sqlite:///{var_dir / 'yiwang.sqlite3'}"}
    bodies = verify_bodies(identifiers)
    with running_server(var_dir=var_dir, extra_env=env, warm_paths=("/api/v1/licenses/keys",)) as base:
        wrk(base=base, paths=["/api/v1/licenses/verify"], bodies=bodies, seconds=2)  # warm-up, not counted
        bare = wrk_with_cpu(base=base, paths=["/api/v1/health"], seconds=seconds)
        verify = wrk_with_cpu(base=base, paths=["/api/v1/licenses/verify"], bodies=bodies, seconds=seconds)
    return {"bare": bare, "verify": verify, "load_average": round(os.getloadavg()[0], 2)}


def main(*, var_dir: Path, search_paths: list[str], guide_paths: list[str], seconds: int = 10) -> dict:
    """Bare, search and guide on one server (after a 2 s warm-up of each, not counted: the first request
    in a worker loads what later ones reuse); then each worker's memory (bench/memory.py) after the load."""
    load_before = round(os.getloadavg()[0], 2)
    with running_server(var_dir=var_dir, warm_paths=(search_paths[0], guide_paths[0])) as base:
        for paths in (search_paths, guide_paths):
            wrk(base=base, paths=paths, seconds=2)
        bare = wrk_with_cpu(base=base, paths=["/api/v1/health"], seconds=seconds)
        search = wrk_with_cpu(base=base, paths=search_paths, seconds=seconds)
        guide = wrk_with_cpu(base=base, paths=guide_paths, seconds=seconds)
        memory = workers_memory(base.pid)
    return {
        "bare": bare,
        "search": search,
        "guide": guide,
        "search_to_bare_ratio": search["rps"] / bare["rps"] if bare["rps"] else 0.0,
        "guide_to_bare_ratio": guide["rps"] / bare["rps"] if bare["rps"] else 0.0,
        "workers_memory": memory,
        "load_average": [load_before, round(os.getloadavg()[0], 2)],
    }


if __name__ == "__main__":
    print(
        main(
            var_dir=Path(sys.argv[1]),
            search_paths=["/api/v1/search?q=营业执照"],
            guide_paths=["/api/v1/health"],
        )
    )
