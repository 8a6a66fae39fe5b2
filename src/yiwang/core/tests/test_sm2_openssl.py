"""OpenSSL 3's SM2 verification (core.crypto.sm2_openssl) answers exactly as gmssl_pyx's did (issue 13).

``sm2.verify`` switched to it for speed; every signature the platform ever made was checked by gmssl_pyx,
so each case below asks both and wants the same answer, valid or not.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys

import gmssl_pyx
import pytest

from yiwang.core.crypto import SM2_USER_ID, generate_keypair, sign, verify
from yiwang.core.crypto.sm2 import _gmssl_verify
from yiwang.core.crypto.sm2_openssl import verifier

from .test_crypto import VECTORS, _der_signature

# `make system-deps` installs OpenSSL 3 (libcrypto with SM2); without it these tests fail, never skip.
openssl = verifier()


def test_openssl_3_verifies_sm2_here():
    assert openssl is not None, "no OpenSSL 3 libcrypto with SM2: run make system-deps"


def _both(public_key: bytes, message: bytes, signature: bytes, user_id: bytes = SM2_USER_ID) -> bool:
    assert openssl is not None, "no OpenSSL 3 libcrypto with SM2: run make system-deps"
    theirs = _gmssl_verify(public_key=public_key, message=message, signature=signature, user_id=user_id)
    ours = openssl(public_key, message, signature, user_id)
    assert ours == theirs, (public_key.hex(), message, signature.hex(), user_id)
    return ours


def test_the_platform_verify_uses_openssl_here():
    from yiwang.core.crypto import sm2

    assert sm2._FAST_VERIFY is openssl


@pytest.mark.parametrize("vector", VECTORS["sm2_sign"], ids=lambda v: v["ref"])
def test_the_official_vector_verifies_in_both(vector):
    public_key = bytes.fromhex(vector["public_key_x"] + vector["public_key_y"])
    message, user_id = vector["message_ascii"].encode(), vector["user_id"].encode()
    signature = _der_signature(vector["r"], vector["s"])
    assert _both(public_key, message, signature, user_id)
    assert not _both(public_key, message, signature, b"1234567812345679")  # Z binds the user id
    bad_r = f"{int(vector['r'], 16) ^ 1:064x}"
    assert not _both(public_key, message, _der_signature(bad_r, vector["s"]), user_id)


def test_random_keys_messages_and_every_tampering_agree():
    # given 60 keys, each signing a message of its own length (the platform's signatures come from sign())
    chance = random.Random(13)  # test data, not keys
    for round_number in range(60):
        keys = generate_keypair()
        message = chance.randbytes(round_number * 17)
        signature = sign(private_key=keys.private_key, public_key=keys.public_key, message=message)
        # then both accept it, and both refuse it with a flipped message bit, signature byte or key
        assert _both(keys.public_key, message, signature)
        assert gmssl_pyx.sm2_verify(keys.public_key, message, signature, signer_id=SM2_USER_ID)
        if message:
            flipped = bytearray(message)
            flipped[chance.randrange(len(message))] ^= 1 << chance.randrange(8)
            assert not _both(keys.public_key, bytes(flipped), signature)
        position = chance.randrange(len(signature))
        for change in (1, 0x80):
            broken = bytearray(signature)
            broken[position] ^= change
            assert not _both(keys.public_key, message, bytes(broken))
        assert not _both(generate_keypair().public_key, message, signature)


@pytest.mark.parametrize(
    "signature",
    [
        b"\x30",
        b"\x30\x00",
        b"not a signature at all",
        b"\x30\x06\x02\x01\x00\x02\x01\x00",  # r = s = 0
        bytes(72),
    ],
)
def test_malformed_signatures_are_refused_by_both(signature):
    keys = generate_keypair()
    assert not _both(keys.public_key, b"x", signature)


def test_a_signature_with_bytes_after_its_der_is_refused_by_openssl():
    # gmssl_pyx's answer is kept in the assertion so a change of either is seen
    keys = generate_keypair()
    signature = sign(private_key=keys.private_key, public_key=keys.public_key, message=b"x")
    theirs = _gmssl_verify(
        public_key=keys.public_key, message=b"x", signature=signature + b"\x00", user_id=SM2_USER_ID
    )
    assert not openssl(keys.public_key, b"x", signature + b"\x00", SM2_USER_ID)
    assert not theirs


def test_a_public_key_off_the_curve_is_refused_by_both():
    keys = generate_keypair()
    signature = sign(private_key=keys.private_key, public_key=keys.public_key, message=b"x")
    off_curve = keys.public_key[:63] + bytes([keys.public_key[63] ^ 1])
    assert not _both(off_curve, b"x", signature)
    assert not verify(public_key=bytes(64), message=b"x", signature=signature)


def test_verify_falls_back_to_gmssl_when_openssl_is_switched_off():
    # a process started with YIWANG_SM2_OPENSSL=0 verifies on gmssl_pyx, with the same answers
    code = (
        "from yiwang.core.crypto import sm2, generate_keypair, sign, verify\n"
        "assert sm2._FAST_VERIFY is None\n"
        "k = generate_keypair(); s = sign(private_key=k.private_key, public_key=k.public_key, message=b'm')\n"
        "assert verify(public_key=k.public_key, message=b'm', signature=s)\n"
        "assert not verify(public_key=k.public_key, message=b'n', signature=s)\n"
    )
    environment = dict(os.environ, YIWANG_SM2_OPENSSL="0")
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)  # noqa: S603
    assert result.returncode == 0, result.stderr


def test_threads_share_the_parsed_keys_and_evicted_keys_still_verify(monkeypatch):
    # given more keys than the process keeps parsed, used from four threads at once (granian's threads)
    from concurrent.futures import ThreadPoolExecutor

    from yiwang.core.crypto import sm2_openssl

    monkeypatch.setattr(sm2_openssl, "_KEYS_KEPT", 2)
    signed = []
    for number in range(6):
        keys = generate_keypair()
        message = f"license {number}".encode()
        signed.append(
            (
                keys.public_key,
                message,
                sign(private_key=keys.private_key, public_key=keys.public_key, message=message),
            )
        )

    def check(turn: int) -> tuple[bool, bool]:
        public_key, message, signature = signed[turn % len(signed)]
        return openssl(public_key, message, signature, SM2_USER_ID), openssl(
            public_key, message + b"!", signature, SM2_USER_ID
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(check, range(240)))
    # then every genuine signature verifies and every changed message fails
    assert answers == [(True, False)] * 240
