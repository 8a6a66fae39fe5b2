"""Browser tests: the real platform (granian, demo data) driven by headless Debian Chromium.

A session fixture builds a fresh var directory, migrates, seeds the demo data and starts granian on a
free loopback port; each test gets a new browser context (Chinese locale, 1280×800 unless it asks for
another size). Screenshots go to test-results/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from oidc.live_server import migrate_sqlite
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "test-results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 375, "height": 667}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env(var_dir: Path) -> dict[str, str]:
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
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def _seed(env: dict[str, str]) -> None:
    """Migrate and load the demo data as `make demo` does (the migrated database may be the copy another
    server of this test process migrated: see oidc.live_server.migrate_sqlite)."""

    def run(*command: str) -> None:
        finished = _manage(env, *command)
        assert finished.returncode == 0, f"{command}: {finished.stderr[-3000:]}"

    migrate_sqlite(Path(env["YIWANG_VAR_DIR"]), lambda: run("migrate", "--noinput"))
    run("seed_demo")


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"granian exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"the platform did not answer at {url} within {timeout} s")


@pytest.fixture(scope="session")
def base_url(tmp_path_factory) -> Iterator[str]:
    """The platform with the demo data, served by granian on a free loopback port."""
    var_dir = tmp_path_factory.mktemp("yiwang-var")
    env = _server_env(var_dir)
    _seed(env)
    port = _free_port()
    granian = Path(sys.executable).with_name("granian")
    log = (var_dir / "granian.log").open("w")
    server = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-ws",
            "yiwang.wsgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/", server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def viewport() -> dict[str, int]:
    return DESKTOP


@pytest.fixture
def context(browser: Browser, base_url: str, viewport) -> Iterator[BrowserContext]:
    created = browser.new_context(base_url=base_url, viewport=viewport, locale="zh-CN")
    created.set_default_timeout(15_000)
    yield created
    created.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screenshot(request):
    """Save a full-page screenshot under test-results/ named after the test."""
    RESULTS_DIR.mkdir(exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = RESULTS_DIR / f"{request.node.name}-{name}.png".replace("/", "_")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
