"""Login throttling beyond django-axes' username+address pairs: per address, and per sprayed password.

Axes locks one username tried from one address. A spray tries one password over many usernames, from
one address or from many; these counters (in the shared cache) slow both. The password is counted by a
keyed hash, never stored.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache

_PREFIX = "login-failures"


def _window_seconds() -> int:
    return int(float(settings.AXES_COOLOFF_TIME) * 3600)


def _keys(*, ip_address: str | None, password: str) -> dict[str, str]:
    digest = hmac.new(settings.SECRET_KEY.encode(), password.encode(), hashlib.sha256).hexdigest()[:32]
    keys = {"password": f"{_PREFIX}:password:{digest}"}
    if ip_address:
        keys["ip"] = f"{_PREFIX}:ip:{ip_address}"
    return keys


def _limits() -> dict[str, int]:
    return {
        "ip": settings.IDENTITY_LOGIN_IP_FAILURE_LIMIT,
        "password": settings.IDENTITY_LOGIN_PASSWORD_FAILURE_LIMIT,
    }


def login_is_throttled(*, ip_address: str | None, password: str) -> bool:
    """Whether this address, or this password, has failed too often within the cool-off window."""
    keys = _keys(ip_address=ip_address, password=password)
    counts = cache.get_many(list(keys.values()))
    limits = _limits()
    return any(counts.get(key, 0) >= limits[kind] for kind, key in keys.items())


def count_login_failure(*, ip_address: str | None, password: str) -> None:
    for key in _keys(ip_address=ip_address, password=password).values():
        cache.add(key, 0, timeout=_window_seconds())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_window_seconds())
