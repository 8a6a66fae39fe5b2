"""The little JOSE a token endpoint needs: a client's public key (JWK or PEM), a compact JWS checked with it.

Only ES256 (P-256) and RS256 (RSA ≥ 2048 bits). The algorithm always comes from the registered key, never
from the token's header: a header saying "none", HS256 (the public key used as an HMAC secret) or another
algorithm than the key's is refused before any signature is computed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ES256 = "ES256"
RS256 = "RS256"
ALGORITHMS = (ES256, RS256)
MIN_RSA_BITS = 2048
# An assertion is a few hundred bytes; anything much larger is not one (and is not parsed).
MAX_TOKEN_LENGTH = 8192


class JoseError(ValueError):
    """A key or token that cannot be used; the message says why (for logs and the admin form)."""


@dataclass(frozen=True)
class PublicKey:
    """A registered verification key: its algorithm, RFC 7638 thumbprint and public JWK."""

    algorithm: str
    thumbprint: str
    jwk: dict[str, str]
    key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise JoseError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise JoseError("not base64url") from error


def _int_bytes(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or max(1, (value.bit_length() + 7) // 8), "big")


def _jwk_of(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> tuple[str, dict[str, str]]:
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise JoseError("only P-256 elliptic-curve keys (ES256) are accepted")
        numbers = key.public_numbers()
        return ES256, {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(_int_bytes(numbers.x, 32)),
            "y": b64url_encode(_int_bytes(numbers.y, 32)),
        }
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise JoseError(f"RSA keys must have at least {MIN_RSA_BITS} bits")
        numbers = key.public_numbers()
        return RS256, {
            "kty": "RSA",
            "n": b64url_encode(_int_bytes(numbers.n)),
            "e": b64url_encode(_int_bytes(numbers.e)),
        }
    raise JoseError("only P-256 (ES256) and RSA (RS256) public keys are accepted")


def _key_from_jwk(data: dict[str, Any]) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    if "d" in data or "p" in data:
        raise JoseError("this is a private key: register the public key only")
    kty = data.get("kty")
    try:
        if kty == "EC":
            if data.get("crv") != "P-256":
                raise JoseError("only P-256 elliptic-curve keys (ES256) are accepted")
            x = int.from_bytes(b64url_decode(data["x"]), "big")
            y = int.from_bytes(b64url_decode(data["y"]), "big")
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        if kty == "RSA":
            n = int.from_bytes(b64url_decode(data["n"]), "big")
            e = int.from_bytes(b64url_decode(data["e"]), "big")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, TypeError) as error:
        raise JoseError("the JWK lacks a member of its key type") from error
    except ValueError as error:  # a point off the curve, an invalid modulus
        raise JoseError(f"invalid key: {error}") from error
    raise JoseError("only EC (P-256) and RSA keys are accepted")


def parse_public_key(text: str) -> PublicKey:
    """A public key given as a JWK (JSON) or a PEM ``PUBLIC KEY``; its algorithm follows from its type."""
    text = (text or "").strip()
    if not text:
        raise JoseError("no key given")
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as error:
            raise JoseError("the JWK is not valid JSON") from error
        if not isinstance(data, dict):
            raise JoseError("the JWK must be a JSON object")
        declared = data.get("alg")
        key = _key_from_jwk(data)
    elif "PRIVATE KEY" in text:
        raise JoseError("this is a private key: register the public key only")
    else:
        declared = None
        try:
            loaded = serialization.load_pem_public_key(text.encode("ascii", "replace"))
        except (ValueError, TypeError) as error:
            raise JoseError("not a PEM public key") from error
        if not isinstance(loaded, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise JoseError("only P-256 (ES256) and RSA (RS256) public keys are accepted")
        key = loaded
    algorithm, jwk = _jwk_of(key)
    if declared is not None and declared != algorithm:
        raise JoseError(f"the JWK says alg {declared!r} but the key is for {algorithm}")
    return PublicKey(algorithm=algorithm, thumbprint=thumbprint(jwk), jwk=jwk, key=key)


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members in lexical order, without whitespace."""
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


@dataclass(frozen=True)
class UnverifiedToken:
    """A compact JWS split and decoded, its signature not yet checked."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def split_token(token: str) -> UnverifiedToken:
    """Decode a compact JWS's header and claims (to find the client and key); raises JoseError."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise JoseError("not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise JoseError("not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError) as error:
        raise JoseError("the header or claims are not JSON") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JoseError("the header and claims must be JSON objects")
    if "crit" in header:
        raise JoseError("critical header extensions are not supported")
    return UnverifiedToken(
        header=header,
        claims=claims,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=b64url_decode(parts[2]),
    )


def verify_signature(token: UnverifiedToken, key: PublicKey) -> None:
    """Check the token's signature with ``key`` under the key's own algorithm; raises JoseError."""
    if token.header.get("alg") != key.algorithm:
        raise JoseError(f"header alg {token.header.get('alg')!r} is not the key's {key.algorithm}")
    try:
        if isinstance(key.key, ec.EllipticCurvePublicKey):
            if len(token.signature) != 64:
                raise JoseError("an ES256 signature is 64 bytes (r || s)")
            r = int.from_bytes(token.signature[:32], "big")
            s = int.from_bytes(token.signature[32:], "big")
            key.key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(hashes.SHA256()))
        else:
            key.key.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise JoseError("bad signature") from error
