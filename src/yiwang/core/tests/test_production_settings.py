"""Production settings refuse to start with a per-process cache: the replay guard of private_key_jwt
assertions (their jti, kept in the cache) must be shared by every worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[4]


def _load_production(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        {
            "PYTHONPATH": str(CHECKOUT / "src"),
            "YIWANG_SECRET_KEY": "p" * 50,
            "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
            "YIWANG_LICENSE_KEK": "ab" * 16,
            "YIWANG_DEBUG": "0",
            **overrides,
        }
    )
    script = "from yiwang.settings import production as p; print(p.CACHES['default']['BACKEND'])"
    return subprocess.run(  # noqa: S603 (our own interpreter, a fixed script)
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_shared_cache():
    refused = _load_production()
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "Set REDIS_URL" in refused.stderr


def test_production_starts_with_redis_as_the_cache():
    started = _load_production(REDIS_URL="redis://127.0.0.1:6379/0")
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "django_redis.cache.RedisCache"
