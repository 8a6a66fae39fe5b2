"""SM4 (GB/T 32907) through ``cryptography``: authenticated encryption for key material at rest."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KEY_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16


class DecryptionFailed(Exception):
    """The ciphertext was altered, or the key is not the one it was encrypted with."""


def _check_key(key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError("SM4 keys are 16 bytes")


def encrypt_gcm(key: bytes, plaintext: bytes, *, associated_data: bytes = b"") -> bytes:
    """Encrypt with SM4-GCM; returns nonce (12) + ciphertext + tag (16)."""
    _check_key(key)
    nonce = os.urandom(NONCE_SIZE)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated_data)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return nonce + ciphertext + encryptor.tag


def decrypt_gcm(key: bytes, sealed: bytes, *, associated_data: bytes = b"") -> bytes:
    """Decrypt what ``encrypt_gcm`` produced; raise DecryptionFailed if anything was altered."""
    _check_key(key)
    if len(sealed) < NONCE_SIZE + TAG_SIZE:
        raise DecryptionFailed("sealed value too short")
    nonce, body, tag = sealed[:NONCE_SIZE], sealed[NONCE_SIZE:-TAG_SIZE], sealed[-TAG_SIZE:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated_data)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise DecryptionFailed("SM4-GCM authentication failed") from None
