"""SM2 signature verification by the system's OpenSSL 3 (libcrypto), about 1.8x gmssl_pyx's speed.

It is the implementation docs/license-verification.md tells verifiers to use (``openssl dgst -sm3
-verify``), called through ``ctypes``: the parsed public key (an ``EVP_PKEY``) is kept per public key
value, so a verification costs one digest-verify. ``verifier()`` is ``None`` where libcrypto 3 with
SM2 cannot be loaded, or when ``YIWANG_SM2_OPENSSL=0``; ``sm2.verify`` then uses gmssl_pyx. Both give
the same answers (``core/tests/test_sm2_openssl.py``: official vectors, random keys and messages,
tampered messages, signatures, keys and user ids, malformed input).
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections import OrderedDict
from collections.abc import Callable

_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d03420004")
_KEYS_KEPT = 4096  # parsed keys kept per process (a key is ~1 KB in libcrypto)

Verifier = Callable[[bytes, bytes, bytes, bytes], bool]


class _Key:
    """One parsed public key; freed in libcrypto when the last reference goes."""

    __slots__ = ("_free", "pointer")

    def __init__(self, pointer: int, free) -> None:
        self.pointer, self._free = pointer, free

    def __del__(self) -> None:
        if self.pointer:
            self._free(self.pointer)
            self.pointer = 0


def _load_library():
    library = ctypes.CDLL("libcrypto.so.3")
    void, integer, size = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t
    library.OpenSSL_version_num.restype = ctypes.c_ulong
    if library.OpenSSL_version_num() < 0x30000000:
        raise OSError("OpenSSL 3 is needed for SM2 with a user id")
    library.d2i_PUBKEY.restype = void
    library.d2i_PUBKEY.argtypes = [void, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
    library.EVP_PKEY_free.argtypes = [void]
    library.EVP_MD_CTX_new.restype = void
    library.EVP_MD_CTX_free.argtypes = [void]
    library.EVP_PKEY_CTX_new.restype = void
    library.EVP_PKEY_CTX_new.argtypes = [void, void]
    library.EVP_PKEY_CTX_free.argtypes = [void]
    library.EVP_PKEY_CTX_set1_id.argtypes = [void, ctypes.c_char_p, integer]
    library.EVP_MD_CTX_set_pkey_ctx.argtypes = [void, void]
    library.EVP_sm3.restype = void
    library.EVP_DigestVerifyInit.argtypes = [void, void, void, void, void]
    library.EVP_DigestVerify.argtypes = [void, ctypes.c_char_p, size, ctypes.c_char_p, size]
    library.ERR_clear_error.argtypes = []
    if not library.EVP_sm3():
        raise OSError("this libcrypto has no SM3")
    return library


def _make_verifier(library) -> Verifier:
    sm3 = library.EVP_sm3()
    keys: OrderedDict[bytes, _Key | None] = OrderedDict()
    lock = threading.Lock()

    def parsed(public_key: bytes) -> _Key | None:
        with lock:
            key = keys.get(public_key, False)
            if key is not False:
                keys.move_to_end(public_key)
                return key
        der = _SPKI_PREFIX + public_key
        cursor = ctypes.c_char_p(der)
        pointer = library.d2i_PUBKEY(None, ctypes.byref(cursor), len(der))
        library.ERR_clear_error()
        key = _Key(pointer, library.EVP_PKEY_free) if pointer else None  # None: not a point of the curve
        with lock:
            keys[public_key] = key
            while len(keys) > _KEYS_KEPT:
                keys.popitem(last=False)
        return key

    def verify(public_key: bytes, message: bytes, signature: bytes, user_id: bytes) -> bool:
        key = parsed(public_key)
        if key is None:
            return False
        digest_context = library.EVP_MD_CTX_new()
        key_context = library.EVP_PKEY_CTX_new(key.pointer, None)
        try:
            if not digest_context or not key_context:
                raise MemoryError("libcrypto could not allocate a context")
            if library.EVP_PKEY_CTX_set1_id(key_context, user_id, len(user_id)) != 1:
                raise OSError("libcrypto refused the SM2 user id")
            library.EVP_MD_CTX_set_pkey_ctx(digest_context, key_context)
            if library.EVP_DigestVerifyInit(digest_context, None, sm3, None, key.pointer) != 1:
                raise OSError("libcrypto could not start an SM2 verification")
            outcome = library.EVP_DigestVerify(
                digest_context, signature, len(signature), message, len(message)
            )
            return outcome == 1  # 0: a wrong signature; < 0: a malformed one
        finally:
            library.ERR_clear_error()
            library.EVP_MD_CTX_free(digest_context)  # does not free a context set by set_pkey_ctx
            library.EVP_PKEY_CTX_free(key_context)

    return verify


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # a leading 0x00 keeps it positive
    return b"\x02" + bytes([len(body)]) + body


# GB/T 32918.5-2016 Annex A (the vector of core/tests/data/sm2_sm3_sm4_vectors.json): key, r, s.
_ANNEX_KEY = bytes.fromhex(
    "09f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
    "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13"
)
_ANNEX_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
_ANNEX_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA


def _self_checked(verify: Verifier) -> Verifier:
    """Refuse a libcrypto whose SM2 fails the Annex A signature or accepts it for another message."""
    body = _der_integer(_ANNEX_R) + _der_integer(_ANNEX_S)
    signature = b"\x30" + bytes([len(body)]) + body
    user_id, message = b"1234567812345678", b"message digest"
    if not verify(_ANNEX_KEY, message, signature, user_id) or verify(
        _ANNEX_KEY, message + b"!", signature, user_id
    ):
        raise OSError("libcrypto's SM2 disagrees with GB/T 32918.5 Annex A")
    return verify


def _build() -> Verifier | None:
    if os.environ.get("YIWANG_SM2_OPENSSL", "1") == "0":
        return None
    try:
        return _self_checked(_make_verifier(_load_library()))
    except (OSError, AttributeError):  # no libcrypto 3, no SM2/SM3 in it, or a missing symbol
        return None


_VERIFIER = _build()


def verifier() -> Verifier | None:
    """OpenSSL's SM2 verification ``(public_key, message, signature, user_id) -> bool``, or None."""
    return _VERIFIER
