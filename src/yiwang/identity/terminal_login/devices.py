"""Which terminal a browser is: a device enrolled once with the key the settings list for its id.

``TERMINAL_KEYS`` (from ``YIWANG_TERMINAL_KEYS="hall-01:key1,hall-02:key2"``) names every terminal and
its enrolment key. Enrolling sets a long-lived cookie signed with the site key holding the terminal id
and a fingerprint of its key: removing the id or changing its key from the settings revokes the device.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core import signing

COOKIE_NAME = "yiwang_terminal"
COOKIE_SALT = "yiwang.identity.terminal"
COOKIE_MAX_AGE = 366 * 24 * 60 * 60


def configured_terminals() -> dict[str, str]:
    return dict(getattr(settings, "TERMINAL_KEYS", {}) or {})


def _fingerprint(key: str) -> str:
    return hashlib.sha256(f"yiwang-terminal:{key}".encode()).hexdigest()[:32]


def key_matches(*, terminal_id: str, key: str) -> bool:
    """Whether ``key`` is the enrolment key of ``terminal_id`` (compared in constant time)."""
    expected = configured_terminals().get(terminal_id)
    if not expected:
        return False
    return hmac.compare_digest(expected.encode(), key.encode())


def cookie_value(*, terminal_id: str) -> str:
    """The signed cookie an enrolled device keeps."""
    key = configured_terminals()[terminal_id]
    return signing.dumps({"t": terminal_id, "k": _fingerprint(key)}, salt=COOKIE_SALT)


def terminal_from_cookie(value: str | None) -> str | None:
    """The terminal id the cookie names, if it is still configured with the same key; else None."""
    if not value:
        return None
    try:
        payload = signing.loads(value, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    terminal_id = payload.get("t") if isinstance(payload, dict) else None
    key = configured_terminals().get(terminal_id or "")
    if not key or not hmac.compare_digest(_fingerprint(key), str(payload.get("k", ""))):
        return None
    return terminal_id
