"""The national cryptography wrappers against the official SM2/SM3/SM4 vectors (see data/SOURCE.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from yiwang.core.crypto import (
    SM2_USER_ID,
    canonicalize,
    decrypt_gcm,
    encrypt_gcm,
    generate_keypair,
    public_key_fingerprint,
    public_key_from_pem,
    public_key_to_pem,
    sign,
    sm3_digest,
    sm3_hex,
    verify,
)
from yiwang.core.crypto.sm2 import (
    user_hash,
)
from yiwang.core.crypto.sm4 import DecryptionFailed

VECTORS = json.loads((Path(__file__).parent / "data" / "sm2_sm3_sm4_vectors.json").read_text("utf-8"))


def _der_integer(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0x00 keeps it positive
    return b"\x02" + bytes([len(body)]) + body


def _der_signature(r_hex: str, s_hex: str) -> bytes:
    body = _der_integer(int(r_hex, 16)) + _der_integer(int(s_hex, 16))
    return b"\x30" + bytes([len(body)]) + body


@pytest.mark.parametrize("vector", VECTORS["sm3"], ids=lambda v: v["ref"])
def test_sm3_official_vectors(vector):
    assert sm3_hex(vector["input_ascii"].encode("ascii")) == vector["digest"]


def _sm4_ecb(key: bytes, block: bytes, times: int = 1) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305  (the standard's own vector)
    for _ in range(times):
        block = encryptor.update(block)
    return block


@pytest.mark.parametrize("vector", VECTORS["sm4"], ids=lambda v: v["ref"])
def test_sm4_official_vectors(vector):
    key, plaintext = bytes.fromhex(vector["key"]), bytes.fromhex(vector["plaintext"])
    expected = bytes.fromhex(vector["ciphertext"])
    mode = vector["mode"]
    if mode == "ECB":
        assert _sm4_ecb(key, plaintext) == expected
    elif mode == "ECB-iterated":
        assert _sm4_ecb(key, plaintext, vector["iterations"]) == expected
    elif mode in {"CBC", "CTR"}:
        cipher_mode = modes.CBC if mode == "CBC" else modes.CTR
        encryptor = Cipher(algorithms.SM4(key), cipher_mode(bytes.fromhex(vector["iv"]))).encryptor()
        assert encryptor.update(plaintext) + encryptor.finalize() == expected
    else:
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(bytes.fromhex(vector["iv"]))).encryptor()
        encryptor.authenticate_additional_data(bytes.fromhex(vector["aad"]))
        assert encryptor.update(plaintext) + encryptor.finalize() == expected
        assert encryptor.tag == bytes.fromhex(vector["tag"])


def test_sm4_gcm_vector_decrypts_through_our_wrapper():
    # given the RFC 8998 vector laid out the way encrypt_gcm seals: nonce + ciphertext + tag
    vector = next(v for v in VECTORS["sm4"] if v["mode"] == "GCM")
    sealed = bytes.fromhex(vector["iv"] + vector["ciphertext"] + vector["tag"])
    # when / then
    plaintext = decrypt_gcm(
        bytes.fromhex(vector["key"]), sealed, associated_data=bytes.fromhex(vector["aad"])
    )
    assert plaintext == bytes.fromhex(vector["plaintext"])


def test_sm4_gcm_round_trip_and_tamper_detection():
    key = bytes(range(16))
    sealed = encrypt_gcm(key, b"private key material", associated_data=b"key-1")
    assert decrypt_gcm(key, sealed, associated_data=b"key-1") == b"private key material"
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        decrypt_gcm(key, tampered, associated_data=b"key-1")
    with pytest.raises(DecryptionFailed):
        decrypt_gcm(key, sealed, associated_data=b"key-2")


def _sm2_z(public_key: bytes, user_id: bytes) -> bytes:
    curve = VECTORS["sm2_recommended_curve"]
    entl = (len(user_id) * 8).to_bytes(2, "big")
    parts = [bytes.fromhex(curve[name]) for name in ("a", "b", "gx", "gy")]
    z = sm3_digest(entl + user_id + b"".join(parts) + public_key)
    assert z == user_hash(public_key, user_id)  # our cached Z is the annex's Z
    return z


@pytest.mark.parametrize("vector", VECTORS["sm2_sign"], ids=lambda v: v["ref"])
def test_sm2_official_signature_verifies(vector):
    # given the Annex A key pair, message and (r, s)
    public_key = bytes.fromhex(vector["public_key_x"] + vector["public_key_y"])
    message = vector["message_ascii"].encode("ascii")
    signature = _der_signature(vector["r"], vector["s"])
    user_id = vector["user_id"].encode("ascii")
    # then e = SM3(Z || M) is the annex's value, and the signature verifies over the message and over e
    e_hash = sm3_digest(_sm2_z(public_key, user_id) + message)
    assert e_hash.hex() == vector["e_hash"]
    assert verify(public_key=public_key, message=message, signature=signature, user_id=user_id)
    assert gmssl_pyx.sm2_verify_sm3_digest(public_key, e_hash, signature)
    # and a changed message or a changed s does not
    assert not verify(public_key=public_key, message=message + b"!", signature=signature, user_id=user_id)
    bad_s = f"{int(vector['s'], 16) ^ 1:064x}"
    assert not verify(public_key=public_key, message=message, signature=_der_signature(vector["r"], bad_s))


@pytest.mark.parametrize("vector", VECTORS["sm2_sign"], ids=lambda v: v["ref"])
def test_sm2_official_private_key_signs_for_its_public_key(vector):
    private_key = bytes.fromhex(vector["private_key"])
    public_key = bytes.fromhex(vector["public_key_x"] + vector["public_key_y"])
    signature = sign(private_key=private_key, public_key=public_key, message=b"message digest")
    assert verify(public_key=public_key, message=b"message digest", signature=signature)


@pytest.mark.parametrize("vector", VECTORS["sm2_encrypt"], ids=lambda v: v["ref"])
def test_sm2_official_ciphertext_decrypts(vector):
    plaintext = gmssl_pyx.sm2_decrypt(
        bytes.fromhex(vector["private_key"]), bytes.fromhex(vector["ciphertext_der"])
    )
    assert plaintext == vector["plaintext_ascii"].encode("ascii")


def test_sm2_user_id_is_the_national_default():
    assert SM2_USER_ID == b"1234567812345678" == gmssl_pyx.SM2_DEFAULT_SIGNER_ID


def test_generated_keys_sign_and_reject_other_keys():
    first, second = generate_keypair(), generate_keypair()
    signature = sign(private_key=first.private_key, public_key=first.public_key, message=b"x")
    assert verify(public_key=first.public_key, message=b"x", signature=signature)
    assert not verify(public_key=second.public_key, message=b"x", signature=signature)
    assert "private_key=<hidden>" in repr(first)
    assert first.private_key.hex() not in repr(first)


def test_public_key_pem_round_trip_and_fingerprint():
    keypair = generate_keypair()
    pem = public_key_to_pem(keypair.public_key)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
    assert public_key_from_pem(pem) == keypair.public_key
    assert len(public_key_fingerprint(keypair.public_key)) == 16


def test_openssl_reads_our_pem_as_an_sm2_key(tmp_path):
    vector = VECTORS["sm2_sign"][0]
    public_key = bytes.fromhex(vector["public_key_x"] + vector["public_key_y"])
    (tmp_path / "pub.pem").write_text(public_key_to_pem(public_key))
    out = subprocess.run(  # noqa: S603
        ["openssl", "pkey", "-pubin", "-in", str(tmp_path / "pub.pem"), "-text", "-noout"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "SM2" in out
    assert vector["public_key_x"][:2] in out.replace(":", "")


def test_canonical_json_follows_rfc8785():
    # RFC 8785 §3.2.3: keys sorted by UTF-16 code units; numbers in ECMAScript form; no whitespace
    assert (
        canonicalize({"b": 1.0, "a": [True, None], "中": "文"})
        == '{"a":[true,null],"b":1,"中":"文"}'.encode()
    )
    assert canonicalize({"n": 1e21, "m": 0.000001}) == b'{"m":0.000001,"n":1e+21}'


def test_our_fast_signature_verifies_with_gmssl_own_z_computation():
    # given a signature made over e = SM3(Z || M) with our cached Z
    keypair = generate_keypair()
    signature = sign(private_key=keypair.private_key, public_key=keypair.public_key, message=b"license")
    # then gmssl_pyx, computing Z itself from the default user id, accepts it
    assert gmssl_pyx.sm2_verify(keypair.public_key, b"license", signature)
