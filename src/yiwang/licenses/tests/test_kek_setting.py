"""The documented key-encryption key format is the one the code accepts: 32 hex characters (issue 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from yiwang.core.crypto.sm4 import KEY_SIZE

CHECKOUT = Path(__file__).resolve().parents[4]


def _production_settings(kek: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(CHECKOUT / "src"),
        "YIWANG_SECRET_KEY": "p" * 50,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "YIWANG_LICENSE_KEK": kek,
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # production refuses a per-process cache
        "YIWANG_DEBUG": "0",
    }
    return subprocess.run(
        [sys.executable, "-c", "import yiwang.settings.production"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_code_wants_32_hex_characters():
    assert KEY_SIZE * 2 == 32


@pytest.mark.slow
def test_production_accepts_32_hex_characters_and_refuses_64_saying_32():
    assert _production_settings("ab" * 16).returncode == 0
    refused = _production_settings("ab" * 32)
    assert refused.returncode != 0
    assert "32 hex characters" in refused.stderr


def test_the_readme_says_32_hex_characters():
    line = next(
        line for line in (CHECKOUT / "README.md").read_text().splitlines() if "`YIWANG_LICENSE_KEK`" in line
    )
    assert "32 hex characters" in line and "64 hex" not in line
