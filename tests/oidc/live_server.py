"""Start the real platform under granian on a free loopback port, with its own database and SITE_URL.

Used by the OIDC tests (Authlib against the running provider) and the identity browser tests.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQLITE_FILES = ("yiwang.sqlite3", "yiwang.sqlite3-wal", "yiwang.sqlite3-shm")
_migrated_sqlite: list[Path] = []  # the first migrated database of this test process, copied for the next


def migrate_sqlite(var_dir: Path, migrate) -> None:
    """Give ``var_dir`` a migrated SQLite database: ``migrate()`` (manage.py migrate) the first time in
    this test process, then a copy of that migrated file (a fresh migrate costs ~25 s of CPU; the copy
    holds exactly what migrate wrote, and every server still starts from an empty, migrated database)."""
    if _migrated_sqlite:
        for name in SQLITE_FILES:
            if (_migrated_sqlite[0] / name).exists():
                shutil.copyfile(_migrated_sqlite[0] / name, var_dir / name)
        return
    migrate()
    template = Path(tempfile.mkdtemp(prefix="yiwang-migrated-"))
    atexit.register(shutil.rmtree, template, True)
    for name in SQLITE_FILES:
        if (var_dir / name).exists():
            shutil.copyfile(var_dir / name, template / name)
    _migrated_sqlite.append(template)


def keep_migrated_sqlite(database: str) -> None:
    """Use ``database`` (a freshly migrated SQLite file: the test database before any test wrote to it) as
    the migrated database that ``migrate_sqlite`` copies; a consistent snapshot through SQLite's backup."""
    if _migrated_sqlite:  # this process already has one
        return
    template = Path(tempfile.mkdtemp(prefix="yiwang-migrated-"))
    atexit.register(shutil.rmtree, template, True)
    source, copy = sqlite3.connect(database), sqlite3.connect(template / SQLITE_FILES[0])
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    _migrated_sqlite.append(template)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    var_dir: Path
    process: subprocess.Popen | None = None
    database: str = ""
    log: object = field(default=None, repr=False)

    def manage(self, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-4000:]}"
        return done

    def run_script(self, path: Path, timeout: int = 900) -> str:
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{path.name} failed:\n{done.stderr[-4000:]}"
        return done.stdout

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is not None:
            self.log.close()
        if self.database:
            _drop_postgres_database(self.database)


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def _create_postgres_database(name: str) -> str:
    import psycopg

    base = _postgres_url()
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def _drop_postgres_database(name: str) -> None:
    import psycopg

    with psycopg.connect(_postgres_url(), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_server(var_dir: Path, *, extra_env: dict[str, str] | None = None) -> LiveServer:
    """A migrated database and the environment for a server on a port chosen now (SITE_URL must match)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "YIWANG_SEARCH_INDEX_DIR", "YIWANG_TASKS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="yiwang.settings.base",
        YIWANG_VAR_DIR=str(var_dir),
        YIWANG_DEBUG="0",
        PYTHONPATH=str(ROOT / "src"),
        YIWANG_SITE_URL=url,
        YIWANG_SECRET_KEY="live-test-secret-key",
        YIWANG_OIDC_KEY_FILE=str(var_dir / "oidc-key.pem"),
        YIWANG_SMS_BACKEND="file",
        YIWANG_SMS_FILE=str(var_dir / "sms.jsonl"),
        YIWANG_ALLOW_TEST_FACE_PROVIDER="1",
        YIWANG_FACE_PROVIDER="test",
        **(extra_env or {}),
    )
    server = LiveServer(url=url, env=env, var_dir=var_dir)
    if _postgres_url():
        server.database = f"yiwang_live_{os.getpid()}_{port}"
        env["DATABASE_URL"] = _create_postgres_database(server.database)
        server.manage("migrate", "--noinput")
    else:
        migrate_sqlite(var_dir, lambda: server.manage("migrate", "--noinput"))
    return server


def start(server: LiveServer, timeout: float = 60) -> LiveServer:
    granian = Path(sys.executable).with_name("granian")
    server.log = (server.var_dir / "granian.log").open("w")
    port = server.url.rsplit(":", 1)[1]
    server.process = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            port,
            "--workers",
            "1",
            "--no-ws",
            "yiwang.wsgi:application",
        ],
        cwd=ROOT,
        env=server.env,
        stdout=server.log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"granian exited with {server.process.returncode}")
        try:
            discovery = server.url + "/.well-known/openid-configuration"
            with urllib.request.urlopen(discovery, timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    log = (server.var_dir / "granian.log").read_text()[-3000:]
    raise RuntimeError(f"the platform did not answer at {server.url} within {timeout} s:\n{log}")
