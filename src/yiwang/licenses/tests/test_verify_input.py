"""Bad input to license verification gets a clear answer, never a server error (issue 7)."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.core.crypto import canonicalize
from yiwang.licenses.constants import BUNDLE_FORMAT

from .factories import make_license

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/licenses/verify"


def _post(client, body: str, content_type: str = "application/json"):
    return client.post(VERIFY, body, content_type=content_type)


def _bundle_with_payload(payload) -> dict:
    return {
        "format": BUNDLE_FORMAT,
        "canonical": base64.b64encode(canonicalize(payload)).decode(),
        "signature": base64.b64encode(b"not a signature").decode(),
    }


# --- the API ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"identifier": 5}', "invalid_input"),
        ('{"identifier": ["a"]}', "invalid_input"),
        ('{"bundle": "text"}', "invalid_input"),
        ('{"bundle": [1, 2]}', "invalid_input"),
        ("{}", "identifier_or_bundle_required"),
        ("{not json", "invalid_json"),
        ('{"bundle": ' + '{"a": ' * 40 + "{}" + "}" * 41, "json_too_deep"),
        ('{"bundle": ' * 1000 + "{}" + "}" * 1000, "json_too_deep"),
        ("[" * 1000 + "]" * 1000, "json_too_deep"),
    ],
)
def test_verify_answers_a_wrong_shape_with_400_and_a_stable_code(client, body, code):
    response = _post(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "payload",
    [
        {"signature": "not an object", "identifier": "x"},
        {"holder": ["list"], "signature": {"key_id": "k"}},
        {"valid_until": 20301231, "signature": {"key_id": "k"}},
        {"holder": {"name": 5}, "signature": {}},
    ],
)
def test_a_bundle_whose_payload_has_wrong_types_is_reported_not_crashed(client, payload):
    response = _post(client, json.dumps({"bundle": _bundle_with_payload(payload)}))
    assert response.status_code == 200
    body = response.json()
    assert body["is_valid"] is False
    assert body["problems"] == ["验证包格式不正确"]


@pytest.mark.parametrize("content_type", ["text/plain", "image/png", "application/x-www-form-urlencoded"])
def test_json_sent_under_another_media_type_is_refused(client, content_type):
    response = _post(client, '{"identifier": "X"}', content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_json_with_a_charset_parameter_is_accepted(client):
    response = _post(client, '{"identifier": "NOPE"}', content_type="application/json; charset=utf-8")
    assert response.status_code == 404  # parsed and looked up: no such license


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bundle=st.dictionaries(
        st.sampled_from(["format", "canonical", "signature", "public_key_pem", "other"]),
        st.recursive(
            st.none() | st.integers() | st.text() | st.just(BUNDLE_FORMAT),
            lambda inner: st.lists(inner) | st.dictionaries(st.text(max_size=5), inner),
            max_leaves=8,
        ),
    )
)
def test_any_json_object_as_a_bundle_gets_an_answer_not_a_server_error(bundle):
    client = Client(raise_request_exception=False)
    response = _post(client, json.dumps({"bundle": bundle}))
    assert response.status_code in {200, 400}


# --- the web form ----------------------------------------------------------------------------------


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("bundle.json", content, content_type="application/json")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "验证包不是有效的 JSON"),
        (b"\xff\xfe\x00garbage", "验证包不是 UTF-8 编码的文本文件"),
        (b"[1, 2, 3]", "验证包须为 JSON 对象"),
        (b"[" * 5000 + b"]" * 5000, "验证包不是有效的 JSON"),
        (b" " * (64 * 1024 + 1), "验证包过大：不能超过 64 KB"),
    ],
)
def test_the_verify_page_explains_a_bad_file_in_chinese(content, message):
    client = Client(raise_request_exception=False)
    response = client.post("/licenses/verify", {"bundle": _upload(content)})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_verify_page_still_verifies_a_genuine_bundle(client):
    from yiwang.licenses.selectors import get_bundle

    bundle = get_bundle(license=make_license())
    page = client.post("/licenses/verify", {"bundle": _upload(json.dumps(bundle).encode())})
    assert "验证通过" in page.content.decode()
