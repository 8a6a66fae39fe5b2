"""Index generations on disk: ``CURRENT`` names the one readers use, a file lock serializes writers.

A full rebuild writes a new generation directory and then replaces ``CURRENT`` atomically, so readers
never see a half-built index. Every process checks ``CURRENT`` (one ``stat``) before it reads.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CURRENT_FILE = "CURRENT"
LOCK_FILE = "writer.lock"
GENERATION_PREFIX = "generation-"

Marker = tuple[int, int, int]


def file_marker(path: Path) -> Marker | None:
    """What changes when a file is replaced or rewritten (inode, size, mtime), or None if it is missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


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
    def writer_lock(self) -> Iterator[None]:
        """Hold the index's single-writer lock (blocks until other writers, on this node, are done)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_FILE, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
