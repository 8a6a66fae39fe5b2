"""POST /exchange/verify/batch: the same assertions for up to 100 keys, true or false per key, never the
data; the grant checked once (the authorization matrix as for a batch query); one read entry per key in
each person's tracker; bad batches refused whole, signed, nothing read."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.conftest import built_once, read_again
from yiwang.exchange.constants import OpenType, SharingType, UpdateCycle
from yiwang.exchange.models import Grant, Resource
from yiwang.exchange.services import revoke_grant
from yiwang.identity.tests.factories import UserFactory
from yiwang.registers.constants import RegisterCode

from .factories import CONSUMER_ITEM
from .resources_world import CASE, CERTIFICATE, LICENSE_TYPE, make_all_resources

pytestmark = pytest.mark.django_db

VERIFY_BATCH = "/api/v1/exchange/verify/batch"
UNKNOWN = "110101199003071237"  # a valid ID number nobody in the registers has
POPULATION = RegisterCode.POPULATION.value
# per source: what the civil affairs system asks, and the log's name of the read
ASKED = {
    POPULATION: ({"alive": True, "name": "李小红"}, "registers.person_read"),
    RegisterCode.REAL_ESTATE: ({"owner_of": CERTIFICATE}, "registers.real_estate_read"),
    RegisterCode.SOCIAL_INSURANCE: ({"insured": True}, "registers.social_insurance_read"),
    RegisterCode.HOUSING_FUND: ({"housing_fund_active": True}, "registers.housing_fund_read"),
    RegisterCode.CREDIT: ({"has_dishonest_record": True}, "registers.credit_read"),
    "licenses": ({"holds_license": LICENSE_TYPE}, "licenses.license_read"),
}


@pytest.fixture(scope="module")
def _all_resources(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, make_all_resources) as world:
        yield world


@pytest.fixture
def world(_all_resources):
    """Every resource and grant, built once for the module, as the database has them at this test's start."""
    return read_again(_all_resources)


def _post(client, body, headers):
    return client.post(VERIFY_BATCH, data=json.dumps(body), content_type="application/json", **headers)


def _resource(world, source: str) -> Resource:
    return world.base.population if source == POPULATION else world.resources[source]


