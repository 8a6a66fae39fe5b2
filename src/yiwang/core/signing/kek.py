"""The key-encryption key (KEK) that seals private keys at rest with SM4-GCM.

Production sets ``YIWANG_LICENSE_KEK`` (32 hex characters; the name is historical: it seals the audit log's
key too). Development falls back to a key file under var/ that is generated once with mode 0600. The KEK
itself is never logged or stored in the database.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yiwang.core.crypto.sm4 import KEY_SIZE


def _parse(text: str, *, source: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{source} is not hex") from None
    if len(key) != KEY_SIZE:
        raise ImproperlyConfigured(f"{source} must be {KEY_SIZE * 2} hex characters (an SM4 key)")
    return key


def _from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(os.urandom(KEY_SIZE).hex())
    return _parse(path.read_text(), source=str(path))


@lru_cache(maxsize=4)
def _load(env_value: str, file_path: str, allow_file: bool) -> bytes:
    if env_value:
        return _parse(env_value, source="YIWANG_LICENSE_KEK")
    if not allow_file:
        raise ImproperlyConfigured("YIWANG_LICENSE_KEK must be set: no development key file in production")
    return _from_file(Path(file_path))


def key_encryption_key() -> bytes:
    """The SM4 KEK from the environment, or (development only) from the generated key file."""
    return _load(
        settings.LICENSE_KEK,
        str(settings.LICENSE_KEK_FILE),
        bool(getattr(settings, "LICENSE_KEK_FILE_ALLOWED", True)),
    )
