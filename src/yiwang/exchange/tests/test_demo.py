"""The demo's exchange: two consuming systems of two departments with different grants, idempotent,
and the banner lists their client ids and how each gets a token (its secret, or a private-key assertion
once the demo key is registered); a system of the demo gets a token and calls."""

from __future__ import annotations

import json

import pytest

from yiwang.demo.accounts import create_demo_accounts
from yiwang.demo.banner import render_banner
from yiwang.exchange.demo import DEMO_GRANTS, DEMO_PURPOSE_ITEM, DEMO_SYSTEMS, load_demo_exchange
from yiwang.exchange.models import Grant, Resource
from yiwang.licenses.demo import load_demo_licenses
from yiwang.registers.models import LegalPerson, Person, RealEstateOwner
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
    assert grants == {(client, code): sorted(items) for client, code, items, _ in DEMO_GRANTS}
    # every register and the license library is granted to one of the two systems
    assert {code for _, code in grants} == set(Resource.objects.values_list("code", flat=True))
    assert Resource.objects.count() == 7
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


def _token(client, client_id: str, secret: str) -> dict:
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "exchange",
        },
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['access_token']}"}


def _verify(client, headers, client_id, resource, key, assertions):
    body = {
        "resource": resource,
        "key": key,
        "assertions": assertions,
        "purpose": DEMO_PURPOSE_ITEM[client_id],
        "case_number": "DEMO-2",
    }
    response = client.post(
        "/api/v1/exchange/verify", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    return response.json()["payload"]["results"]


def test_demo_systems_verify_on_the_new_resources(client):
    generate_registers(size="test")
    create_demo_accounts()
    load_demo_licenses()
    load_demo_exchange()
    rsj, scj = (system[:2] for system in DEMO_SYSTEMS)
    # the benefits system: does the applicant own the property they declared?
    owner = RealEstateOwner.objects.select_related("estate").first()
    rsj_headers = _token(client, *rsj)
    certificate = owner.estate.certificate_number
    assert _verify(
        client, rsj_headers, rsj[0], "BDC-511602-0001", owner.owner_id_number, {"owner_of": certificate}
    ) == {"owner_of": True}
    # the registration system: does the company hold a valid business license, and is it on a dishonesty list?
    company = LegalPerson.objects.filter(status="active").order_by("credit_code").first()
    scj_headers = _token(client, *scj)
    held = _verify(
        client,
        scj_headers,
        scj[0],
        "DZZZ-511602-0001",
        company.credit_code,
        {"holds_license": "BUSINESS_LICENSE"},
    )
    assert held == {"holds_license": True}
    assert set(
        _verify(
            client, scj_headers, scj[0], "XY-511602-0001", company.credit_code, {"has_dishonest_record": True}
        )
    ) == {"has_dishonest_record"}


def test_once_the_demo_key_is_registered_the_banner_shows_how_to_get_a_token_not_the_refused_secret(
    client, settings, tmp_path
):
    from yiwang.identity.oidc.demo_keys import DEMO_JWT_CLIENT_ID, ensure_demo_client_key

    # given the demo as make run leaves it: the benefits system switched to private_key_jwt
    settings.VAR_DIR = tmp_path
    generate_registers(size="test")
    create_demo_accounts()
    load_demo_exchange()
    ensure_demo_client_key()
    (jwt_id, jwt_secret), (secret_id, secret) = (system[:2] for system in DEMO_SYSTEMS)
    assert jwt_id == DEMO_JWT_CLIENT_ID
    # when the banner is printed
    banner = render_banner(base_url="http://127.0.0.1:8000")
    # then it names the system and the tool that makes its assertion, and not a secret the platform refuses
    assert jwt_secret not in banner
    assert f"client_id {jwt_id}  private_key_jwt" in banner and "tools/client_assertion.py assert" in banner
    assert "client-assertion-type:jwt-bearer" in banner
    refused = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": jwt_id,
            "client_secret": jwt_secret,
            "scope": "exchange",
        },
    )
    assert refused.status_code == 401
    # and the system still on a secret keeps it in the banner
    assert f"client_id {secret_id}  client_secret {secret}" in banner
