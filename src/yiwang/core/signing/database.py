"""The database backend: private keys sealed with SM4-GCM under the KEK, bound to their key id."""

from __future__ import annotations

from yiwang.core.crypto import generate_keypair, public_key_fingerprint, sign
from yiwang.core.crypto.sm4 import decrypt_gcm, encrypt_gcm

from .base import KeyRecord, NewKey, SigningBackend
from .kek import key_encryption_key
from .registry import register


def _associated_data(public_key: bytes) -> bytes:
    # A sealed key only opens for the public key it was made with: rows cannot be swapped.
    return public_key_fingerprint(public_key).encode("ascii")


@register("database")
class DatabaseBackend(SigningBackend):
    """Keys live in their key row (SigningKey, AuditKey), encrypted; for one node or a replicated database."""

    def create_key(self, *, label: str) -> NewKey:
        keypair = generate_keypair()
        sealed = encrypt_gcm(
            key_encryption_key(), keypair.private_key, associated_data=_associated_data(keypair.public_key)
        )
        return NewKey(public_key=keypair.public_key, sealed_private_key=sealed)

    def sign(self, *, key: KeyRecord, message: bytes) -> bytes:
        public_key = bytes.fromhex(key.public_key)
        private_key = decrypt_gcm(
            key_encryption_key(), bytes(key.sealed_private_key), associated_data=_associated_data(public_key)
        )
        return sign(private_key=private_key, public_key=public_key, message=message)
