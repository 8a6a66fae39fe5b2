#!/usr/bin/env python3
"""Make a private_key_jwt client assertion (RFC 7523) for the platform's token endpoint, or a key pair.

Needs only the standard library and ``cryptography``. Examples (docs/exchange-clients.md):

    # a new P-256 key pair: the private key to a file (mode 600), the public JWK to stdout for the admin
    python tools/client_assertion.py keygen --out my-system-key.pem [--rsa]

    # an assertion valid for 60 s, printed on one line (use it once: its jti is single-use)
    python tools/client_assertion.py assert --key my-system-key.pem --client-id demo-rsj-benefits \\
        --aud http://127.0.0.1:8000/o/token/ [--kid KID]

The algorithm follows the key: ES256 for a P-256 key, RS256 for an RSA key. Without ``--kid`` the RFC
7638 thumbprint of the public key is used, which is the kid the platform assigns when none is given.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int, length: int | None = None) -> bytes:
    return value.to_bytes(length or (value.bit_length() + 7) // 8, "big")


def public_jwk(private_key) -> dict[str, str]:
    """The public half as a JWK, members as RFC 7638 orders them."""
    numbers = private_key.public_key().public_numbers()
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return {
            "crv": "P-256",
            "kty": "EC",
            "x": b64url(_int_bytes(numbers.x, 32)),
            "y": b64url(_int_bytes(numbers.y, 32)),
        }
    return {"e": b64url(_int_bytes(numbers.e)), "kty": "RSA", "n": b64url(_int_bytes(numbers.n))}


def thumbprint(jwk: dict[str, str]) -> str:
    required = ("crv", "kty", "x", "y") if jwk["kty"] == "EC" else ("e", "kty", "n")
    canonical = json.dumps({name: jwk[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def load_private_key(path: Path):
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    if isinstance(key, rsa.RSAPrivateKey):
        return key
    raise SystemExit("the key must be a P-256 (ES256) or RSA (RS256) private key")


def sign_jwt(private_key, header: dict, claims: dict) -> str:
    """A compact JWS of ``claims``; ES256 signatures are r || s (64 bytes) as JOSE wants, not DER."""
    signing_input = ".".join(
        b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
    ).encode("ascii")
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = _int_bytes(r, 32) + _int_bytes(s, 32)
    else:
        signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input.decode("ascii") + "." + b64url(signature)


def make_assertion(
    private_key, *, client_id: str, audience: str, kid: str | None = None, lifetime: int = 60
) -> str:
    """A signed JWT with iss = sub = client_id, aud, iat, exp = iat + lifetime and a fresh jti."""
    algorithm = "ES256" if isinstance(private_key, ec.EllipticCurvePrivateKey) else "RS256"
    now = int(time.time())
    header = {"alg": algorithm, "typ": "JWT", "kid": kid or thumbprint(public_jwk(private_key))}
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": uuid.uuid4().hex,
    }
    return sign_jwt(private_key, header, claims)


def keygen(out: Path, *, use_rsa: bool) -> dict[str, str]:
    """Write a new private key (PKCS#8 PEM, mode 600) and return the public JWK with its kid."""
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if use_rsa
        else ec.generate_private_key(ec.SECP256R1())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    jwk = public_jwk(key)
    return {**jwk, "kid": thumbprint(jwk), "alg": "ES256" if not use_rsa else "RS256", "use": "sig"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("keygen", help="write a new private key; print the public JWK")
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--rsa", action="store_true", help="RSA 2048 (RS256) instead of P-256 (ES256)")
    sign = commands.add_parser("assert", help="print a client assertion")
    sign.add_argument("--key", type=Path, required=True, help="PEM private key")
    sign.add_argument("--client-id", required=True)
    sign.add_argument("--aud", required=True, help="the token endpoint, e.g. http://127.0.0.1:8000/o/token/")
    sign.add_argument("--kid", help="the registered key id (default: the key's RFC 7638 thumbprint)")
    sign.add_argument("--lifetime", type=int, default=60, help="seconds until exp (the platform takes ≤ 300)")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        print(json.dumps(keygen(args.out, use_rsa=args.rsa), ensure_ascii=False))
    else:
        key = load_private_key(args.key)
        print(
            make_assertion(
                key, client_id=args.client_id, audience=args.aud, kid=args.kid, lifetime=args.lifetime
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
