"""The OIDC signing key: from the environment, or a development key generated once under var/.

Imported by settings, so it must not touch Django models.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def load_oidc_private_key(*, var_dir: Path) -> str:
    """PEM of the RSA key that signs id_tokens (YIWANG_OIDC_RSA_PRIVATE_KEY, or a file, or a new dev key)."""
    pem = os.environ.get("YIWANG_OIDC_RSA_PRIVATE_KEY", "").strip()
    if pem:
        return pem.replace("\\n", "\n")
    path = Path(os.environ.get("YIWANG_OIDC_KEY_FILE", var_dir / "oidc-dev-key.pem"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        data = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)  # atomic: parallel workers never read half a key
    return path.read_text()
