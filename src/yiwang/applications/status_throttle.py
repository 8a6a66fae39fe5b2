"""Guessing a case's query code is slowed like the login (identity.login_throttle): failures are counted
per address and per case number in the shared cache (core.throttle), and past the limit the query refuses
for the cool-off window. The page (views.public) and the API (api: /applications/status) count the same
failures.
"""

from __future__ import annotations

from django.conf import settings

from yiwang.core.throttle import FailureThrottle

_PREFIX = "case-query-failures"
DEFAULT_IP_LIMIT = 20
DEFAULT_NUMBER_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 15 * 60


def window_seconds() -> int:
    return int(getattr(settings, "APPLICATIONS_QUERY_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))


def _throttle() -> FailureThrottle:
    # Read on each call: the limits are settings tests and deployments change.
    return FailureThrottle(
        prefix=_PREFIX,
        ip_limit=int(getattr(settings, "APPLICATIONS_QUERY_IP_FAILURE_LIMIT", DEFAULT_IP_LIMIT)),
        key_limit=int(getattr(settings, "APPLICATIONS_QUERY_NUMBER_FAILURE_LIMIT", DEFAULT_NUMBER_LIMIT)),
        window_seconds=window_seconds(),
    )


def is_throttled(*, ip_address: str | None, number: str) -> bool:
    """Whether this address, or this case number, failed too often within the window."""
    return _throttle().is_throttled(ip_address=ip_address, key=number)


def count_failure(*, ip_address: str | None, number: str) -> None:
    _throttle().count_failure(ip_address=ip_address, key=number)
