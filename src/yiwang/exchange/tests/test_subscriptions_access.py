"""Who may subscribe, see and cancel: the pages (data administrators) and the API (the systems themselves).

The consumer's data administrator subscribes and cancels; the provider's sees who is told; another
department, a clerk without the permission, a citizen and an anonymous visitor get nothing. A system
subscribes, lists and cancels only under its own live grants, with signed answers.
"""

from __future__ import annotations

import base64

import pytest

from yiwang.conftest import bearer_token, login_with_second_factor
from yiwang.core.crypto import canonicalize
from yiwang.core.crypto.sm2 import verify
from yiwang.exchange.models import ExchangeKey, Subscription
from yiwang.exchange.services import revoke_grant
from yiwang.exchange.services.subscriptions import subscribe_grant
from yiwang.identity.constants import StaffRole
from yiwang.identity.tests.factories import UserFactory
from yiwang.notifications.models import WebhookEndpoint

from .factories import make_system, staff, system_token
from .test_subscriptions import CIVIL_URL, grant_of

pytestmark = pytest.mark.django_db
API = "/api/v1/exchange/subscriptions"
PAGE = "/exchange/subscriptions/"


@pytest.fixture
def world():
    from .factories import make_world

    world = make_world()
    world.civil_grant = grant_of(
        world,
        admin=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("id_number", "is_deceased"),
        provider_admin=world.police_admin,
    )
    world.housing_grant = grant_of(
        world,
        admin=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.legal_person,
        items=("credit_code", "status"),
    )
    world.civil_sub = subscribe_grant(actor=world.civil_admin, grant_id=world.civil_grant.pk, url=CIVIL_URL)
    return world


def _verified(answer: dict) -> dict:
    """The payload of a signed answer, after checking the platform's signature over its JCS bytes."""
    key = ExchangeKey.objects.get(key_id=answer["signature"]["key_id"])
    assert verify(
        public_key=bytes.fromhex(key.public_key),
        message=canonicalize(answer["payload"]),
        signature=base64.b64decode(answer["signature"]["value"]),
    )
    return answer["payload"]


# Pages -------------------------------------------------------------------------------------------


def test_the_consumers_data_administrator_subscribes_lists_and_cancels(client, world):
    login_with_second_factor(client, world.civil_admin)
    page = client.get(PAGE).content.decode()
    assert CIVIL_URL in page and "新增订阅" in page and "取消订阅" in page
    # a second URL for the same grant, death notices only
    response = client.post(
        PAGE,
        {
            "grant": world.civil_grant.pk,
            "url": "https://mz2.example.gov.cn/hook",
            "kinds": ["death_registered"],
        },
    )
    assert response.status_code == 302
    added = Subscription.objects.get(endpoint__url="https://mz2.example.gov.cn/hook")
    assert added.kinds == "death_registered" and added.endpoint.department == world.civil
    assert added.endpoint.application == world.civil_system
    followed = client.post(f"{PAGE}{added.pk}/cancel", follow=True).content.decode()
    assert "已取消订阅" in followed
    added.refresh_from_db()
    assert added.cancelled_at is not None


def test_a_bad_url_or_kind_is_refused_with_a_message_not_a_500(client, world):
    login_with_second_factor(client, world.civil_admin)
    for data, message in (
        ({"grant": world.civil_grant.pk, "url": "http://192.168.1.10/hook"}, "内网"),
        ({"grant": world.civil_grant.pk, "url": CIVIL_URL}, "已订阅"),
        ({"grant": world.civil_grant.pk, "url": "https://a.cn/h", "kinds": ["license_revoked"]}, "不提供"),
        ({"grant": world.civil_grant.pk, "url": ""}, "必填"),
    ):
        response = client.post(PAGE, data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert Subscription.objects.count() == 1


def test_the_provider_sees_who_is_told_but_cannot_cancel_or_subscribe(client, world):
    login_with_second_factor(client, world.police_admin)
    page = client.get(PAGE).content.decode()
    assert CIVIL_URL in page and "取消订阅" not in page and "新增订阅" not in page
    client.post(f"{PAGE}{world.civil_sub.pk}/cancel")
    response = client.post(PAGE, {"grant": world.civil_grant.pk, "url": "https://gaj.example.gov.cn/h"})
    assert response.status_code == 400
    world.civil_sub.refresh_from_db()
    assert world.civil_sub.cancelled_at is None and Subscription.objects.count() == 1


@pytest.mark.parametrize("who", ["other_department", "clerk_without_permission"])
def test_others_see_nothing_and_change_nothing(client, world, who):
    user = (
        world.housing_admin
        if who == "other_department"
        else staff(world.civil, StaffRole.WINDOW_CLERK)  # the consumer's own department, no exchange.manage
    )
    login_with_second_factor(client, user)
    page = client.get(PAGE).content.decode()
    assert CIVIL_URL not in page and world.civil_system.client_id not in page
    client.post(f"{PAGE}{world.civil_sub.pk}/cancel")
    response = client.post(PAGE, {"grant": world.civil_grant.pk, "url": "https://evil.example.com/h"})
    assert response.status_code == 400  # the grant is not among theirs
    world.civil_sub.refresh_from_db()
    assert world.civil_sub.cancelled_at is None
    assert not WebhookEndpoint.objects.filter(url="https://evil.example.com/h").exists()


def test_citizens_and_anonymous_visitors_are_kept_out(client, world):
    assert client.get(PAGE).status_code == 302  # to the login
    client.post(f"{PAGE}{world.civil_sub.pk}/cancel")
    client.force_login(UserFactory(level3=True))
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}{world.civil_sub.pk}/cancel").status_code == 403
    world.civil_sub.refresh_from_db()
    assert world.civil_sub.cancelled_at is None


