"""The demo's exchange: two consuming systems of two departments with different grants, idempotent,
and the banner lists their client ids and secrets; a system of the demo gets a token and calls."""

from __future__ import annotations

import json

import pytest

from yiwang.demo.accounts import create_demo_accounts
from yiwang.demo.banner import render_banner
from yiwang.exchange.demo import DEMO_PURPOSE_ITEM, DEMO_SYSTEMS, load_demo_exchange
from yiwang.exchange.models import Grant
from yiwang.registers.models import Person
from yiwang.registers.services import generate_registers

pytestmark = pytest.mark.django_db


def test_demo_systems_have_different_grants_and_a_second_run_changes_nothing(client):
    generate_registers(size="test")
    create_demo_accounts()
    load_demo_exchange()
    load_demo_exchange()
    grants = {
        (grant.system.client_id, grant.resource.code): sorted(grant.masks)
        for grant in Grant.objects.select_related("system", "resource")
    }
    assert grants == {
        ("demo-rsj-benefits", "RK-511602-0001"): ["birth_date", "id_number", "is_deceased", "name"],
        ("demo-rsj-benefits", "FR-511602-0001"): ["legal_representative_name", "name", "status"],
        ("demo-scj-registration", "RK-511602-0001"): ["is_deceased", "name"],
    }
    banner = render_banner(base_url="http://127.0.0.1:8000")
    for client_id, secret, *_ in DEMO_SYSTEMS:
        assert client_id in banner and secret in banner
    # and the market regulator's system, granted name and death only, verifies but cannot read the birth date
    client_id, secret = DEMO_SYSTEMS[1][:2]
    token = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "exchange",
        },
    ).json()["access_token"]
    person = Person.objects.filter(is_deceased=False).first()
    body = {
        "resource": "RK-511602-0001",
        "key": person.id_number,
        "purpose": DEMO_PURPOSE_ITEM[client_id],
        "case_number": "DEMO-1",
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    verified = client.post(
        "/api/v1/exchange/verify",
        json.dumps({**body, "assertions": {"alive": True, "name": person.name}}),
        content_type="application/json",
        **headers,
    )
    assert verified.json()["payload"]["results"] == {"alive": True, "name": True}
    refused = client.post(
        "/api/v1/exchange/query",
        json.dumps({**body, "items": ["birth_date"]}),
        content_type="application/json",
        **headers,
    )
    assert refused.status_code == 403
