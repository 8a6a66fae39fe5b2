"""The exchange in the admin: read-only, requests and grants only of the user's departments."""

from __future__ import annotations

import pytest

from yiwang.conftest import login_with_second_factor
from yiwang.exchange.services import request_resource
from yiwang.identity.services.admin_access import sync_admin_access

from .factories import CONSUMER_ITEM, make_world

pytestmark = pytest.mark.django_db

GRANTS = "/admin/exchange/grant/"


@pytest.fixture
def world():
    world = make_world()
    world.grant = request_resource(
        actor=world.housing_admin,
        resource=world.legal_person,
        consumer=world.housing,
        system=world.housing_system,
        purpose="商品房预售许可审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《城市商品房预售管理办法》第七条",
        item_codes=["name"],
        ends_on=world.ends_on,
    ).grant
    return world


def _login(client, user):
    sync_admin_access(user=user)
    login_with_second_factor(client, user)


@pytest.mark.parametrize("who", ["housing_admin", "market_admin"])
def test_both_departments_see_the_grant_read_only(client, world, who):
    _login(client, getattr(world, who))
    listing = client.get(GRANTS)
    assert listing.status_code == 200
    assert world.housing_system.name in listing.content.decode()
    change = client.get(f"{GRANTS}{world.grant.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()


def test_another_departments_administrator_sees_nothing(client, world):
    _login(client, world.civil_admin)
    assert world.housing_system.name not in client.get(GRANTS).content.decode()
    crafted = client.get(f"{GRANTS}{world.grant.pk}/change/")
    assert crafted.status_code == 302  # as if it did not exist
    assert client.get("/admin/exchange/sharerequest/").status_code == 200
