"""Replaying the answer to a submission repeated with the same Idempotency-Key.

The case is made once by ``services.cases.submit`` (idempotent by applicant and key, durable in the
database). The first answer carries the query code, which is shown once and kept only as a hash; so
that a client who lost that answer gets it whole, the answer is kept in the cache for a day and a
replay within that day returns it unchanged. After that (or if the cache lost it) a replay answers the
case as it stands, without the query code (the applicant can still reset it). A replay whose body differs
from the first request's is refused (``idempotency_key_reused``) instead of answered with another case.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder

from yiwang.core.errors import Conflict, InvalidInput

CACHE_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 100
_PREFIX = "applications:submission"


def clean_key(key: str | None) -> str:
    """The Idempotency-Key header, required on the API: 1–100 printable ASCII characters."""
    value = (key or "").strip()
    if not value:
        raise InvalidInput(
            "请在请求头 Idempotency-Key 中提供幂等键（同一申请重试时使用同一个值）",
            code="idempotency_key_required",
        )
    if len(value) > MAX_KEY_LENGTH or not all(" " < char < "\x7f" for char in value):
        raise InvalidInput(
            f"幂等键须为 1–{MAX_KEY_LENGTH} 个可打印 ASCII 字符", code="invalid_idempotency_key"
        )
    return value


def fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _cache_key(actor: Any, key: str) -> str:
    return f"{_PREFIX}:{actor.public_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def replayed(*, actor: Any, key: str, request_fingerprint: str) -> dict[str, Any] | None:
    """The first answer to this key, if kept; refused if this request's body is not the first one's."""
    kept = cache.get(_cache_key(actor, key))
    if not kept:
        return None
    if kept["fingerprint"] != request_fingerprint:
        raise Conflict(
            "该幂等键已用于另一份申请内容", code="idempotency_key_reused", number=kept["body"]["number"]
        )
    return kept["body"]


def keep(*, actor: Any, key: str, request_fingerprint: str, body: dict[str, Any]) -> None:
    plain = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    cache.set(_cache_key(actor, key), {"fingerprint": request_fingerprint, "body": plain}, CACHE_SECONDS)
