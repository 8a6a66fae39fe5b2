"""SM3 hashes (GB/T 32905) through ``cryptography``."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes


def sm3_digest(data: bytes) -> bytes:
    """The 32-byte SM3 digest of ``data``."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes) -> str:
    """The SM3 digest of ``data`` as 64 lower-case hex characters."""
    return sm3_digest(data).hex()
