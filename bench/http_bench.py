"""HTTP throughput and latency of the running platform under load (granian, 2 WSGI workers, wrk).

Each endpoint is loaded with wrk from the same machine (loopback only, bounded in time). The bare
endpoint (/api/v1/health) is measured in the same run so the ratio says what our code costs.
"""

from __future__ import annotations

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
VENV_BIN = ROOT / ".venv" / "bin"

_WRK_LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
            str(VENV_BIN / "granian"),
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
        for path in (urllib.parse.quote(path, safe="/?=&") for path in warm_paths):  # warm every worker
            for _ in range(workers * 4):
                urllib.request.urlopen(base + path, timeout=30).read()
        yield base
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


def wrk(*, base: str, paths: list[str], seconds: int = 10, connections: int = 16, threads: int = 2) -> dict:
    """Run wrk against ``paths`` in rotation; return requests/s and latency percentiles (ms)."""
    quoted = ", ".join('"' + path.replace('"', '\\"') + '"' for path in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % quoted)
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
        check=True,
    )
    os.unlink(script.name)
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": _parse_latency(out, "50"),
        "p99_ms": _parse_latency(out, "99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main(*, var_dir: Path, search_paths: list[str], guide_paths: list[str], seconds: int = 10) -> dict:
    with running_server(var_dir=var_dir) as base:
        bare = wrk(base=base, paths=["/api/v1/health"], seconds=seconds)
        search = wrk(base=base, paths=search_paths, seconds=seconds)
        guide = wrk(base=base, paths=guide_paths, seconds=seconds)
    return {
        "bare": bare,
        "search": search,
        "guide": guide,
        "search_to_bare_ratio": search["rps"] / bare["rps"] if bare["rps"] else 0.0,
    }


if __name__ == "__main__":
    print(
        main(
            var_dir=Path(sys.argv[1]),
            search_paths=["/api/v1/search?q=营业执照"],
            guide_paths=["/api/v1/health"],
        )
    )
