"""National cryptography (GB/T 39786): SM2 signatures, SM3 hashes, SM4 encryption, canonical JSON.

SM2 runs on gmssl_pyx (C, constant-time nonce from the OS), its verification on the system's OpenSSL 3
when there (same answers, ~1.8x faster: ``sm2_openssl``); SM3 and SM4 on ``cryptography`` (OpenSSL).
The pure-Python ``gmssl`` package is never used: it draws its nonce from ``random``.
"""

from .canonical import canonicalize
from .sm2 import (
    SM2_USER_ID,
    Sm2KeyPair,
    generate_keypair,
    public_key_fingerprint,
    public_key_from_pem,
    public_key_to_pem,
    sign,
    verify,
)
from .sm3 import sm3_digest, sm3_hex
from .sm4 import decrypt_gcm, encrypt_gcm

__all__ = [
    "SM2_USER_ID",
    "Sm2KeyPair",
    "canonicalize",
    "decrypt_gcm",
    "encrypt_gcm",
    "generate_keypair",
    "public_key_fingerprint",
    "public_key_from_pem",
    "public_key_to_pem",
    "sign",
    "sm3_digest",
    "sm3_hex",
    "verify",
]
