"""The platform's signature on every exchange answer: SM2 with SM3 over the payload's RFC 8785 bytes.

A consumer keeps the signed answer to prove what it received; OpenSSL checks it with the published key
(``openssl dgst -sm3 -verify exchange.pem -signature answer.sig -sigopt distid:1234567812345678``).

The active key is kept per process for ``EXCHANGE_KEY_CACHE_SECONDS`` (30 s by default, at most 60), so
a call does not look it up each time: after a key is retired (``is_active`` off, a new one made), each
worker may still sign with the retired key for up to that long. Consumers verify with the key the
signature names (``key_id``), so answers signed in that window stay checkable as long as the retired
key is published; a retired key's answers are no less authentic, only older. Tokens and grants are
never cached: a revocation takes effect on the next call.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

from django.conf import settings

from yiwang.core.crypto import public_key_to_pem
from yiwang.core.crypto.canonical import canonicalize
from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key

from .models import ExchangeKey

ALGORITHM = "SM2-SM3"
DISTINGUISHING_ID = "1234567812345678"


DEFAULT_KEY_CACHE_SECONDS = 30
MAX_KEY_CACHE_SECONDS = 60
_cached: tuple[ExchangeKey, float] | None = None  # the key and when (time.monotonic) it was looked up
_lock = threading.Lock()


def key_cache_seconds() -> float:
    """How long a process keeps the active key (``EXCHANGE_KEY_CACHE_SECONDS``, 0 … 60; 0: no cache)."""
    seconds = getattr(settings, "EXCHANGE_KEY_CACHE_SECONDS", DEFAULT_KEY_CACHE_SECONDS)
    return max(0.0, min(float(seconds), MAX_KEY_CACHE_SECONDS))


def forget_exchange_key() -> None:
    """Drop this process's kept key (the next answer looks the active one up)."""
    global _cached
    _cached = None


def exchange_key() -> ExchangeKey:
    """The active key that signs exchange answers, kept per process for ``key_cache_seconds()``."""
    global _cached
    ttl = key_cache_seconds()
    now = time.monotonic()
    cached = _cached
    if ttl and cached is not None and now - cached[1] < ttl:
        return cached[0]
    with _lock:
        key = active_platform_key(ExchangeKey, label="exchange")
        _cached = (key, now) if ttl else None
    return key


def signed(payload: dict[str, Any]) -> dict[str, Any]:
    """The envelope every exchange answer is: the payload and the platform's signature over its JCS bytes."""
    key = exchange_key()
    signature = get_backend(key.backend).sign(key=key, message=canonicalize(payload))
    return {
        "payload": payload,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key.key_id,
            "distid": DISTINGUISHING_ID,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def published_key() -> dict[str, str]:
    """The public half consumers verify with (PEM), its id and how to use it."""
    key = exchange_key()
    return {
        "key_id": key.key_id,
        "algorithm": ALGORITHM,
        "distid": DISTINGUISHING_ID,
        "public_key_pem": public_key_to_pem(bytes.fromhex(key.public_key)),
    }