def _body(world, source: str = POPULATION, **overrides) -> dict:
    body = {
        "resource": _resource(world, source).code,
        "keys": [world.person.id_number, UNKNOWN, world.other.id_number],
        "assertions": ASKED[source][0],
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return {**body, **overrides}


def _secrets(world) -> list[str]:
    person = world.person
    return [person.id_number, person.name, UNKNOWN, world.other.id_number, world.other.name, "1979-08-15"]


def _assert_no_data(response, world) -> None:
    text = json.dumps(response.json()["payload"], ensure_ascii=False)
    for secret in _secrets(world):
        assert secret not in text, secret


# The allowed batch -------------------------------------------------------------------------------------


def test_each_key_is_answered_true_or_false_in_order_and_never_with_the_data(client, world):
    response = _post(client, _body(world), world.civil_headers)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == {"payload", "signature"}
    payload = answer["payload"]
    assert set(payload) == {"resource", "purpose", "case_number", "grant", "results", "counts", "answered_at"}
    keys = [world.person.id_number, UNKNOWN, world.other.id_number]
    assert [(result["index"], result["key_digest"], result["status"]) for result in payload["results"]] == [
        (0, subject_hash(keys[0]), "verified"),
        (1, subject_hash(keys[1]), "not_found"),
        (2, subject_hash(keys[2]), "verified"),
    ]
    assert payload["results"][0]["results"] == {"alive": True, "name": True}
    assert payload["results"][2]["results"] == {"alive": True, "name": False}
    assert (
        payload["results"][1]["error"]["code"] == "person_not_found"
        and "results" not in payload["results"][1]
    )
    assert payload["counts"] == {"verified": 2, "not_found": 1, "refused": 0}
    for result in payload["results"]:
        assert set(result) <= {"index", "key_digest", "status", "results", "error"}
    _assert_no_data(response, world)


@pytest.mark.parametrize("source", [source for source in ASKED if source != POPULATION])
def test_every_resource_verifies_in_batches(client, world, source):
    keys = [world.person.id_number, world.other.id_number]
    if source == "licenses":
        keys = [world.person.id_number, world.license.identifier]
    response = _post(client, _body(world, source, keys=keys), world.civil_headers)
    assert response.status_code == 200, response.content
    results = response.json()["payload"]["results"]
    assert [result["status"] for result in results] == ["verified", "verified"]
    assert results[0]["results"] == dict.fromkeys(ASKED[source][0], True)
    if source != "licenses":  # the other person owns nothing, is insured nowhere, has a clean record …
        assert results[1]["results"] == dict.fromkeys(ASKED[source][0], False)
    else:  # … and the license is the person's, valid
        assert results[1]["results"] == {"holds_license": True}


def test_each_key_is_logged_once_and_the_batch_once(client, world):
    keys = [world.person.id_number, UNKNOWN, world.other.id_number]
    _post(client, _body(world), world.civil_headers)
    reads = AuditEntry.objects.filter(action="registers.person_read").order_by("pk")
    assert [entry.subject_hash for entry in reads] == [subject_hash(key) for key in keys]
    assert [entry.outcome for entry in reads] == ["allowed", "refused", "allowed"]
    assert {(entry.system, entry.ground_ref, entry.on_behalf_of) for entry in reads} == {
        ("civil-system", CASE, world.base.civil.name)
    }
    assert {tuple(entry.fields) for entry in reads} == {("is_deceased", "name")}
    call = AuditEntry.objects.get(action="exchange.verify_batch")
    assert (call.outcome, call.actor_department, call.purpose, call.ground_ref) == (
        "allowed",
        world.base.civil,
        CONSUMER_ITEM,
        CASE,
    )
    assert call.details["keys"] == "3" and call.details["ms"] > 0


def test_each_person_of_the_batch_sees_the_check_in_their_tracker(client, world):
    _post(client, _body(world), world.civil_headers)
    for person in (world.person, world.other):
        client.force_login(UserFactory(level3=True, id_number=person.id_number))
        uses = client.get("/api/v1/me/data-uses").json()["items"]
        read = next(use for use in uses if use["action"] == "registers.person_read")
        assert (read["system"], read["ground_ref"]) == ("civil-system", CASE)
        client.logout()


def test_a_batch_of_the_documented_maximum_is_answered(client, world):
    keys = [world.person.id_number] + [f"51160219900101{n:04d}" for n in range(99)]
    response = _post(client, _body(world, keys=keys), world.civil_headers)
    assert response.status_code == 200
    assert response.json()["payload"]["counts"] == {"verified": 1, "not_found": 99, "refused": 0}
    assert AuditEntry.objects.filter(action="registers.person_read").count() == 100


# The authorization matrix ------------------------------------------------------------------------------


def _not_shared_copy(world, source: str) -> Resource:
    original = _resource(world, source)
    return Resource.objects.create(
        code=f"{original.code}-NS",
        name=f"{original.name}（核心）",
        provider=original.provider,
        summary="不予共享",
        source=source,
        sharing_type=SharingType.NOT_SHARED,
        legal_basis="《中华人民共和国个人信息保护法》第二十八条",
        open_type=OpenType.NOT_OPEN,
        update_cycle=UpdateCycle.DAILY,
        published_on=timezone.localdate(),
    )


def _grant(world, source: str) -> Grant:
    return Grant.objects.get(system=world.base.civil_system, resource=_resource(world, source))


def _refused_batch(world, source: str, case: str) -> tuple[dict, dict]:
    headers, overrides = world.civil_headers, {}
    if case == "no_grant":
        headers = world.housing_headers
    elif case == "grant_expired":
        Grant.objects.filter(pk=_grant(world, source).pk).update(
            ends_on=timezone.localdate() - dt.timedelta(days=1)
        )
    elif case == "grant_revoked":
        admin = world.base.police_admin if source == POPULATION else world.provider_admins[source]
        revoke_grant(actor=admin, grant_id=_grant(world, source).pk, reason="超范围使用")
    elif case == "purpose_not_granted":
        overrides["purpose"] = "511602-999-00-001"
    elif case == "resource_not_shared":
        overrides["resource"] = _not_shared_copy(world, source).code
    elif case == "resource_not_shared_under_a_live_grant":
        Resource.objects.filter(pk=_resource(world, source).pk).update(sharing_type=SharingType.NOT_SHARED)
    return _body(world, source, **overrides), headers


CASES = [
    "no_grant",
    "grant_expired",
    "grant_revoked",
    "purpose_not_granted",
    "resource_not_shared",
    "resource_not_shared_under_a_live_grant",
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("source", list(ASKED))
def test_refused_batches_read_nothing_answer_nothing_and_log_each_key(client, world, source, case):
    body, headers = _refused_batch(world, source, case)
    response = _post(client, body, headers)
    code = "resource_not_shared" if case.startswith("resource_not_shared") else case
    assert response.status_code == 403, response.content
    answer = response.json()
    assert answer["payload"]["error"]["code"] == code and "signature" in answer
    assert "results" not in answer["payload"]
    _assert_no_data(response, world)
    assert not AuditEntry.objects.filter(action=ASKED[source][1]).exists()  # nothing was read
    refused = AuditEntry.objects.filter(action="exchange.verify_batch", outcome="refused", reason=code)
    assert sorted(entry.subject_hash for entry in refused) == sorted(
        subject_hash(key) for key in body["keys"]
    )


def test_an_assertion_on_items_outside_the_grant_is_refused(client, world):
    # the population grant covers name and death, not the birth date age_over relies on
    response = _post(client, _body(world, assertions={"alive": True, "age_over": 18}), world.civil_headers)
    assert response.status_code == 403
    assert response.json()["payload"]["error"]["code"] == "items_not_granted"
    assert not AuditEntry.objects.filter(action="registers.person_read").exists()


def test_an_item_waiting_for_the_platforms_second_approval_is_refused(client, world):
    # the housing fund balance (core) is approved by the provider only; no assertion may rely on it, and
    # the granted is_active still verifies: the refusal is about items, not the resource
    assert world.core_request.status == "second_approval"
    body = _body(world, RegisterCode.HOUSING_FUND, assertions={"housing_fund_active": True})
    assert _post(client, body, world.civil_headers).status_code == 200


# Bad batches -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "assertions", "code"),
    [
        ([], {"alive": True}, "batch_empty"),
        ([f"51160219900101{n:04d}" for n in range(101)], {"alive": True}, "batch_too_large"),
        ([UNKNOWN, f" {UNKNOWN.lower()} "], {"alive": True}, "duplicate_keys"),
        ([UNKNOWN], {"owner_of": "x"}, "unknown_assertion"),
        ([UNKNOWN], {"age_over": "18"}, "invalid_assertion_value"),
        ([UNKNOWN], {}, "unknown_assertion"),
    ],
    ids=["empty", "too many", "repeated", "unknown assertion", "wrong kind", "no assertion"],
)
def test_bad_batches_are_refused_whole_signed_and_read_nothing(client, world, keys, assertions, code):
    response = _post(client, _body(world, keys=keys, assertions=assertions), world.civil_headers)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["payload"]["error"]["code"] == code and "signature" in answer
    assert UNKNOWN not in response.content.decode()  # positions, never the numbers
    assert not AuditEntry.objects.filter(
        action__in=["registers.person_read", "exchange.verify_batch"]
    ).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"keys": [UNKNOWN]},  # no resource, purpose, case, assertions
        {"resource": "RK", "keys": UNKNOWN, "assertions": {}, "purpose": "x", "case_number": "y"},
        {"resource": "RK", "keys": ["\x00"], "assertions": {}, "purpose": "x", "case_number": "y"},
    ],
    ids=["missing fields", "keys not a list", "control character"],
)
def test_bodies_outside_the_schema_are_a_signed_400(client, world, body):
    response = _post(client, body, world.civil_headers)
    assert response.status_code == 400
    assert "signature" in response.json()


def test_without_a_token_the_batch_is_a_signed_401(client, world):
    response = _post(client, _body(world), {})
    assert response.status_code == 401
    assert response.json()["payload"]["error"]["code"] == "token_required"
