"""POST /api/v1/applications: uploads by reference, the Idempotency-Key (one case, the same body again),
prefill tampering refused, and bad input answered with a code, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.applications.constants import CASE_SUBMITTED, Channel
from yiwang.applications.models import Case, CaseMaterial
from yiwang.applications.services import numbers
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.models import OutboxEvent

from .api_world import (
    APPLICANT_SCOPES,
    application_body,
    bearer,
    log_in,
    material_keys,
    post_application,
    token_for,
    upload,
)
from .cases_world import make_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def client(world):
    return log_in(Client(), world.applicant)


def full_body(client, world, **overrides):
    keys = material_keys(world, world.applicant, world.applicant.id_number)
    references = {key: upload(client)["upload"] for key in keys}
    return application_body(world, world.applicant, materials=references, **overrides)


def test_a_submission_creates_the_case_with_its_uploads_and_event(client, world):
    # given the two files the plan asks for, uploaded first
    body = full_body(client, world)
    # when the application is posted with a key
    response = post_application(client, body, key="first")
    # then one case, by the API channel, with its materials and the outbox event; the query code works
    assert response.status_code == 201, response.content
    answer = response.json()
    case = Case.objects.get(number=answer["number"])
    assert case.channel == Channel.API and case.applicant == world.applicant
    assert numbers.query_code_matches(code=answer["query_code"], code_hash=case.query_code_hash)
    assert CaseMaterial.objects.filter(case=case).exclude(file="").count() == 2
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1
    assert answer["detail_url"] == f"/api/v1/applications/{case.number}"
    assert client.get(answer["detail_url"]).json()["status"] == "submitted"


def test_the_same_key_again_answers_200_with_the_same_body_and_creates_nothing(client, world):
    body = full_body(client, world)
    first = post_application(client, body, key="double-click")
    again = post_application(client, body, key="double-click")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content
    assert Case.objects.count() == 1
    assert OutboxEvent.objects.filter(topic=CASE_SUBMITTED).count() == 1


def test_a_replay_the_cache_lost_still_answers_the_one_case_without_the_query_code(client, world):
    from django.core.cache import cache

    body = full_body(client, world)
    first = post_application(client, body, key="k").json()
    cache.clear()
    again = post_application(client, body, key="k")
    assert again.status_code == 200
    assert again.json()["number"] == first["number"] and again.json()["query_code"] is None
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(client, world):
    body = full_body(client, world)
    post_application(client, body, key="k")
    changed = dict(body, data={**body["data"], "phone": "13900000000"})
    response = post_application(client, changed, key="k")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_the_key_is_required_and_bounded(client, world):
    body = full_body(client, world)
    for key in (None, "k" * 101, "has space", "中文"):
        refused = post_application(client, body, key=key)
        assert refused.status_code == 400, key
        error = refused.json()["error"]
        assert error["code"] == "invalid_input"
        assert error["details"]["fields"][0]["field"] == "header.Idempotency-Key"
    assert not Case.objects.exists()


def test_a_tampered_prefilled_field_is_refused(client, world):
    # given the name the account prefills (and locks) changed by the client
    body = full_body(client, world)
    body["data"]["applicant_name"] = "王改名"
    body["prefilled"] = {"applicant_name": "王改名"}
    # when submitted
    response = post_application(client, body, key="tamper")
    # then refused with its own code, naming the field, and nothing is created
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "prefill_tampered"
    assert "applicant_name" in error["details"]["fields"]
    assert not Case.objects.exists()
    # and the key is not used up: the honest form goes through
    body["data"]["applicant_name"] = world.applicant.full_name
    assert post_application(client, body, key="tamper").status_code == 201


def test_every_field_error_at_once(client, world):
    body = full_body(client, world)
    body["data"] = {**body["data"], "phone": "12", "kind": "z"}
    response = post_application(client, body, key="bad")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_form"
    assert {"phone", "kind"} <= set(error["details"]["fields"])


def test_missing_uploads_and_foreign_or_forged_references_are_refused(client, world):
    missing = post_application(client, application_body(world, world.applicant), key="a")
    assert missing.json()["error"]["code"] == "materials_missing"
    # a reference uploaded by someone else
    stranger = log_in(Client(), UserFactory(level3=True))
    foreign = full_body(client, world)
    key = next(iter(foreign["materials"]))
    foreign["materials"][key] = upload(stranger)["upload"]
    assert post_application(client, foreign, key="b").json()["error"]["code"] == "invalid_upload"
    forged = full_body(client, world)
    forged["materials"][key] = forged["materials"][key][:-3] + "abc"
    assert post_application(client, forged, key="c").json()["error"]["code"] == "invalid_upload"
    assert not Case.objects.exists()


def test_uploads_are_checked_by_their_bytes(client):
    response = client.post(
        "/api/v1/applications/uploads",
        {"file": __import__("io").BytesIO(b"MZ\x90\x00 not a pdf")},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "upload_type_not_allowed"
    empty = client.post("/api/v1/applications/uploads", {})
    assert empty.status_code == 400


def test_a_bearer_token_with_the_scope_submits_and_one_without_is_refused(world):
    token = token_for(world.applicant, APPLICANT_SCOPES)
    client = Client()
    references = {
        key: upload(client, bearer(token))["upload"]
        for key in material_keys(world, world.applicant, world.applicant.id_number)
    }
    body = application_body(world, world.applicant, materials=references)
    response = post_application(client, body, key="t", headers=bearer(token))
    assert response.status_code == 201
    unscoped = token_for(world.applicant, "openid applications:read")
    refused = post_application(client, body, key="u", headers=bearer(unscoped))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    assert Case.objects.count() == 1


def test_a_bundle_needs_one_target(client, world):
    body = full_body(client, world, bundle_code="second-hand-house-transfer")
    response = post_application(client, body, key="x")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_target"
    unknown = post_application(client, full_body(client, world, implementation_code="nope"), key="y")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_item"


# Bad input: every answer has a code, none is a 500 -------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "implementation_code",
        "bundle_code",
        "applicant_kind",
        "holder_code",
        "mandate_id",
        "situation",
        "data",
        "prefilled",
        "materials",
        "other",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(field_names, json_values, max_size=4), key=st.text(max_size=120))
def test_no_post_body_gets_a_500(client, world, changes, key):
    body = application_body(world, world.applicant, materials={"application_form": "x"})
    body.update(changes)
    response = client.post(
        "/api/v1/applications",
        json.dumps(body, allow_nan=True),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response.json()["error"]["code"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.text(max_size=20), json_values, max_size=6))
def test_no_form_answers_get_a_500(client, world, data):
    body = application_body(world, world.applicant, data=data)
    response = client.post(
        "/api/v1/applications",
        json.dumps(body, allow_nan=True),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="fuzz",
    )
    assert response.status_code < 500, response.content


def test_control_characters_never_reach_the_database(client, world):
    # a NUL in a path is refused by the schema (PostgreSQL would refuse it with an error, not an answer)
    for path in ("/api/v1/applications/5116%00", "/api/v1/applications/forms/a%00b"):
        response = client.get(path)
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "invalid_input"
    # a NUL in an uploaded file's name is dropped from the name kept with the case
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .cases_world import PDF

    response = client.post("/api/v1/applications/uploads", {"file": SimpleUploadedFile("a\x00b.pdf", PDF)})
    assert response.status_code == 201 and "\x00" not in response.json()["file_name"]
    body = full_body(client, world)
    body["materials"][next(iter(body["materials"]))] = response.json()["upload"]
    assert post_application(client, body, key="nul").status_code == 201
    assert all("\x00" not in name for name in CaseMaterial.objects.values_list("file_name", flat=True))


def test_an_enterprise_applies_through_its_legal_representative_only(world):
    from yiwang.identity.tests.factories import EnterpriseFactory

    item = world.implementation.item
    item.audiences = ["person", "enterprise"]
    item.save(update_fields=["audiences"])
    enterprise = EnterpriseFactory()
    representative = enterprise.representative
    client = log_in(Client(), representative)
    keys = material_keys(world, representative, enterprise.credit_code)
    body = application_body(
        world,
        representative,
        applicant_kind="enterprise",
        holder_code=enterprise.credit_code,
        materials={key: upload(client)["upload"] for key in keys},
    )
    response = post_application(client, body, key="enterprise")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert (case.applicant_kind, case.holder_code, case.holder_name) == (
        "enterprise",
        enterprise.credit_code,
        enterprise.name,
    )
    # someone who does not represent it (and holds no mandate) may not
    stranger = log_in(Client(), UserFactory(level3=True))
    body["materials"] = {key: upload(stranger)["upload"] for key in keys}
    refused = post_application(stranger, body, key="enterprise")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "mandate_required"
    assert enterprise.name not in refused.content.decode()
