"""The demo's private_key_jwt system: one of the exchange's demo systems gets a key pair to try RFC 7523 with.

The private key is generated once per machine under ``var/demo-keys/`` (never committed) and its public half
is registered for the system, which is then switched to private_key_jwt: its client secret stops working.
``tools/client_assertion.py assert --key var/demo-keys/demo-rsj-benefits.pem …`` makes an assertion.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from oauth2_provider.models import Application

from ..constants import TokenAuthMethod
from ..models import ClientKey
from ..services import register_client_key, set_token_auth_method
from .jose import parse_public_key

DEMO_JWT_CLIENT_ID = "demo-rsj-benefits"


def demo_key_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-keys" / f"{DEMO_JWT_CLIENT_ID}.pem"


def _private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(pem)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not a P-256 private key")
    return loaded


@transaction.atomic
def ensure_demo_client_key() -> str:
    """Register the demo key for the demo system (idempotent); a no-op before the exchange demo exists."""
    application = Application.objects.filter(client_id=DEMO_JWT_CLIENT_ID).first()
    if application is None:
        return f"{DEMO_JWT_CLIENT_ID} not found (load the exchange demo first)"
    path = demo_key_path()
    public_pem = (
        _private_key(path)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    parsed = parse_public_key(public_pem)
    key = ClientKey.objects.filter(
        application=application, thumbprint=parsed.thumbprint, revoked_at__isnull=True
    ).first()
    if key is None:
        key = register_client_key(application=application, public_key=public_pem, registered_by=None)
    set_token_auth_method(application=application, method=TokenAuthMethod.PRIVATE_KEY_JWT, changed_by=None)
    return f"{DEMO_JWT_CLIENT_ID}: private_key_jwt, kid {key.kid}, private key {path}"


def demo_client_key_lines(*, site_url: str | None = None) -> list[str]:
    """What the banner says about trying private_key_jwt with the demo system."""
    site_url = (site_url or settings.SITE_URL).rstrip("/")
    path = demo_key_path()
    return [
        f"{DEMO_JWT_CLIENT_ID} authenticates with private_key_jwt (its client secret is refused);",
        f"  private key {path}  (docs/exchange-clients.md)",
        f"  .venv/bin/python tools/client_assertion.py assert --key {path} --client-id {DEMO_JWT_CLIENT_ID} "
        f"--aud {site_url}/o/token/",
        f"  then POST {site_url}/o/token/ grant_type=client_credentials scope=exchange "
        "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer "
        "client_assertion=<the assertion, used once>",
    ]
