"""Authorization matrix of every license endpoint: who gets what, and nothing leaks to the others."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.licenses.constants import AuditAction

from .conftest import log_in

pytestmark = pytest.mark.django_db

ACTORS = [
    "anonymous",
    "holder",
    "other_citizen",
    "agent",
    "agent_expired_mandate",
    "requester",
    "requester_no_consent",
    "requester_expired_consent",
    "issuer_staff",
    "other_staff",
]


def _client_as(client, world, actor: str):
    if actor != "anonymous":
        log_in(client, getattr(world, actor))
    return client


def _assert_no_leak(response, world) -> None:
    body = response.content.decode()
    for secret in (world.holder.id_number, world.holder.full_name, json.dumps(world.license.surface)[1:20]):
        assert secret not in body


def _expect(actor: str, allowed: set[str], ok: int) -> int:
    if actor == "anonymous":
        return 401
    return ok if actor in allowed else 404


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("suffix", ["", "/bundle"])
def test_license_detail_and_bundle(client, world, actor, suffix):
    # when
    response = _client_as(client, world, actor).get(f"/api/v1/licenses/{world.license.identifier}{suffix}")
    # then only the holder, a mandated agent and the issuer's license admin get it
    expected = _expect(actor, {"holder", "agent", "issuer_staff"}, 200)
    assert response.status_code == expected, response.content
    if expected != 200:
        _assert_no_leak(response, world)


@pytest.mark.parametrize("actor", ACTORS)
def test_missing_and_forbidden_answer_alike(client, world, actor):
    client = _client_as(client, world, actor)
    missing = client.get("/api/v1/licenses/ID_CARD-X/bundle")
    if actor in {"anonymous"}:
        assert missing.status_code == 401
    else:
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "license_not_found"


@pytest.mark.parametrize("actor", ACTORS)
def test_read_with_consent(client, world, actor):
    # given each actor claims the requester department that has the holder's consent
    department = world.requester_department.credit_code
    response = _client_as(client, world, actor).post(
        f"/api/v1/licenses/{world.license.identifier}/read",
        {"requester_credit_code": department},
        content_type="application/json",
    )
    # then only staff of that department, under the consent, read it; everyone else sees 404
    expected = _expect(actor, {"requester"}, 200)
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["surface"] == world.license.surface
    else:
        _assert_no_leak(response, world)


def test_requester_with_expired_consent_is_refused_and_logged(client, world):
    # given staff whose department's consent expired a minute ago
    expired_department = world.requester_expired_consent.staff_assignments.get().department
    log_in(client, world.requester_expired_consent)
    # when they read under their own department
    response = client.post(
        f"/api/v1/licenses/{world.license.identifier}/read",
        {"requester_credit_code": expired_department.credit_code},
        content_type="application/json",
    )
    # then refused, and the holder can see the refused attempt
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        action=AuditAction.LICENSE_USED,
        object_id=world.license.identifier,
        outcome=Outcome.REFUSED,
        reason="no_consent",
        actor_department=expired_department,
    ).exists()
    log_in(client, world.holder)
    uses = client.get("/api/v1/licenses/uses").json()["items"]
    assert (expired_department.name, "refused") in [(use["requester_name"], use["outcome"]) for use in uses]


def test_requester_after_revocation_is_refused(client, world):
    log_in(client, world.holder)
    assert client.post(f"/api/v1/licenses/consents/{world.consent.pk}/revoke").status_code == 200
    log_in(client, world.requester)
    response = client.post(
        f"/api/v1/licenses/{world.license.identifier}/read",
        {"requester_credit_code": world.requester_department.credit_code},
        content_type="application/json",
    )
    assert response.status_code == 404


@pytest.mark.parametrize("actor", ACTORS)
def test_change_status(client, world, actor):
    response = _client_as(client, world, actor).post(
        f"/api/v1/licenses/{world.license.identifier}/status",
        {"status": "suspended", "reason": "核查"},
        content_type="application/json",
    )
    expected = _expect(actor, {"issuer_staff"}, 200)
    assert response.status_code == expected
    world.license.refresh_from_db()
    assert (world.license.status == "suspended") == (expected == 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_show(client, world, actor):
    response = _client_as(client, world, actor).post(f"/api/v1/licenses/{world.license.identifier}/show")
    assert response.status_code == _expect(actor, {"holder", "agent"}, 201)


@pytest.mark.parametrize("actor", ACTORS)
def test_issue(client, world, actor):
    payload = {
        "type_code": world.license.license_type.code,
        "issuer_credit_code": world.license.issuer.credit_code,
        "holder_code": world.other_citizen.id_number,
        "holder_name": world.other_citizen.full_name,
        "surface": {"name": world.other_citizen.full_name},
    }
    response = _client_as(client, world, actor).post(
        "/api/v1/licenses", payload, content_type="application/json"
    )
    expected = 401 if actor == "anonymous" else 201 if actor == "issuer_staff" else 403
    assert response.status_code == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_holder_lists(client, world, actor):
    client = _client_as(client, world, actor)
    for path in ("/api/v1/licenses/mine", "/api/v1/licenses/consents", "/api/v1/licenses/uses"):
        response = client.get(path)
        if actor == "anonymous":
            assert response.status_code == 401
            continue
        assert response.status_code == 200
        sees = actor in {"holder", "agent"}
        assert bool(response.json()["items"]) == sees, (path, actor)
        if not sees:
            _assert_no_leak(response, world)


@pytest.mark.parametrize("actor", ACTORS)
def test_grant_consent(client, world, actor):
    payload = {
        "holder_code": world.holder.id_number,
        "identifier": world.license.identifier,
        "requester_credit_code": world.requester_department.credit_code,
        "purpose": "再次授权",
        "expires_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
    }
    response = _client_as(client, world, actor).post(
        "/api/v1/licenses/consents", payload, content_type="application/json"
    )
    # the license lookup goes through the gate first: issuer staff reach it but may not consent for the holder
    expected = {"anonymous": 401, "holder": 201, "agent": 201, "issuer_staff": 403}.get(actor, 404)
    assert response.status_code == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_revoke_consent(client, world, actor):
    response = _client_as(client, world, actor).post(f"/api/v1/licenses/consents/{world.consent.pk}/revoke")
    assert response.status_code == _expect(actor, {"holder", "agent"}, 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_public_endpoints_answer_everyone_with_minimal_fields(client, world, actor):
    client = _client_as(client, world, actor)
    verified = client.post(
        "/api/v1/licenses/verify", {"identifier": world.license.identifier}, content_type="application/json"
    )
    assert verified.status_code == 200
    assert verified.json()["is_valid"] is True
    _assert_no_leak(verified, world)  # masked name, no ID number, no surface
    keys = client.get("/api/v1/licenses/keys").json()["items"]
    assert keys and all("PRIVATE" not in key["public_key_pem"] for key in keys)


def test_staff_session_without_second_factor_is_not_authenticated(client, world):
    # given the issuer's license admin logged in without TOTP
    client.force_login(world.issuer_staff)
    # then the API treats them as anonymous
    assert client.get(f"/api/v1/licenses/{world.license.identifier}").status_code == 401
