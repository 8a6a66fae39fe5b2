"""The webhook body and its signature: RFC 8785 canonical JSON, signed with the platform's SM2 key.

The body is the canonical JSON of ``{"event_id", "topic", "occurred_at", "payload"}``, the same bytes on
every attempt; the signature (DER, base64 in ``Yiwang-Signature``) covers exactly those bytes, so the
event id, topic and time a receiver deduplicates and orders by are signed, not only the payload.
``openssl dgst -sm3 -verify webhook-key.pem -signature body.sig -sigopt distid:1234567812345678 body.json``
checks it (docs/notifications.md).
"""

from __future__ import annotations

import base64
import datetime as dt

from yiwang.core.crypto import canonicalize, public_key_to_pem, verify
from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key

from .models import OutboxEvent, WebhookKey


def platform_key() -> WebhookKey:
    """The active key that signs webhook bodies."""
    return active_platform_key(WebhookKey, label="webhooks")


def timestamp(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds, as the body and the Yiwang-Timestamp header carry it."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def body_of(event: OutboxEvent) -> bytes:
    """The bytes POSTed for ``event``: canonical JSON, identical on every attempt and every endpoint."""
    return canonicalize(
        {
            "event_id": str(event.event_id),
            "topic": event.topic,
            "occurred_at": timestamp(event.occurred_at),
            "payload": event.payload,
        }
    )


def sign_body(body: bytes, *, key: WebhookKey) -> str:
    """The base64 DER SM2-with-SM3 signature of ``body`` (user id 1234567812345678)."""
    return base64.b64encode(get_backend(key.backend).sign(key=key, message=body)).decode("ascii")


def verify_body(body: bytes, *, signature: str, public_key_hex: str) -> bool:
    """What a Python receiver does: check the signature of the bytes it received against the public key."""
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key = bytes.fromhex(public_key_hex)
    except ValueError:
        return False
    return verify(public_key=public_key, message=body, signature=raw)


def public_key_pem(key: WebhookKey) -> str:
    return public_key_to_pem(bytes.fromhex(key.public_key))
