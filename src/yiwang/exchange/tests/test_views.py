"""The data administrators' pages: request a resource, the provider decides, either side revokes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from yiwang.conftest import login_with_second_factor
from yiwang.exchange.constants import RequestStatus, SharingType
from yiwang.exchange.models import Grant, ShareRequest

from .factories import CONSUMER_ITEM, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _request_form(world) -> dict:
    return {
        "consumer": world.civil.pk,
        "system": world.civil_system.pk,
        "purpose": "最低生活保障审核",
        "service_item_codes": CONSUMER_ITEM,
        "legal_basis": "《社会救助暂行办法》第十一条",
        "items": ["name", "is_deceased"],
        "ends_on": (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat(),
    }


def test_request_then_the_provider_approves_on_the_pages(client, world):
    # given the civil affairs data administrator asks for the population register
    login_with_second_factor(client, world.civil_admin)
    page = client.get(f"/exchange/resources/{world.population.code}/request")
    assert page.status_code == 200 and "姓名" in page.content.decode()
    response = client.post(f"/exchange/resources/{world.population.code}/request", _request_form(world))
    assert response.status_code == 302, response.content.decode()
    share = ShareRequest.objects.get()
    assert share.status == RequestStatus.PENDING
    # when the police data administrator approves it on the overview
    client.logout()
    login_with_second_factor(client, world.police_admin)
    overview = client.get("/exchange/").content.decode()
    assert "提交审核" in overview and world.civil.name in overview
    client.post(f"/exchange/requests/{share.pk}/decide", {"approve": "1"})
    # then the grant exists and both sides see it; a third department sees nothing
    grant = Grant.objects.get(request=share)
    assert world.civil_system.client_id in client.get("/exchange/").content.decode()
    client.logout()
    login_with_second_factor(client, world.housing_admin)
    assert world.civil_system.client_id not in client.get("/exchange/").content.decode()
    # and a stranger's revocation is refused as if the grant did not exist
    client.post(f"/exchange/grants/{grant.pk}/revoke", {"reason": "试试"})
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_refusal_without_a_reason_is_not_saved(client, world):
    login_with_second_factor(client, world.civil_admin)
    client.post(f"/exchange/resources/{world.population.code}/request", _request_form(world))
    share = ShareRequest.objects.get()
    client.logout()
    login_with_second_factor(client, world.police_admin)
    response = client.post(f"/exchange/requests/{share.pk}/decide", {"approve": "0"}, follow=True)
    assert "拒绝须说明理由" in response.content.decode()
    share.refresh_from_db()
    assert share.status == RequestStatus.PENDING


def test_not_shared_resource_shows_why_and_refuses_the_request(client, world):
    world.population.sharing_type = SharingType.NOT_SHARED
    world.population.legal_basis = "《中华人民共和国居民身份证法》第十九条"
    world.population.save()
    login_with_second_factor(client, world.civil_admin)
    assert "居民身份证法" in client.get("/exchange/").content.decode()
    response = client.post(f"/exchange/resources/{world.population.code}/request", _request_form(world))
    assert response.status_code == 200
    assert "居民身份证法" in response.content.decode()
    assert not ShareRequest.objects.exists()


def test_pages_need_a_verified_staff_member(client, world):
    assert client.get("/exchange/").status_code == 302  # to the login
