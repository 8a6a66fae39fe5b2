"""The platform's signature on every exchange answer: SM2 with SM3 over the payload's RFC 8785 bytes.

A consumer keeps the signed answer to prove what it received; OpenSSL checks it with the published key
(``openssl dgst -sm3 -verify exchange.pem -signature answer.sig -sigopt distid:1234567812345678``).
"""

from __future__ import annotations

import base64
from typing import Any

from yiwang.core.crypto import public_key_to_pem
from yiwang.core.crypto.canonical import canonicalize
from yiwang.core.signing import get_backend
from yiwang.core.signing.platform_keys import active_platform_key

from .models import ExchangeKey

ALGORITHM = "SM2-SM3"
DISTINGUISHING_ID = "1234567812345678"


def exchange_key() -> ExchangeKey:
    """The active key that signs exchange answers."""
    return active_platform_key(ExchangeKey, label="exchange")


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
