"""Every exchange answer is signed by the platform (SM2 over the payload's RFC 8785 bytes): OpenSSL
verifies it with the published key, and a tampered payload fails."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest

from yiwang.core.crypto.canonical import canonicalize
from yiwang.exchange.services import request_resource
from yiwang.exchange.signing import signed
from yiwang.registers.constants import RegisterCode
from yiwang.registers.tests.factories import LegalPersonFactory

from .factories import CONSUMER_ITEM, make_world, system_token
from .resources_world import make_all_resources

pytestmark = pytest.mark.django_db
QUERY = "/api/v1/exchange/query"


def _openssl_verify(tmp_path, key_pem: str, payload: dict, signature_b64: str) -> subprocess.CompletedProcess:
    (tmp_path / "answer.json").write_bytes(canonicalize(payload))
    (tmp_path / "answer.sig").write_bytes(base64.b64decode(signature_b64))
    (tmp_path / "exchange.pem").write_text(key_pem)
    command = [
        "openssl",
        "dgst",
        "-sm3",
        "-verify",
        "exchange.pem",
        "-signature",
        "answer.sig",
        "-sigopt",
        "distid:1234567812345678",
        "answer.json",
    ]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)  # noqa: S603


def test_signed_answer_over_http_verifies_with_openssl_and_tampering_fails(client, tmp_path):
    # given a system with a grant on the legal-person register and the published key
    world = make_world()

    request_resource(
        actor=world.housing_admin,
        resource=world.legal_person,
        consumer=world.housing,
        system=world.housing_system,
        purpose="商品房预售许可审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《城市商品房预售管理办法》第七条",
        item_codes=["name", "status"],
        ends_on=world.ends_on,
    )
    company = LegalPersonFactory(name="广安区青山置业有限公司")
    body = {
        "resource": world.legal_person.code,
        "key": company.credit_code,
        "items": ["name", "status"],
        "purpose": CONSUMER_ITEM,
        "case_number": "ZJ-2026-42",
    }
    headers = system_token(world.housing_system, "housing-token")
    # when it queries
    response = client.post(
        "/api/v1/exchange/query", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    key = client.get("/api/v1/exchange/signing-key").json()
    assert key["key_id"] == answer["signature"]["key_id"]
    # then OpenSSL verifies what it received
    result = _openssl_verify(tmp_path, key["public_key_pem"], answer["payload"], answer["signature"]["value"])
    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout
    # and a payload with one item changed does not verify
    tampered = {**answer["payload"], "items": {**answer["payload"]["items"], "status": "deregistered"}}
    result = _openssl_verify(tmp_path, key["public_key_pem"], tampered, answer["signature"]["value"])
    assert result.returncode != 0
    assert "Verification failure" in result.stdout + result.stderr


def test_refusals_are_signed_too(client, tmp_path):
    world = make_world()
    body = {
        "resource": world.population.code,
        "key": "110101199003071234",
        "items": ["name"],
        "purpose": CONSUMER_ITEM,
        "case_number": "C-1",
    }
    headers = system_token(world.civil_system, "civil-token")
    response = client.post(
        "/api/v1/exchange/query", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 403
    answer = response.json()
    key = client.get("/api/v1/exchange/signing-key").json()
    result = _openssl_verify(tmp_path, key["public_key_pem"], answer["payload"], answer["signature"]["value"])
    assert result.returncode == 0, result.stderr


def test_the_envelope_signs_the_canonical_bytes_of_its_payload():
    envelope = signed({"b": 1, "a": "二"})
    assert envelope["payload"] == {"b": 1, "a": "二"}
    assert envelope["signature"]["algorithm"] == "SM2-SM3"
    assert base64.b64decode(envelope["signature"]["value"])


def _key_pem(client) -> str:
    return client.get("/api/v1/exchange/signing-key").json()["public_key_pem"]


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "token_required"),
        ({"HTTP_AUTHORIZATION": "Bearer forged-token"}, 401, "invalid_token"),
    ],
    ids=["no token", "bad token"],
)
def test_authentication_failures_are_signed_and_verify_with_openssl(client, tmp_path, headers, status, code):
    make_world()
    response = client.post(QUERY, "{}", content_type="application/json", **headers)
    assert response.status_code == status
    answer = response.json()
    assert answer["payload"]["error"]["code"] == code
    result = _openssl_verify(tmp_path, _key_pem(client), answer["payload"], answer["signature"]["value"])
    assert result.returncode == 0, result.stderr
    tampered = {**answer["payload"], "error": {**answer["payload"]["error"], "code": "ok"}}
    result = _openssl_verify(tmp_path, _key_pem(client), tampered, answer["signature"]["value"])
    assert result.returncode != 0


@pytest.mark.parametrize(
    ("url", "body", "content_type", "status", "code"),
    [
        (QUERY, {"resource": "RK-511602-0001", "key": "x"}, "application/json", 400, "invalid_input"),
        (QUERY, "{not json", "application/json", 400, "invalid_json"),
        (QUERY, "resource=RK", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("/api/v1/exchange/query/batch", {"keys": []}, "application/json", 400, "invalid_input"),
        ("/api/v1/exchange/verify", {"assertions": {"alive": [1]}}, "application/json", 400, "invalid_input"),
    ],
    ids=["schema", "malformed json", "form body", "batch schema", "verify schema"],
)
def test_bad_bodies_are_answered_signed(client, tmp_path, url, body, content_type, status, code):
    world = make_world()
    headers = system_token(world.civil_system, "civil-token")
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(url, data, content_type=content_type, **headers)
    assert response.status_code == status
    answer = response.json()
    assert answer["payload"]["error"]["code"] == code
    result = _openssl_verify(tmp_path, _key_pem(client), answer["payload"], answer["signature"]["value"])
    assert result.returncode == 0, result.stderr


def test_other_apis_keep_their_plain_error_shape(client):
    response = client.post("/api/v1/registers/population/lookup", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated" and "signature" not in response.json()


def test_the_documented_jq_and_openssl_recipe_verifies_an_answer_with_chinese_and_lists(client, tmp_path):
    # given an answer holding Chinese text, arrays, integers, booleans and nulls (docs/exchange.md, section 8)
    world = make_all_resources()
    body = {
        "resource": world.resources[RegisterCode.CREDIT].code,
        "key": world.person.id_number,
        "items": ["subject_name", "has_dishonest_record", "kinds", "authorities", "decided_on"],
        "purpose": CONSUMER_ITEM,
        "case_number": "MZ-2026-签名",
    }
    response = client.post(QUERY, json.dumps(body), content_type="application/json", **world.civil_headers)
    assert response.status_code == 200, response.content
    (tmp_path / "answer.json").write_bytes(response.content)
    (tmp_path / "exchange.pem").write_text(_key_pem(client))
    # when the consumer follows the recipe
    script = (
        "jq -cjS .payload answer.json > payload.json && "
        "jq -r .signature.value answer.json | base64 -d > answer.sig && "
        "openssl dgst -sm3 -verify exchange.pem -signature answer.sig "
        "-sigopt distid:1234567812345678 payload.json"
    )
    result = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False)  # noqa: S603,S607
    # then OpenSSL verifies, and jq's bytes are the RFC 8785 bytes the platform signed
    assert result.returncode == 0 and "Verified OK" in result.stdout, result.stderr
    assert (tmp_path / "payload.json").read_bytes() == canonicalize(response.json()["payload"])


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/exchange/methods"),
        ("post", "/api/v1/exchange/query"),
        ("post", "/api/v1/exchange/query/batch"),
        ("post", "/api/v1/exchange/verify"),
    ],
)
def test_every_exchange_route_signs_its_401(client, tmp_path, method, url):
    make_world()
    response = getattr(client, method)(
        url, **({"data": "{}", "content_type": "application/json"} if method == "post" else {})
    )
    assert response.status_code == 401
    answer = response.json()
    assert answer["payload"]["error"]["code"] == "token_required"
    result = _openssl_verify(tmp_path, _key_pem(client), answer["payload"], answer["signature"]["value"])
    assert result.returncode == 0, result.stderr
