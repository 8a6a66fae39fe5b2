"""Index freshness across nodes (ADR 0013): how long until an edit committed on node A is in node B's index,
and what applying one change log entry costs.

Node B is a separate process with its own index directory, running what `make serve` and `make worker`
start on every node: ``manage.py follow_search_index --loop`` (one look at the log every 0.5 s). Node A is
this process: it commits staff edits through the catalog's service (each writes its log entry in the
edit's transaction) and watches B's index directory: an edit is visible on B once B's published log
position covers its entry (B's readers reload on the index commit that comes before that position). At the
end a sample of the edits is searched for in B's index.

The apply cost is measured in this process on a third index directory (node C): CPU per entry applied one
by one (a commit each, what a follower that keeps up does) and in one batch (a follower catching up).

    .venv/bin/python bench/index_follow_bench.py [--edits 300] [--implementations 500] [--database-url URL]

Default database: PostgreSQL ``yiwang_bench_follow`` on 127.0.0.1 (the multi-node configuration), created
and filled with a small synthetic catalog when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = ROOT / "var" / "bench-follow-pg"
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/yiwang_bench_follow"
TARGET_LAG_S = 2.0  # "within seconds": p99 from commit to visible on another node


def setup(database_url: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    os.environ["YIWANG_SEARCH_INDEX_DIR"] = str(VAR_DIR / "node-a")
    os.environ.setdefault("YIWANG_DEBUG", "0")
    from pg_bench_database import setup_django_on_postgres

    setup_django_on_postgres(database_url=database_url, var_dir=VAR_DIR)


def ensure_catalog(implementations: int) -> list[int]:
    from yiwang.catalog.models import Implementation
    from yiwang.catalog.tests.factories import ImplementationFactory
    from yiwang.regions.models import Region
    from yiwang.regions.services import load_regions

    if not Region.objects.exists():
        load_regions()
    have = Implementation.objects.filter(is_active=True).count()
    for _n in range(max(0, implementations - have)):
        ImplementationFactory()
    return list(Implementation.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))


def _position_top(index_dir: Path) -> tuple[int, set[int]]:
    from yiwang.search.backends.generations import GenerationStore

    store = GenerationStore(index_dir)
    position = store.read_log_position(store.current()) or {"top": 0, "missing": []}
    return int(position["top"]), {int(pk) for pk, _until in position["missing"]}


def _start_follower(index_dir: Path, database_url: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "YIWANG_SEARCH_INDEX_DIR": str(index_dir),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.base",
        "YIWANG_VAR_DIR": str(VAR_DIR),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "follow_search_index", "--loop"],
        env=environment,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )


def measure_lag(ids: list[int], edits: int, database_url: str) -> dict:
    """Edits committed on A (≈ 20 a second, at random moments); the wall time until B's index has each."""
    from django.db import transaction
    from django.db.models import Max

    from yiwang.catalog.models import Implementation
    from yiwang.catalog.services import save_catalog_record
    from yiwang.search.models import SearchChange
    from yiwang.search.services import rebuild_search_index

    node_b = VAR_DIR / "node-b"
    rebuild_search_index()  # node A (this process)
    follower = _start_follower(node_b, database_url)
    try:
        deadline = time.monotonic() + 300
        while _position_top(node_b)[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)  # B's first follow builds its index
        time.sleep(1.0)
        pending: list[tuple[int, float, int]] = []  # (log id, committed at, implementation pk)
        lags: list[float] = []
        lock, stop = threading.Lock(), threading.Event()

        def watch() -> None:  # B's directory looked at every 5 ms, whatever A is doing
            while not stop.is_set():
                with lock:
                    pending[:] = _collect(pending, lags, node_b)
                time.sleep(0.005)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        sample = random.Random(13).sample(ids, min(edits, len(ids)))
        names: dict[int, str] = {}
        for number, pk in enumerate(sample):
            record = Implementation.objects.get(pk=pk)
            record.name = names[pk] = f"跟随测试事项{number:04d}"
            committed: list[float] = []
            with transaction.atomic():
                transaction.on_commit(
                    lambda done=committed: done.append(time.monotonic())
                )  # before A's own apply
                save_catalog_record(record=record, changed=["name"])  # its log entry in this transaction
            log_id = SearchChange.objects.aggregate(top=Max("pk"))["top"]
            with lock:
                pending.append((log_id, committed[0], pk))
            time.sleep(random.uniform(0.0, 0.1))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if not pending:
                    break
            time.sleep(0.05)
        stop.set()
        watcher.join(5)
        found = _found_on(node_b, names, ids=sample[:: max(1, len(sample) // 20)])
    finally:
        follower.terminate()
        follower.wait(30)
    lags.sort()
    return {
        "edits": len(sample),
        "not_visible_after_60s": len(pending),
        "lag_p50_s": round(statistics.median(lags), 3),
        "lag_p90_s": round(lags[int(len(lags) * 0.9)], 3),
        "lag_p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3),
        "lag_max_s": round(lags[-1], 3),
        "sample_found_on_b": found,
        "target_lag_p99_s": TARGET_LAG_S,
    }


def _collect(pending: list, lags: list, node_b: Path) -> list:
    top, missing = _position_top(node_b)
    now = time.monotonic()
    still = []
    for log_id, committed, pk in pending:
        if log_id <= top and log_id not in missing:
            lags.append(now - committed)
        else:
            still.append((log_id, committed, pk))
    return still


def _found_on(node_b: Path, names: dict[int, str], *, ids: list[int]) -> str:
    """Search B's index (read as B's web processes do) for a sample of the new names."""
    from yiwang.catalog.models import Implementation
    from yiwang.search.analysis import analyze_query
    from yiwang.search.backends.base import SearchRequest
    from yiwang.search.backends.tantivy_backend import TantivyBackend

    backend = TantivyBackend(index_dir=node_b)
    codes = dict(Implementation.objects.filter(pk__in=ids).values_list("pk", "code"))
    found = 0
    for pk in ids:
        request = SearchRequest(clauses=analyze_query(names[pk]).clauses, limit=5)
        found += codes[pk] in {hit.code for hit in backend.search(request=request).hits}
    return f"{found}/{len(ids)}"


def measure_apply_cost(ids: list[int], entries: int) -> dict:
    """CPU of applying entries on node C: one by one (each its own index commit) and as one batch."""
    from django.conf import settings

    from yiwang.catalog.models import Implementation
    from yiwang.catalog.services import save_catalog_record
    from yiwang.search.backends import get_backend
    from yiwang.search.services import follow, rebuild_search_index

    node_a = settings.SEARCH_INDEX_DIR
    settings.SEARCH_INDEX_DIR = VAR_DIR / "node-c"
    try:
        rebuild_search_index()
        follow.apply_pending()
        start = follow.node_log_position()
        sample = random.Random(7).sample(ids, min(entries, len(ids)))

        def edit(number: int, pk: int) -> None:
            record = Implementation.objects.get(pk=pk)
            record.name = f"成本测试事项{number:04d}"
            settings.SEARCH_INDEX_DIR = node_a  # the edit is node A's: C must not apply it after commit
            save_catalog_record(record=record, changed=["name"])
            settings.SEARCH_INDEX_DIR = VAR_DIR / "node-c"

        one_by_one = []
        for number, pk in enumerate(sample):
            edit(number, pk)
            cpu, wall = time.process_time(), time.perf_counter()
            assert follow.apply_pending().applied == 1
            one_by_one.append(((time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000))
        # the same entries again, as a node that missed them catches up: one batch
        get_backend().record_log_position(start.as_dict())
        cpu, wall = time.process_time(), time.perf_counter()
        applied = follow.apply_pending().applied
        batch_cpu, batch_wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
    finally:
        settings.SEARCH_INDEX_DIR = node_a
    return {
        "apply_one_cpu_ms_p50": round(statistics.median(cpu for cpu, _wall in one_by_one), 2),
        "apply_one_wall_ms_p50": round(statistics.median(wall for _cpu, wall in one_by_one), 2),
        "apply_batch_entries": applied,
        "apply_batch_cpu_ms_per_entry": round(batch_cpu / max(applied, 1), 3),
        "apply_batch_wall_ms_per_entry": round(batch_wall / max(applied, 1), 3),
    }


def main(edits: int = 300, implementations: int = 500, database_url: str = DATABASE_URL) -> dict:
    setup(database_url)
    ids = ensure_catalog(implementations)
    figures = {"implementations": len(ids)}
    figures.update(measure_lag(ids, edits, database_url))
    figures.update(measure_apply_cost(ids, min(100, edits)))
    figures["load_average"] = round(os.getloadavg()[0], 2)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--implementations", type=int, default=500)
    parser.add_argument("--database-url", default=DATABASE_URL)
    arguments = parser.parse_args()
    print(
        json.dumps(
            main(arguments.edits, arguments.implementations, arguments.database_url), ensure_ascii=False
        )
    )
