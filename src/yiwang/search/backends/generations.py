"""Index generations on disk: ``CURRENT`` names the one readers use, a file lock serializes writers.

A full rebuild writes a new generation directory and then replaces ``CURRENT`` atomically, so readers
never see a half-built index. Every process checks ``CURRENT`` (one ``stat``) before it reads.

Each generation also holds ``log-position.json``: how far into the search change log (ADR 0013) its
documents reach. A rebuild writes it before publishing; applying newer log entries replaces it
(atomically) after the index commit, so a crash between the two only means applying an entry again.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CURRENT_FILE = "CURRENT"
LOCK_FILE = "writer.lock"
GENERATION_PREFIX = "generation-"
LOG_POSITION_FILE = "log-position.json"

Marker = tuple[int, int, int]


def file_marker(path: Path) -> Marker | None:
    """What changes when a file is replaced or rewritten (inode, size, mtime), or None if it is missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


def write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class _NodeLock:
    """The writer lock of one index directory in this process: re-entrant per thread over one ``flock``.

    ``flock`` locks belong to an open file, so a second ``open`` + ``flock`` by the same process would wait
    for itself; a thread already holding the lock (applying several log entries) enters again freely.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads = threading.RLock()
        self.depth = 0
        self.handle = None

    def acquire(self, *, blocking: bool) -> bool:
        if not self.threads.acquire(blocking=blocking):
            return False
        if self.depth == 0:
            handle = open(self.path, "a+b")  # noqa: SIM115  (kept open while the lock is held)
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                handle.close()
                self.threads.release()
                return False
            self.handle = handle
        self.depth += 1
        return True

    def release(self) -> None:
        self.depth -= 1
        if self.depth == 0 and self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
        self.threads.release()


_node_locks: dict[Path, _NodeLock] = {}
_node_locks_guard = threading.Lock()


def _node_lock(path: Path) -> _NodeLock:
    key = path.resolve()
    with _node_locks_guard:
        if key not in _node_locks:
            _node_locks[key] = _NodeLock(key)
        return _node_locks[key]


class GenerationStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def current_file(self) -> Path:
        return self.root / CURRENT_FILE

    def marker(self) -> Marker | None:
        return file_marker(self.current_file)

    def current(self) -> Path | None:
        """The directory of the generation readers use, or None before the first one is published."""
        try:
            name = self.current_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return self.root / name if name else None

    def new_generation(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{GENERATION_PREFIX}{time.time_ns()}-{os.getpid()}"
        path.mkdir()
        return path

    def publish(self, generation: Path) -> None:
        """Make ``generation`` the one every reader uses (atomic rename), then drop older ones."""
        temporary = self.root / f".{CURRENT_FILE}.{os.getpid()}"
        temporary.write_text(generation.name, encoding="ascii")
        os.replace(temporary, self.current_file)
        self.prune(keep={generation.name})

    def prune(self, *, keep: set[str]) -> None:
        """Remove generations other than ``keep`` and the newest previous one (a reader may still use it)."""
        others = sorted(
            (path for path in self.root.glob(f"{GENERATION_PREFIX}*") if path.name not in keep),
            key=lambda path: path.stat().st_mtime_ns,
        )
        for stale in others[:-1]:
            shutil.rmtree(stale, ignore_errors=True)

    @contextmanager
    def writer_lock(self, *, blocking: bool = True) -> Iterator[bool]:
        """Hold the index's single-writer lock (blocks until other writers, on this node, are done).

        Re-entrant within a thread. ``blocking=False`` yields False at once when another holds it.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        lock = _node_lock(self.root / LOCK_FILE)
        if not lock.acquire(blocking=blocking):
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    # How far into the change log a generation reaches ---------------------------------------------------

    @staticmethod
    def read_log_position(generation: Path | None) -> dict | None:
        """The log position stored with ``generation``, or None (built before the log, or never built)."""
        if generation is None:
            return None
        try:
            position = json.loads((generation / LOG_POSITION_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return None
        return position if isinstance(position, dict) else None

    @staticmethod
    def write_log_position(generation: Path, position: dict) -> None:
        write_atomically(generation / LOG_POSITION_FILE, json.dumps(position, sort_keys=True))