# API ---------------------------------------------------------------------------------------------


def test_a_system_subscribes_lists_and_cancels_its_own_grants_with_signed_answers(client, world):
    headers = system_token(world.housing_system, "housing-token")
    created = client.post(
        API,
        {"grant": world.housing_grant.pk, "url": "https://zj.example.gov.cn/hook", "kinds": []},
        content_type="application/json",
        **headers,
    )
    assert created.status_code == 201, created.content
    subscription = _verified(created.json())
    assert subscription["resource"] == world.legal_person.code and subscription["is_live"]
    assert subscription["kinds"] == ["enterprise_deregistered", "record_corrected"]
    listed = _verified(client.get(API, **headers).json())
    assert [row["id"] for row in listed["items"]] == [subscription["id"]] and listed["next_cursor"] is None
    assert CIVIL_URL not in str(listed)  # not another system's
    deleted = client.delete(f"{API}/{subscription['id']}", **headers)
    assert deleted.status_code == 200 and _verified(deleted.json())["cancelled_at"]
    assert _verified(client.get(API, **headers).json())["items"] == []
    everything = _verified(client.get(API, {"include_cancelled": "true"}, **headers).json())
    assert len(everything["items"]) == 1


def test_another_system_can_neither_use_see_nor_cancel_a_grant_or_subscription(client, world):
    headers = system_token(world.housing_system, "housing-token")
    refused = client.post(
        API,
        {"grant": world.civil_grant.pk, "url": "https://zj.example.gov.cn/h"},
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 404 and _verified(refused.json())["error"]["code"] == "grant_not_found"
    gone = client.delete(f"{API}/{world.civil_sub.pk}", **headers)
    assert gone.status_code == 404 and _verified(gone.json())["error"]["code"] == "subscription_not_found"
    assert _verified(client.get(API, **headers).json())["items"] == []
    world.civil_sub.refresh_from_db()
    assert world.civil_sub.cancelled_at is None
    # a system of the same department but without the grant: the same
    twin = make_system(world.civil, "civil-twin")
    twin_headers = system_token(twin, "twin-token")
    assert client.delete(f"{API}/{world.civil_sub.pk}", **twin_headers).status_code == 404
    assert _verified(client.get(API, **twin_headers).json())["items"] == []


def test_revoked_grants_bad_urls_and_kinds_are_refused_in_a_signed_answer(client, world):
    headers = system_token(world.civil_system, "civil-token")
    revoke_grant(actor=world.police_admin, grant_id=world.civil_grant.pk, reason="用途已结束")
    for body, status, code in (
        ({"grant": world.civil_grant.pk, "url": "https://mz.example.gov.cn/x"}, 409, "grant_not_live"),
    ):
        response = client.post(API, body, content_type="application/json", **headers)
        assert response.status_code == status and _verified(response.json())["error"]["code"] == code
    # a live grant of its own, with a private address or a kind the resource does not announce
    headers = system_token(world.housing_system, "housing-token")
    for body, code in (
        ({"grant": world.housing_grant.pk, "url": "http://169.254.169.254/latest"}, "unsafe_webhook_url"),
        (
            {"grant": world.housing_grant.pk, "url": "https://zj.example.gov.cn/h", "kinds": ["x"]},
            "unknown_change_kind",
        ),
    ):
        response = client.post(API, body, content_type="application/json", **headers)
        assert response.status_code == 400 and _verified(response.json())["error"]["code"] == code


def test_people_tokens_sessions_and_tokens_without_the_scope_are_refused_in_signed_answers(client, world):
    anonymous = client.get(API)
    assert anonymous.status_code == 401 and _verified(anonymous.json())["error"]["code"] == "token_required"
    login_with_second_factor(client, world.civil_admin)
    assert client.get(API).status_code == 401  # a session is not a system
    client.logout()
    person = bearer_token(world.civil_admin, "exchange", "person-token")
    refused = client.get(API, **person)
    assert refused.status_code == 401 and _verified(refused.json())["error"]["code"] == "invalid_token"
    unscoped = system_token(world.civil_system, "unscoped-token", scope="openid")
    for response in (client.get(API, **unscoped), client.delete(f"{API}/{world.civil_sub.pk}", **unscoped)):
        assert response.status_code == 403
        assert _verified(response.json())["error"]["code"] == "insufficient_scope"
    world.civil_sub.refresh_from_db()
    assert world.civil_sub.cancelled_at is None


def test_bad_bodies_and_limits_get_a_signed_400(client, world):
    headers = system_token(world.civil_system, "civil-token")
    for body in ({"grant": "abc", "url": CIVIL_URL}, {"url": CIVIL_URL}, {"grant": 1, "url": "x" * 501}):
        response = client.post(API, body, content_type="application/json", **headers)
        assert response.status_code == 400 and _verified(response.json())["error"]["code"] == "invalid_input"
    not_json = client.post(API, "{", content_type="application/json", **headers)
    assert not_json.status_code == 400 and "error" in _verified(not_json.json())
    limit = client.get(API, {"limit": 0}, **headers)
    assert limit.status_code == 400 and _verified(limit.json())["error"]["code"] == "invalid_limit"


def test_the_overview_links_to_the_subscriptions_and_the_list_stacks_on_a_phone(client, world):
    login_with_second_factor(client, world.civil_admin)
    assert 'href="/exchange/subscriptions/"' in client.get("/exchange/").content.decode()
    page = client.get(PAGE).content.decode()
    assert 'class="data-table stack-on-phone"' in page and 'data-label="推送地址"' in page
    assert 'name="viewport"' in page
