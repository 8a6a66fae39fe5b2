"""What is signed (the license payload, canonicalized by RFC 8785) and the verification bundle around it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from yiwang.core.crypto import SM2_USER_ID, canonicalize, public_key_to_pem, verify

from .constants import BUNDLE_FORMAT, PAYLOAD_VERSION, SIGNATURE_ALGORITHM


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def build_payload(
    *,
    identifier: str,
    type_code: str,
    type_name: str,
    issuer_code: str,
    issuer_name: str,
    holder_kind: str,
    holder_code: str,
    holder_name: str,
    surface: dict[str, Any],
    issued_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None,
    trust_level: str,
    key_id: str,
) -> dict[str, Any]:
    """The document the issuer signs; status is not in it, since status changes after signing."""
    return {
        "version": PAYLOAD_VERSION,
        "identifier": identifier,
        "type": {"code": type_code, "name": type_name},
        "issuer": {"credit_code": issuer_code, "name": issuer_name},
        "holder": {"kind": holder_kind, "code": holder_code, "name": holder_name},
        "surface": surface,
        "issued_on": _date(issued_on),
        "valid_from": _date(valid_from),
        "valid_until": _date(valid_until),
        "trust_level": trust_level,
        "signature": {"algorithm": SIGNATURE_ALGORITHM, "key_id": key_id, "user_id": SM2_USER_ID.decode()},
    }


def build_bundle(*, payload: dict[str, Any], signature: bytes, public_key: bytes) -> dict[str, Any]:
    """The holder's verification bundle: canonical bytes, DER signature, PEM key: all OpenSSL needs."""
    key_id = payload["signature"]["key_id"]
    return {
        "format": BUNDLE_FORMAT,
        "identifier": payload["identifier"],
        "algorithm": SIGNATURE_ALGORITHM,
        "user_id": SM2_USER_ID.decode(),
        "key_id": key_id,
        "canonical": base64.b64encode(canonicalize(payload)).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key_pem": public_key_to_pem(public_key),
        "key_url": f"{settings.SITE_URL}/api/v1/licenses/keys/{key_id}",
    }


@dataclass(frozen=True)
class OpenedBundle:
    payload: dict[str, Any]
    canonical: bytes
    signature: bytes
    key_id: str
    public_key_pem: str


class MalformedBundle(ValueError):
    """A bundle whose parts cannot be decoded, or whose canonical bytes are not canonical JSON."""


def open_bundle(bundle: dict[str, Any]) -> OpenedBundle:
    """Decode a bundle's parts; the signature is not checked here."""
    if bundle.get("format") != BUNDLE_FORMAT:
        raise MalformedBundle("unknown bundle format")
    try:
        canonical = base64.b64decode(str(bundle["canonical"]), validate=True)
        signature = base64.b64decode(str(bundle["signature"]), validate=True)
        payload = json.loads(canonical.decode("utf-8"))
    except (KeyError, binascii.Error, ValueError, RecursionError) as error:
        raise MalformedBundle(str(error)) from None
    _check_payload_shape(payload)
    try:
        is_canonical = canonicalize(payload) == canonical
    except (ValueError, TypeError, RecursionError):  # numbers outside I-JSON, or absurd nesting
        is_canonical = False
    if not is_canonical:
        raise MalformedBundle("canonical part is not RFC 8785 canonical JSON")
    key_id = str(payload.get("signature", {}).get("key_id", ""))
    return OpenedBundle(payload, canonical, signature, key_id, str(bundle.get("public_key_pem", "")))


_OBJECT_PARTS = ("type", "issuer", "holder", "signature")
_TEXT_PARTS = ("valid_from", "valid_until", "issued_on")


def _check_payload_shape(payload: Any) -> None:
    """Refuse a payload whose parts have the wrong types before anything reads them."""
    if not isinstance(payload, dict):
        raise MalformedBundle("payload is not a JSON object")
    for name in _OBJECT_PARTS:
        if not isinstance(payload.get(name, {}), dict):
            raise MalformedBundle(f"payload.{name} is not an object")
    for name in _TEXT_PARTS:
        if not isinstance(payload.get(name), str | None):
            raise MalformedBundle(f"payload.{name} is not a string")
    if not isinstance(payload.get("holder", {}).get("name", ""), str):
        raise MalformedBundle("payload.holder.name is not a string")


def signature_is_valid(*, canonical: bytes, signature: bytes, public_key: bytes) -> bool:
    return verify(public_key=public_key, message=canonical, signature=signature)
