"""The benchmark harness's own logic: wrk sends what we mean, workers and failures are found, the quick CI
bench judges ratios, `make bench` ends in a summary whatever a benchmark did."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


http_bench = _load("http_bench")
run = _load("run")
quick = _load("quick")
calibrate = _load("calibrate")


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    seen: list[tuple[str, str, str, str]] = []

    def _answer(self, body: bytes) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Content-Type", ""), body.decode()))
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def do_GET(self):
        self._answer(b"")

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_wrk_posts_every_body_intact_as_json_and_counts_failed_answers(recorder):
    # make test installs wrk first (bench-deps); without it this fails, never skips
    assert shutil.which("wrk"), "wrk is not installed: run make bench-deps"
    base, seen = recorder
    bodies = [
        json.dumps({"identifier": '证照-1 "quoted" \\ back'}, ensure_ascii=False),
        '{"identifier": "B"}',
    ]
    row = http_bench.wrk(
        base=base, paths=["/api/v1/licenses/verify"], bodies=bodies, seconds=1, connections=1, threads=1
    )
    assert row["rps"] > 0 and row["non_2xx"] == 0
    assert {body for _method, _path, _type, body in seen} == set(bodies)
    assert {(method, path, kind) for method, path, kind, _body in seen} == {
        ("POST", "/api/v1/licenses/verify", "application/json")
    }

    seen.clear()
    row = http_bench.wrk(base=base, paths=["/a?q=%E8%90%A5", "/missing"], seconds=1, connections=1, threads=1)
    assert {(method, path) for method, path, _type, _body in seen} == {
        ("GET", "/a?q=%E8%90%A5"),
        ("GET", "/missing"),
    }
    assert 0 < row["non_2xx"] < len(seen)  # every second request was a 404


def test_worker_pids_are_the_children_of_the_server_process():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, time\n"
            "children = [subprocess.Popen(['sleep', '30']) for _ in range(2)]\n"
            "print(' '.join(str(child.pid) for child in children), flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        children = sorted(int(pid) for pid in parent.stdout.readline().split())
        assert http_bench.worker_pids(parent.pid) == children
        assert http_bench.worker_pids(children[0]) == []
    finally:
        parent.kill()
        parent.wait()
        for pid in children:
            subprocess.run(["kill", str(pid)], check=False)


def test_a_benchmark_run_gives_its_last_line_as_data_and_a_failed_one_is_not_measured(capsys):
    run.FAILED.clear()
    printed = "print('figures follow'); print(json.dumps({'rps': 12.5}))"
    assert run._stream([sys.executable, "-c", "import json; " + printed], "ok") == {"rps": 12.5}
    assert run._stream([sys.executable, "-c", "print({'rows': 3})"], "repr") == {"rows": 3}
    assert "figures follow" in capsys.readouterr().out
    assert run._stream([sys.executable, "-c", "print('{}'); raise SystemExit(3)"], "broken") is None
    assert run.FAILED == ["broken"]
    assert run._call("no_such_bench_module") is None  # a helper's module not written yet


def test_summary_puts_each_figure_beside_its_target_and_the_bare_endpoint(capsys):
    run.SUMMARY.clear()
    run.FAILED.clear()
    bare = {"rps": 5000.0, "p50_ms": 2.0}
    run._summary("search over HTTP / bare", "45%", "≥ 50%", False, run._bare(bare))
    run._summary("USS per web worker", "150 MB", "≤ 200 MB", True)
    run._not_measured("index follows", "within seconds", "module missing")
    run.print_summary(
        {"sm3_per_cpu_second": 1000, "sm3_per_wall_second": 900, "load_average_1min": 0.5, "cpu_count": 2}
    )
    out = capsys.readouterr().out
    assert "calibration: 1,000 SM3/s on one core" in out
    assert "| search over HTTP / bare | 45% | ≥ 50% | NO | 5,000 req/s (p50 2.0 ms) |" in out
    assert "| USS per web worker | 150 MB | ≤ 200 MB | yes | — |" in out
    assert "not measured (module missing)" in out
    assert "1 of 2 targets met" in out


def _rows(*runs: tuple[float, float], failed: int = 0) -> list[dict]:
    """Rounds of (requests/s, server CPU ms a request)."""
    return [
        {"rps": rps, "server_cpu_ms_per_request": cpu, "non_2xx": failed, "socket_errors": 0}
        for rps, cpu in runs
    ]


def test_quick_bench_judges_the_least_cpu_a_request_against_the_bare_endpoints():
    floors = {"search": 0.2, "guide": 0.1}
    # a round disturbed by other work (slower, a little more CPU) does not fail the run: the least CPU counts
    verdict = quick.judge(
        {
            "bare": _rows((1000, 0.8), (3000, 0.5)),
            "search": _rows((100, 4.0), (900, 2.0)),
            "guide": _rows((300, 4.0), (250, 5.0)),
        },
        floors,
    )
    assert verdict["cpu_ratios"] == {"search": 0.25, "guide": 0.125}
    assert verdict["ratios"] == {"search": 0.3, "guide": 0.1}  # shown, not judged
    assert verdict["passed"]
    # a guide that costs twice the CPU it did fails, however fast the machine is
    slow = quick.judge(
        {"bare": _rows((3000, 0.5)), "search": _rows((900, 2.0)), "guide": _rows((300, 8.0))}, floors
    )
    assert not slow["passed"]
    # fast failed answers (404s) fail the run even when the ratios look good
    failing = quick.judge(
        {"bare": _rows((3000, 0.5)), "search": _rows((2900, 0.6), failed=5), "guide": _rows((1000, 1.0))},
        floors,
    )
    assert not failing["passed"]


def test_server_cpu_is_read_per_process_from_proc():
    burner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "end = time.process_time() + 0.4\n"
            "while time.process_time() < end: pass\n"
            "print('burnt', flush=True)\n"
            "time.sleep(30)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert burner.stdout.readline().strip() == "burnt"
        assert 0.35 <= http_bench.cpu_seconds([burner.pid]) < 5
    finally:
        burner.kill()
        burner.wait()
    assert http_bench.cpu_seconds([burner.pid]) == 0  # a process gone counts nothing


def test_calibration_times_the_real_sm3_per_cpu_second():
    figures = calibrate.sm3_per_second(rounds=1, round_seconds=0.05)
    assert figures["sm3_per_cpu_second"] > 1000
    assert figures["sm3_per_cpu_second"] >= figures["sm3_per_wall_second"] * 0.9  # CPU time ≤ wall time
    assert calibrate.line(figures).startswith("calibration: ")
