"""Authorization matrix of every identity endpoint: who gets what, and that nothing leaks to the others."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from yiwang.catalog.tests.factories import DepartmentFactory
from yiwang.core.tests.pages import assert_page_cost_does_not_grow, walk_pages
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import Mandate
from yiwang.identity.tests.factories import (
    EnterpriseFactory,
    MandateFactory,
    StaffAssignmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ACTORS = [
    "anonymous",
    "other_citizen",
    "agent_without_mandate",
    "agent_with_mandate",
    "staff_other_department",
    "staff_of_department",
    "principal",
]


@pytest.fixture
def world():
    department, other_department = DepartmentFactory(), DepartmentFactory()
    principal = UserFactory(level3=True, surname="欧阳", given_name="委托")
    enterprise = EnterpriseFactory(representative=principal, name="广安区保密测试有限公司")
    agent = UserFactory(level3=True, surname="钱", given_name="经办")
    mandate = MandateFactory(enterprise=enterprise, agent=agent)
    clerk = StaffAssignmentFactory(
        department=department, role=StaffRole.WINDOW_CLERK, user__surname="孙", user__given_name="窗口"
    ).user
    outsider = StaffAssignmentFactory(
        department=other_department, role=StaffRole.APPROVER, user__surname="周", user__given_name="外部"
    ).user
    return {
        "anonymous": None,
        "other_citizen": UserFactory(),
        "agent_without_mandate": UserFactory(level3=True),
        "agent_with_mandate": agent,
        "staff_other_department": outsider,
        "staff_of_department": clerk,
        "principal": principal,
        "mandate": mandate,
        "department": department,
        "secrets": [principal.full_name, principal.id_number, enterprise.name, enterprise.credit_code],
    }


def _as(client, user):
    if user is None:
        return client
    client.force_login(user)
    if user.is_staff_member:
        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _no_leak(response, secrets):
    text = response.content.decode()
    return not any(secret in text for secret in secrets)


@pytest.mark.parametrize("actor", ACTORS)
def test_me_shows_only_yourself(client, world, actor):
    user = world[actor]
    response = _as(client, user).get("/api/v1/me")
    if user is None:
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        return
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert "*" in response.json()["id_number_masked"] or not user.id_number
    if actor != "principal":
        assert _no_leak(response, world["secrets"])


@pytest.mark.parametrize("actor", ACTORS)
def test_my_mandates_lists_only_mandates_you_are_party_to(client, world, actor):
    user = world[actor]
    given = _as(client, user).get("/api/v1/me/mandates", {"direction": "given"})
    received = client.get("/api/v1/me/mandates", {"direction": "received"})
    if user is None:
        assert given.status_code == received.status_code == 401
        return
    expected = {"principal": (1, 0), "agent_with_mandate": (0, 1)}.get(actor, (0, 0))
    assert (len(given.json()["items"]), len(received.json()["items"])) == expected
    assert given.json()["next_cursor"] is None
    if expected == (0, 0):
        assert _no_leak(given, world["secrets"]) and _no_leak(received, world["secrets"])


EXPECTED_MANDATE_ACCESS = {
    "anonymous": 401,
    "other_citizen": 404,
    "agent_without_mandate": 404,
    "agent_with_mandate": 200,
    "staff_other_department": 404,
    "staff_of_department": 404,
    "principal": 200,
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("path", ["/api/v1/mandates/{id}", "/api/v1/mandates/{id}/check?item_code=X"])
def test_reading_a_mandate(client, world, actor, path):
    response = _as(client, world[actor]).get(path.format(id=world["mandate"].pk))
    assert response.status_code == EXPECTED_MANDATE_ACCESS[actor]
    if response.status_code != 200:
        assert set(response.json()) == {"error"}
        assert _no_leak(response, world["secrets"])


@pytest.mark.parametrize("actor", ACTORS)
def test_revoking_a_mandate(client, world, actor):
    response = _as(client, world[actor]).post(f"/api/v1/mandates/{world['mandate'].pk}/revoke")
    assert response.status_code == EXPECTED_MANDATE_ACCESS[actor]
    revoked = Mandate.objects.get(pk=world["mandate"].pk).revoked_at is not None
    assert revoked == (response.status_code == 200)
    if response.status_code != 200:
        assert _no_leak(response, world["secrets"])


@pytest.mark.parametrize("actor", ACTORS)
def test_granting_for_the_enterprise(client, world, actor):
    target = UserFactory(level3=True, surname="吴", given_name="新")
    today = timezone.localdate()
    payload = {
        "enterprise_credit_code": world["mandate"].enterprise.credit_code,
        "agent_id_number": target.id_number,
        "agent_name": target.full_name,
        "covers_all_items": True,
        "valid_from": today.isoformat(),
        "valid_until": (today + dt.timedelta(days=10)).isoformat(),
    }
    response = _as(client, world[actor]).post(
        "/api/v1/mandates", data=json.dumps(payload), content_type="application/json"
    )
    expected = {"anonymous": 401, "principal": 201}.get(actor, 404)
    assert response.status_code == expected
    assert Mandate.objects.filter(agent=target).exists() == (expected == 201)
    if expected != 201:
        assert _no_leak(response, world["secrets"])


@pytest.mark.parametrize("actor", ACTORS)
def test_staff_directory(client, world, actor):
    response = _as(client, world[actor]).get("/api/v1/staff")
    expected = {"anonymous": 401, "staff_other_department": 200, "staff_of_department": 200}.get(actor, 403)
    assert response.status_code == expected
    text = response.content.decode()
    if actor == "staff_of_department":
        assert "孙窗口" in text and "周外部" not in text
    elif actor == "staff_other_department":
        assert "周外部" in text and "孙窗口" not in text
    else:
        assert "孙窗口" not in text and "周外部" not in text


def test_staff_session_without_totp_is_not_authenticated(client, world):
    client.force_login(world["staff_of_department"])
    assert client.get("/api/v1/staff").status_code == 401


def test_expired_mandate_check_says_why(client, world):
    expired = MandateFactory(
        expired=True, enterprise=world["mandate"].enterprise, agent=world["agent_with_mandate"]
    )
    body = _as(client, world["agent_with_mandate"]).get(f"/api/v1/mandates/{expired.pk}/check").json()
    assert body["allowed"] is False and body["code"] == "mandate_expired" and "到期" in body["message"]


def test_my_mandates_come_in_pages_whose_cost_does_not_grow_with_the_page(
    client, world, django_assert_num_queries
):
    for _ in range(5):
        MandateFactory(enterprise=world["mandate"].enterprise)
    _as(client, world["principal"])
    given = {"direction": "given"}
    assert_page_cost_does_not_grow(client, django_assert_num_queries, "/api/v1/me/mandates", given)
    seen = [mandate["id"] for mandate in walk_pages(client, "/api/v1/me/mandates", given)]
    assert len(seen) == len(set(seen)) == 6


def test_my_mandates_need_a_direction(client, world):
    response = _as(client, world["principal"]).get("/api/v1/me/mandates")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_staff_directory_comes_in_pages_whose_cost_does_not_grow_with_the_page(
    client, world, django_assert_num_queries
):
    department = world["staff_other_department"].staff_assignments.first().department
    StaffAssignmentFactory.create_batch(4, department=department)
    _as(client, world["staff_other_department"])
    assert_page_cost_does_not_grow(client, django_assert_num_queries, "/api/v1/staff")
    names = [row["name"] for row in walk_pages(client, "/api/v1/staff")]
    assert len(names) == 5 and "周外部" in names
