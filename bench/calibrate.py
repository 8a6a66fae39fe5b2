"""The machine's single-core speed, so that figures measured on two machines can be compared.

A fixed loop of SM3 hashes of a fixed 1 KiB message through the platform's own SM3
(``yiwang.core.crypto.sm3_digest``: ``cryptography`` on OpenSSL, one Python call per hash, as the audit
log and the license checks call it), timed in this process. The rate is per second of this process's
CPU time (``process_time``): other work on the machine takes CPU from the loop, not CPU time from the
measure, so the figure barely moves with the load (the wall-clock rate and the load average are given
beside it). Best of three rounds of ~0.5 s.

    .venv/bin/python bench/calibrate.py        # prints "calibration: N SM3/s on one core ..."

Scale figures from two machines by the ratio of their calibrations (a machine with twice the SM3/s
should do about twice the requests per second of CPU-bound work).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

MESSAGE = bytes(range(256)) * 4  # 1 KiB, the same on every machine
BATCH = 2_000


def sm3_per_second(*, rounds: int = 3, round_seconds: float = 0.5) -> dict:
    """Best SM3/s over ``rounds`` rounds, per CPU second and per wall second."""
    from yiwang.core.crypto.sm3 import sm3_digest

    assert sm3_digest(b"abc").hex().startswith("66c7f0f4")  # GB/T 32905 test vector: the real SM3
    best_cpu = best_wall = 0.0
    for _ in range(rounds):
        count = 0
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        while True:
            for _ in range(BATCH):
                sm3_digest(MESSAGE)
            count += BATCH
            cpu = time.process_time() - started_cpu
            if cpu >= round_seconds:
                break
        wall = time.perf_counter() - started_wall
        best_cpu = max(best_cpu, count / cpu)
        best_wall = max(best_wall, count / wall)
    return {
        "sm3_per_cpu_second": round(best_cpu),
        "sm3_per_wall_second": round(best_wall),
        "message_bytes": len(MESSAGE),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def line(figures: dict) -> str:
    return (
        f"calibration: {figures['sm3_per_cpu_second']:,} SM3/s on one core "
        f"(1 KiB messages, per CPU second; wall clock {figures['sm3_per_wall_second']:,}/s "
        f"at load average {figures['load_average_1min']} on {figures['cpu_count']} cores)"
    )


if __name__ == "__main__":
    result = sm3_per_second()
    print(line(result))
    if "--json" in sys.argv:
        print(json.dumps(result))
