"""/api/v1/me/objections for every kind of caller: the citizen (session or token with/without the scope),
another citizen, staff, anonymous; nothing of one citizen's objection leaks to anyone else."""

from __future__ import annotations

import base64
import json

import pytest

from yiwang.conftest import bearer_token, login_with_second_factor
from yiwang.identity.tests.factories import UserFactory
from yiwang.quality.models import Objection
from yiwang.registers.tests.factories import PersonFactory

from .factories import make_quality_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/objections"
BODY = {
    "register_code": "population",
    "item": "household_address",
    "proposed_value": "广安区正确路8号",
    "description": "门牌号登记错误",
    "evidence_text": "户口簿第2页",
}


def citizen_with_record():
    user = UserFactory(level3=True)
    PersonFactory(id_number=user.id_number, household_address="广安区错误路1号")
    return user


@pytest.fixture
def world():
    return make_quality_world()


@pytest.fixture
def alice():
    return citizen_with_record()


@pytest.fixture
def bob():
    return citizen_with_record()


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def test_the_citizen_submits_and_follows_their_objection_with_the_session(client, world, alice):
    client.force_login(alice)
    created = post(client, {**BODY, "record_key": alice.id_number})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "submitted" and body["current_value"] == "广安区错误路1号"
    assert body["department"] == world.police.name and body["due_on"]
    listed = client.get(URL).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    assert client.get(f"{URL}/{body['id']}").json()["proposed_value"] == "广安区正确路8号"


def test_another_citizen_sees_nothing_and_cannot_object_for_alice(client, world, alice, bob):
    objection_id = _objection_of(client, alice)
    client.force_login(bob)
    assert client.get(URL).json()["items"] == []
    missing = client.get(f"{URL}/{objection_id}")
    assert missing.status_code == 404 and alice.id_number not in missing.content.decode()
    refused = post(client, {**BODY, "record_key": alice.id_number})
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "record_not_found"
    assert Objection.objects.count() == 1


def test_staff_of_the_holding_department_do_not_see_objections_here(client, world, alice):
    objection_id = _objection_of(client, alice)
    login_with_second_factor(client, world.police_admin)
    assert client.get(URL).json()["items"] == []
    assert client.get(f"{URL}/{objection_id}").status_code == 404


def test_anonymous_is_refused(client, world):
    assert client.get(URL).status_code == 401
    assert post(client, BODY).status_code == 401


def test_a_token_needs_the_objections_scope(client, world, alice):
    objection_id = _objection_of(client, alice)
    client.logout()
    with_scope = bearer_token(alice, "openid objections", "token-with-scope")
    assert client.get(f"{URL}/{objection_id}", **with_scope).status_code == 200
    created = post(
        client, {**BODY, "record_key": alice.id_number, "proposed_value": "广安区另一路9号"}, **with_scope
    )
    assert created.status_code == 201
    without = bearer_token(alice, "openid data-uses:read", "token-without-scope")
    refused = client.get(URL, **without)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_scope"
    assert alice.id_number not in refused.content.decode()
    assert post(client, {**BODY, "record_key": alice.id_number}, **without).status_code == 403


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"item": "is_deceased"}, "unknown_item"),
        ({"proposed_value": ""}, "value_required"),
        ({"description": "x" * 2001}, "invalid_input"),
        ({"item": "birth_date", "proposed_value": "昨天"}, "invalid_date"),
        ({"evidence_text": ""}, "evidence_required"),
    ],
)
def test_bad_input_is_a_400_with_a_message(client, world, alice, change, code):
    client.force_login(alice)
    response = post(client, {**BODY, "record_key": alice.id_number, **change})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_missing_fields_and_malformed_json_are_400(client, world, alice):
    client.force_login(alice)
    missing = post(client, {"register_code": "population"})
    assert missing.status_code == 400 and "record_key" in missing.json()["error"]["message"]
    broken = client.post(URL, "{not json", content_type="application/json")
    assert broken.status_code == 400


def test_a_page_of_one_and_a_page_of_many_cost_the_same_queries(
    client, world, alice, django_assert_num_queries
):
    client.force_login(alice)
    for value in ("一路1号", "二路2号", "三路3号"):
        assert (
            post(client, {**BODY, "record_key": alice.id_number, "proposed_value": value}).status_code == 201
        )
    client.get(URL)  # warm the session
    with django_assert_num_queries(3) as small:
        page = client.get(URL, {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(client.get(URL, {"limit": 100}).json()["items"]) == 3


def _objection_of(client, citizen) -> int:
    client.force_login(citizen)
    response = post(client, {**BODY, "record_key": citizen.id_number})
    assert response.status_code == 201, response.content
    client.logout()
    return response.json()["id"]


def test_evidence_file_as_base64(client, world, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(alice)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
    body = {**BODY, "record_key": alice.id_number, "evidence_text": ""}
    created = post(client, {**body, "evidence_file": {"name": "证明.png", "content_base64": png}})
    assert created.status_code == 201 and created.json()["has_evidence_file"] is True
    assert Objection.objects.get().evidence_type == "image/png"
    for evidence, code in (
        ({"content_base64": "不是base64"}, "invalid_evidence_encoding"),
        ({"content_base64": base64.b64encode(b"<script>").decode()}, "evidence_type_not_allowed"),
    ):
        refused = post(client, {**body, "proposed_value": "广安区另一路9号", "evidence_file": evidence})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == code
