"""The exchange API for departmental systems: every kind of caller on every endpoint, nothing leaked.

Systems with and without a grant, expired and revoked grants, a purpose or items outside the grant,
core items without the second approval, a 不予共享 resource; masking field by field; verify answers
true or false and never the data; every call, allowed or refused, is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.conftest import bearer_token
from yiwang.exchange.constants import Mask, OpenType, SharingType, UpdateCycle
from yiwang.exchange.models import Resource
from yiwang.exchange.services import approve_sensitive_request, decide_request, request_resource, revoke_grant
from yiwang.identity.tests.factories import UserFactory
from yiwang.registers.tests.factories import LegalPersonFactory, PersonFactory

from .factories import CONSUMER_ITEM, make_system, make_world, system_token

pytestmark = pytest.mark.django_db

QUERY = "/api/v1/exchange/query"
VERIFY = "/api/v1/exchange/verify"
METHODS = "/api/v1/exchange/methods"
CASE = "MZ-2026-000123"


def _ask(world, *, actor, consumer, system, resource, items, full_items=(), ends_on=None):
    return request_resource(
        actor=actor,
        resource=resource,
        consumer=consumer,
        system=system,
        purpose="最低生活保障审核",
        service_item_codes=[CONSUMER_ITEM],
        legal_basis="《社会救助暂行办法》第十一条",
        item_codes=list(items),
        full_items=list(full_items),
        ends_on=ends_on or world.ends_on,
    )


@pytest.fixture
def world():
    world = make_world()
    # civil affairs: the population register, decided by the police; the address withheld on decision
    share = _ask(
        world,
        actor=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("name", "id_number", "birth_date", "is_deceased", "household_address"),
        full_items=("birth_date",),
    )
    decide_request(
        actor=world.police_admin,
        request_id=share.pk,
        approve=True,
        masks={"household_address": Mask.WITHHELD},
    )
    # four sensitive items of one person at once: the platform's second approval as well (aggregation)
    approve_sensitive_request(actor=world.platform_admin, request_id=share.pk, approve=True)
    share.refresh_from_db()
    world.civil_grant = share.grant
    # and marital status (core), approved by the police but not yet by the platform
    core = _ask(
        world,
        actor=world.civil_admin,
        consumer=world.civil,
        system=world.civil_system,
        resource=world.population,
        items=("marital_status",),
    )
    decide_request(actor=world.police_admin, request_id=core.pk, approve=True)
    # housing: the legal-person register (unconditional), granted at once
    world.housing_grant = _ask(
        world,
        actor=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.legal_person,
        items=("name", "status", "legal_representative_id_number"),
    ).grant
    world.person = PersonFactory(
        name="王小明", surname="王", given_name="小明", birth_date=dt.date(1985, 3, 1)
    )
    world.company = LegalPersonFactory(name="广安区绿水科技有限公司")
    world.civil_headers = system_token(world.civil_system, "civil-token")
    world.housing_headers = system_token(world.housing_system, "housing-token")
    return world


def _post(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _person_query(world, **overrides):
    body = {
        "resource": world.population.code,
        "key": world.person.id_number,
        "items": ["name", "id_number", "birth_date", "is_deceased", "household_address"],
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return {**body, **overrides}


def _assert_nothing_leaked(response, person):
    text = response.content.decode()
    for secret in (person.name, person.id_number, person.id_number[6:14], person.household_address):
        assert secret not in text


# Query: the allowed call, field by field ------------------------------------------------------------


def test_granted_system_gets_exactly_the_granted_items_masked_per_grade_and_grant(client, world):
    response = _post(client, QUERY, _person_query(world), world.civil_headers)
    assert response.status_code == 200, response.content
    payload = response.json()["payload"]
    person = world.person
    assert (
        payload["items"]
        == {
            "name": "王**",  # grade 3: partial (the surname)
            "id_number": person.id_number[:3] + "*" * 11 + person.id_number[-4:],  # grade 3: partial
            "birth_date": "1985-03-01",  # grade 3, asked in full and granted so
            "is_deceased": False,  # grade 2: full
            "household_address": None,  # withheld by the provider's decision
        }
    )
    assert payload["masks"] == {
        "name": "partial",
        "id_number": "partial",
        "birth_date": "full",
        "is_deceased": "full",
        "household_address": "withheld",
    }
    assert payload["case_number"] == CASE and payload["grant"] == world.civil_grant.pk
    assert person.household_address not in response.content.decode()
    assert person.id_number not in response.content.decode()


def test_allowed_query_is_logged_by_the_register_gate_and_the_exchange(client, world):
    _post(client, QUERY, _person_query(world, items=["name"]), world.civil_headers)
    read = AuditEntry.objects.get(action="registers.person_read")
    assert read.subject_hash == subject_hash(world.person.id_number)  # the resident's tracker shows it
    assert (read.system, read.ground_kind, read.ground_ref) == ("civil-system", "case", CASE)
    assert read.on_behalf_of == world.civil.name
    assert read.actor_department == world.civil  # the tracker names the consumer, not the data's owner
    call = AuditEntry.objects.get(action="exchange.query")
    assert (call.outcome, call.actor_department, call.purpose, call.ground_ref) == (
        "allowed",
        world.civil,
        CONSUMER_ITEM,
        CASE,
    )


# Query: the refusals ----------------------------------------------------------------------------------


def _refused(client, world, body, headers, code):
    response = _post(client, QUERY, body, headers)
    assert response.status_code == 403, response.content
    assert response.json()["payload"]["error"]["code"] == code
    _assert_nothing_leaked(response, world.person)
    entry = AuditEntry.objects.filter(action="exchange.query").latest("pk")
    assert (entry.outcome, entry.reason, entry.ground_ref) == ("refused", code, CASE)
    assert entry.subject_hash == subject_hash(body["key"])
    assert not AuditEntry.objects.filter(action="registers.person_read").exists()  # nothing was read


def test_system_without_a_grant_is_refused(client, world):
    _refused(client, world, _person_query(world), world.housing_headers, "no_grant")


def test_purpose_outside_the_grant_is_refused(client, world):
    _refused(
        client, world, _person_query(world, purpose="511602-999"), world.civil_headers, "purpose_not_granted"
    )


def test_items_outside_the_grant_are_refused_whole(client, world):
    body = _person_query(world, items=["name", "phone"])
    _refused(client, world, body, world.civil_headers, "items_not_granted")


def test_core_item_without_the_second_approval_is_refused(client, world):
    body = _person_query(world, items=["marital_status"])
    _refused(client, world, body, world.civil_headers, "items_not_granted")


def test_expired_grant_is_refused(client, world):
    world.civil_grant.ends_on = timezone.localdate() - dt.timedelta(days=1)
    world.civil_grant.save(update_fields=["ends_on"])
    _refused(client, world, _person_query(world), world.civil_headers, "grant_expired")


def test_revoked_grant_is_refused_at_once(client, world):
    revoke_grant(actor=world.police_admin, grant_id=world.civil_grant.pk, reason="超期未整改")
    _refused(client, world, _person_query(world), world.civil_headers, "grant_revoked")


def test_not_shared_resource_is_refused(client, world):
    Resource.objects.create(
        code="RK-511602-9999",
        name="人口核心信息",
        provider=world.police,
        summary="不予共享",
        source="population",
        sharing_type=SharingType.NOT_SHARED,
        legal_basis="《中华人民共和国居民身份证法》第十九条",
        open_type=OpenType.NOT_OPEN,
        update_cycle=UpdateCycle.REALTIME,
        published_on=timezone.localdate(),
    )
    body = _person_query(world, resource="RK-511602-9999")
    _refused(client, world, body, world.civil_headers, "resource_not_shared")


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "token_required"),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, "invalid_token"),
    ],
    ids=["anonymous", "unknown token"],
)
def test_callers_without_a_system_token_get_nothing(client, world, headers, code):
    response = _post(client, QUERY, _person_query(world), headers)
    assert response.status_code == 401
    assert response.json()["payload"]["error"]["code"] == code  # signed, with a code a system can act on
    assert response["WWW-Authenticate"].startswith("Bearer")
    _assert_nothing_leaked(response, world.person)


def test_a_persons_token_does_not_open_the_exchange(client, world):
    headers = bearer_token(UserFactory(level3=True), "exchange", "person-token")
    response = _post(client, QUERY, _person_query(world), headers)
    assert response.status_code == 401
    assert response.json()["payload"]["error"]["code"] == "invalid_token"
    _assert_nothing_leaked(response, world.person)


def test_a_system_token_without_the_exchange_scope_is_refused(client, world):
    headers = system_token(world.civil_system, "openid-only", scope="openid")
    response = _post(client, QUERY, _person_query(world), headers)
    assert response.status_code == 403
    assert response.json()["payload"]["error"]["code"] == "insufficient_scope"  # signed like every answer
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    _assert_nothing_leaked(response, world.person)


def test_a_system_token_does_not_open_person_endpoints(client, world):
    headers = system_token(world.civil_system, "cc-on-registers", scope="registers:read")
    body = {"id_number": world.person.id_number, "fields": ["name"], "purpose": "x", "ground_ref": "c"}
    response = _post(client, "/api/v1/registers/population/lookup", body, headers)
    assert response.status_code == 401  # not a 500: a token without a user opens no person's endpoint
    _assert_nothing_leaked(response, world.person)


def test_unknown_key_answers_not_found_signed(client, world):
    response = _post(client, QUERY, _person_query(world, key="11010119900307999X"), world.civil_headers)
    assert response.status_code == 404
    assert response.json()["payload"]["error"]["code"] == "person_not_found"
    assert "signature" in response.json()


def test_legal_person_query_under_an_unconditional_grant(client, world):
    body = {
        "resource": world.legal_person.code,
        "key": world.company.credit_code,
        "items": ["name", "legal_representative_id_number"],
        "purpose": CONSUMER_ITEM,
        "case_number": "ZJ-2026-7",
    }
    response = _post(client, QUERY, body, world.housing_headers)
    assert response.status_code == 200, response.content
    items = response.json()["payload"]["items"]
    assert items["name"] == world.company.name  # grade 1: full
    representative = world.company.legal_representative_id_number
    assert items["legal_representative_id_number"] == representative[:3] + "*" * 11 + representative[-4:]
    assert AuditEntry.objects.get(action="registers.legal_person_read").ground_ref == "ZJ-2026-7"
    # and the civil system, without a grant on it, gets nothing
    refused = _post(client, QUERY, body, world.civil_headers)
    assert refused.status_code == 403
    assert world.company.name not in refused.content.decode()


# Verify: yes or no, never the data ------------------------------------------------------------------


def _verify(world, assertions, **overrides):
    body = {
        "resource": world.population.code,
        "key": world.person.id_number,
        "assertions": assertions,
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return {**body, **overrides}


def test_verify_answers_true_or_false_per_assertion_and_never_the_data(client, world):
    assertions = {"alive": True, "age_over": 18, "name": "王小明"}
    response = _post(client, VERIFY, _verify(world, assertions), world.civil_headers)
    assert response.status_code == 200, response.content
    assert response.json()["payload"]["results"] == {"alive": True, "age_over": True, "name": True}
    wrong = _post(client, VERIFY, _verify(world, {"name": "王大明", "age_over": 60}), world.civil_headers)
    assert wrong.json()["payload"]["results"] == {"name": False, "age_over": False}
    for answer in (response, wrong):
        text = answer.content.decode()
        assert "1985" not in text and world.person.household_address not in text
        assert answer.json()["payload"]["key_digest"] == subject_hash(world.person.id_number)  # keyed
        assert set(answer.json()["payload"]) == {
            "resource",
            "key_digest",
            "purpose",
            "case_number",
            "grant",
            "results",
            "answered_at",
        }
    read = AuditEntry.objects.filter(action="registers.person_read").order_by("pk").first()
    assert sorted(read.fields) == ["birth_date", "is_deceased", "name"]


def test_verify_needs_the_items_it_checks_to_be_granted(client, world):
    # the housing system holds no population grant; the civil one holds no phone
    refused = _post(client, VERIFY, _verify(world, {"alive": True}), world.housing_headers)
    assert refused.status_code == 403
    assert refused.json()["payload"]["error"]["code"] == "no_grant"
    unknown = _post(client, VERIFY, _verify(world, {"phone": "13800000000"}), world.civil_headers)
    assert unknown.status_code == 400
    assert unknown.json()["payload"]["error"]["code"] == "unknown_assertion"


# Methods (allowedMethods) ----------------------------------------------------------------------------


def test_methods_list_only_this_systems_live_grants(client, world):
    civil = _get_methods(client, world.civil_headers)
    assert [method["resource"] for method in civil["methods"]] == [world.population.code]
    items = {item["code"]: item["mask"] for item in civil["methods"][0]["items"]}
    assert "marital_status" not in items and items["household_address"] == "withheld"
    assert civil["methods"][0]["purposes"] == [CONSUMER_ITEM]
    housing = _get_methods(client, world.housing_headers)
    assert [method["resource"] for method in housing["methods"]] == [world.legal_person.code]
    revoke_grant(actor=world.housing_admin, grant_id=world.housing_grant.pk, reason="停用")
    assert _get_methods(client, world.housing_headers)["methods"] == []


def test_methods_cost_the_same_queries_however_many_grants_a_system_holds(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _get_methods(client, world.housing_headers)  # the signing key exists from here on
    with CaptureQueriesContext(connection) as one_grant:
        _get_methods(client, world.housing_headers)
    # a second live grant for the same system (the legal-person register is unconditional: granted at once)
    _ask(
        world,
        actor=world.housing_admin,
        consumer=world.housing,
        system=world.housing_system,
        resource=world.legal_person,
        items=("name",),
    )
    with CaptureQueriesContext(connection) as two_grants:
        assert len(_get_methods(client, world.housing_headers)["methods"]) == 2
    assert len(two_grants) == len(one_grant)


def _get_methods(client, headers):
    response = client.get(METHODS, **headers)
    assert response.status_code == 200, response.content
    return response.json()["payload"]


def test_client_credentials_token_from_the_token_endpoint_opens_the_exchange(client, world):
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": "civil-system",
            "client_secret": "civil-system-secret",
            "scope": "exchange",
        },
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    methods = _get_methods(client, {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    assert methods["system"] == "civil-system"


def test_a_browser_client_cannot_get_a_client_credentials_token(client, world):
    make_system(world.civil, "civil-portal", grant_type=Application.GRANT_AUTHORIZATION_CODE)
    response = client.post(
        "/o/token/",
        {
            "grant_type": "client_credentials",
            "client_id": "civil-portal",
            "client_secret": "civil-portal-secret",
            "scope": "exchange",
        },
    )
    assert response.status_code in {400, 401}


def test_unknown_resource_is_refused_and_logged(client, world):
    response = _post(client, QUERY, _person_query(world, resource="XX-0000"), world.civil_headers)
    assert response.status_code == 404
    assert response.json()["payload"]["error"]["code"] == "resource_not_found"
    entry = AuditEntry.objects.get(action="exchange.query")
    assert (entry.outcome, entry.reason, entry.object_id) == ("refused", "resource_not_found", "XX-0000")


def test_the_residents_data_tracker_shows_the_exchange_read(client, world):
    # given a query by the civil affairs system under a case
    _post(client, QUERY, _person_query(world, items=["name"]), world.civil_headers)
    # when the resident opens 我的数据使用记录
    resident = UserFactory(level3=True, id_number=world.person.id_number)
    client.force_login(resident)
    uses = client.get("/api/v1/me/data-uses").json()["items"]
    # then the read is there, with the calling system, the consumer, the purpose and the case
    read = next(use for use in uses if use["action"] == "registers.person_read")
    assert (read["system"], read["ground_kind"], read["ground_ref"]) == ("civil-system", "case", CASE)
    assert read["department"]["name"] == world.police.name
    assert CONSUMER_ITEM in read["purpose"]
    # and the page names the consuming department as the reader, not the police who hold the data
    page = client.get("/me/data-uses").content.decode()
    title = page.split('class="card-title">', 1)[1].split("</p>", 1)[0]
    assert world.civil.name in title and world.police.name not in title


def test_the_registers_own_gate_decides_every_exchange_read(client, world, monkeypatch):
    # given the registers' gate refusing platform systems (say, a policy tightened after an incident)
    from yiwang.registers import selectors as register_gate
    from yiwang.registers.policy import ReadDecision

    monkeypatch.setattr(
        register_gate, "decide_read", lambda **facts: ReadDecision(allowed=False, reason="not_permitted")
    )
    # when a system with a live grant queries: the exchange's grant check alone does not let it through
    response = _post(client, QUERY, _person_query(world, items=["name"]), world.civil_headers)
    assert response.status_code == 404
    assert world.person.name not in response.content.decode()
    read = AuditEntry.objects.get(action="registers.person_read")
    assert (read.outcome, read.reason) == ("refused", "not_permitted")
