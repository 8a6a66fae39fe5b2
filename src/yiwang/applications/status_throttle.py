"""Guessing a case's query code is slowed like the login (identity.login_throttle): failures are counted
per address and per case number in the shared cache, and past the limit the query refuses for the
cool-off window. The page (views.public) and the API (api: /applications/status) count the same failures.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

_PREFIX = "case-query-failures"
DEFAULT_IP_LIMIT = 20
DEFAULT_NUMBER_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 15 * 60


def window_seconds() -> int:
    return int(getattr(settings, "APPLICATIONS_QUERY_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))


def _keys(ip_address: str | None, number: str) -> dict[str, str]:
    keys = {"number": f"{_PREFIX}:number:{number}"}
    if ip_address:
        keys["ip"] = f"{_PREFIX}:ip:{ip_address}"
    return keys


def _limits() -> dict[str, int]:
    return {
        "ip": int(getattr(settings, "APPLICATIONS_QUERY_IP_FAILURE_LIMIT", DEFAULT_IP_LIMIT)),
        "number": int(getattr(settings, "APPLICATIONS_QUERY_NUMBER_FAILURE_LIMIT", DEFAULT_NUMBER_LIMIT)),
    }


def is_throttled(*, ip_address: str | None, number: str) -> bool:
    """Whether this address, or this case number, failed too often within the window."""
    keys = _keys(ip_address, number)
    counts = cache.get_many(list(keys.values()))
    limits = _limits()
    return any(counts.get(key, 0) >= limits[kind] for kind, key in keys.items())


def count_failure(*, ip_address: str | None, number: str) -> None:
    for key in _keys(ip_address, number).values():
        cache.add(key, 0, timeout=window_seconds())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window_seconds())
