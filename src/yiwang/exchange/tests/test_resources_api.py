"""Every register and the e-license library through the exchange API: masking field by field, the
authorization matrix (query and batch), verify answering only true or false, and the reads in the log."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.conftest import built_once, read_again
from yiwang.core.errors import PermissionDenied
from yiwang.exchange.constants import OpenType, SharingType, UpdateCycle
from yiwang.exchange.models import Resource
from yiwang.exchange.selectors.register_sources import PopulationSource
from yiwang.exchange.services import revoke_grant
from yiwang.identity.tests.factories import UserFactory
from yiwang.licenses.services import change_license_status
from yiwang.registers.constants import RegisterCode

from .factories import CONSUMER_ITEM
from .resources_world import CASE, CERTIFICATE, CIVIL_GRANTS, LICENSE_TYPE, UNIT, make_all_resources

pytestmark = pytest.mark.django_db

QUERY = "/api/v1/exchange/query"
BATCH = "/api/v1/exchange/query/batch"
VERIFY = "/api/v1/exchange/verify"
# The log's name for a read of each source's record.
READ_ACTIONS = {
    RegisterCode.REAL_ESTATE: "registers.real_estate_read",
    RegisterCode.SOCIAL_INSURANCE: "registers.social_insurance_read",
    RegisterCode.HOUSING_FUND: "registers.housing_fund_read",
    RegisterCode.CREDIT: "registers.credit_read",
    "licenses": "licenses.license_read",
}


@pytest.fixture(scope="module")
def _all_resources(django_db_setup, django_db_blocker):
    with built_once(django_db_blocker, make_all_resources) as world:
        yield world


@pytest.fixture
def world(_all_resources):
    """Every resource and grant, as the database has them at the start of this test."""
    return read_again(_all_resources)


def _post(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _key(world, source: str) -> str:
    if source == RegisterCode.REAL_ESTATE:
        return CERTIFICATE
    if source == "licenses":
        return world.license.identifier
    return world.person.id_number


def _query(world, source: str, **overrides) -> dict:
    body = {
        "resource": world.resources[source].code,
        "key": _key(world, source),
        "items": list(CIVIL_GRANTS[source][0]),
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return {**body, **overrides}


def _partial(text: str) -> str:
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def _secrets(world) -> list[str]:
    """Values of the resident's records that must never appear where they are not granted."""
    person = world.person
    return [
        person.id_number,
        person.name,
        CERTIFICATE,
        UNIT,
        "测试路8号",
        "98.60",
        "中国测试银行",
        "511602000123",
        "45678.90",
        "1234.00",
        "广安区测试物流有限公司",
        "广安市广安区人民法院",
        "拒不履行",
        "2012-07-01",
        "2025-04-01",
        world.license.identifier,
    ]


def _assert_nothing_leaked(response, world) -> None:
    text = json.dumps(response.json()["payload"], ensure_ascii=False)
    for secret in _secrets(world):
        assert secret not in text, secret


# Query, field by field --------------------------------------------------------------------------------


def _expected_items(world, source: str) -> dict:
    person, license = world.person, world.license
    town_code = world.estate.region_id
    return {
        RegisterCode.REAL_ESTATE: {
            "certificate_number": _partial(CERTIFICATE),  # grade 3: partial
            "owner_id_numbers": [_partial(person.id_number)],  # grade 3, each value partial
            "owner_names": ["李**"],
            "use": "residential",  # grade 1: full
            "region_code": town_code,
            "mortgagee": None,  # withheld by the provider's decision
        },
        RegisterCode.SOCIAL_INSURANCE: {
            "name": "李**",
            "schemes": ["medical", "pension"],  # grade 2: full
            "contributing_schemes": ["pension"],
            "employer_name": "广安区测试物流有限公司",
            "months_paid": 161,  # grade 3, asked in full and granted so
            "started_on": "2012-07-01",
        },
        RegisterCode.HOUSING_FUND: {
            "is_active": True,
            "monthly_deposit": None,  # grade 3 amount: not shown in part
            "account_number": "511*****0123",
            "opened_on": "2013-02-01",
        },
        RegisterCode.CREDIT: {
            "subject_name": "李**",
            "has_dishonest_record": True,
            "kinds": ["dishonest"],  # the record past its publicity period is not shared
            "authorities": ["广安市广安区人民法院"],  # grade 1
            "decided_on": ["2025-04-01"],
        },
        "licenses": {
            "identifier": _partial(license.identifier),
            "license_type_code": LICENSE_TYPE,
            "status": "valid",
            "holder_code": _partial(person.id_number),
            "holder_name": "李小红",  # grade 3 asked in full
            "valid_until": license.valid_until.isoformat() if license.valid_until else None,
        },
    }[source]


@pytest.mark.parametrize("source", list(CIVIL_GRANTS))
def test_each_resource_answers_its_granted_items_masked_field_by_field(client, world, source):
    response = _post(client, QUERY, _query(world, source), world.civil_headers)
    assert response.status_code == 200, response.content
    payload = response.json()["payload"]
    assert payload["items"] == _expected_items(world, source)
    assert payload["key_digest"] == subject_hash(_key(world, source))
    assert set(payload["masks"]) == set(CIVIL_GRANTS[source][0])
    # the read is logged under the case, naming the resident, so their tracker shows it
    read = AuditEntry.objects.get(action=READ_ACTIONS[source])
    assert read.subject_hash == subject_hash(world.person.id_number)
    assert (read.outcome, read.system, read.ground_kind, read.ground_ref) == (
        "allowed",
        "civil-system",
        "case",
        CASE,
    )
    assert read.on_behalf_of == world.base.civil.name
    assert read.actor_department == world.base.civil
    assert sorted(read.fields) == sorted(CIVIL_GRANTS[source][0])


def test_the_real_estate_register_answers_by_unit_number_too(client, world):
    body = _query(world, RegisterCode.REAL_ESTATE, key=UNIT, items=["certificate_number"])
    response = _post(client, QUERY, body, world.civil_headers)
    assert response.json()["payload"]["items"] == {"certificate_number": _partial(CERTIFICATE)}


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (RegisterCode.REAL_ESTATE, "real_estate_not_found"),
        (RegisterCode.SOCIAL_INSURANCE, "insurance_not_found"),
        (RegisterCode.HOUSING_FUND, "housing_fund_not_found"),
        ("licenses", "license_not_found"),
    ],
)
def test_a_missing_record_is_a_signed_not_found_and_logged(client, world, source, code):
    key = "不存在的证书号" if source == RegisterCode.REAL_ESTATE else world.other.id_number
    response = _post(client, QUERY, _query(world, source, key=key), world.civil_headers)
    assert response.status_code == 404
    assert response.json()["payload"]["error"]["code"] == code and "signature" in response.json()
    entry = AuditEntry.objects.get(action=READ_ACTIONS[source])
    assert (entry.outcome, entry.reason) == ("refused", "not_found")


def test_a_clean_credit_record_is_an_answer_not_a_404(client, world):
    body = _query(world, RegisterCode.CREDIT, key=world.other.id_number)
    response = _post(client, QUERY, body, world.civil_headers)
    assert response.status_code == 200
    assert response.json()["payload"]["items"] == {
        "subject_name": None,
        "has_dishonest_record": False,
        "kinds": [],
        "authorities": [],
        "decided_on": [],
    }


# The authorization matrix (query and batch) -----------------------------------------------------------


def _not_shared_copy(world, source: str) -> Resource:
    original = world.resources[source]
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


def _refusal_case(world, source: str, case: str) -> tuple[dict, dict]:
    """The body and headers of a call refused for ``case`` (the grant set up accordingly)."""
    grant = world.grants[source]
    headers, overrides = world.civil_headers, {}
    if case == "no_grant":
        headers = world.housing_headers
    elif case == "grant_expired":
        grant.ends_on = timezone.localdate() - dt.timedelta(days=1)
        grant.save(update_fields=["ends_on"])
    elif case == "grant_revoked":
        revoke_grant(actor=world.provider_admins[source], grant_id=grant.pk, reason="超范围使用")
    elif case == "purpose_not_granted":
        overrides["purpose"] = "511602-999-00-001"
    elif case == "items_not_granted":
        ungranted = next(
            item.code for item in world.resources[source].items.all() if item.code not in grant.masks
        )
        overrides["items"] = [CIVIL_GRANTS[source][0][0], ungranted]
    elif case == "resource_not_shared":
        overrides["resource"] = _not_shared_copy(world, source).code
    return _query(world, source, **overrides), headers


REFUSALS = [
    "no_grant",
    "grant_expired",
    "grant_revoked",
    "purpose_not_granted",
    "items_not_granted",
    "resource_not_shared",
]


def _as_batch(body: dict, keys: list[str]) -> dict:
    batch = {name: value for name, value in body.items() if name != "key"}
    return {**batch, "keys": keys}


@pytest.mark.parametrize("case", REFUSALS)
@pytest.mark.parametrize("source", list(CIVIL_GRANTS))
@pytest.mark.parametrize("endpoint", ["query", "batch"])
def test_refused_calls_read_nothing_and_leak_nothing(client, world, source, case, endpoint):
    body, headers = _refusal_case(world, source, case)
    if endpoint == "batch":
        body = _as_batch(body, [body["key"], world.other.id_number])
    response = _post(client, QUERY if endpoint == "query" else BATCH, body, headers)
    assert response.status_code == 403, response.content
    assert response.json()["payload"]["error"]["code"] == case
    _assert_nothing_leaked(response, world)
    assert not AuditEntry.objects.filter(action=READ_ACTIONS[source]).exists()  # nothing was read
    action = "exchange.query" if endpoint == "query" else "exchange.query_batch"
    refused = AuditEntry.objects.filter(action=action, outcome="refused", reason=case)
    keys = body.get("keys") or [body["key"]]
    assert sorted(entry.subject_hash for entry in refused) == sorted(subject_hash(key) for key in keys)


@pytest.mark.parametrize("endpoint", ["query", "batch"])
def test_a_core_item_without_the_platforms_second_approval_is_refused(client, world, endpoint):
    assert world.core_request.status == "second_approval"
    body = _query(world, RegisterCode.HOUSING_FUND, items=["balance"])
    if endpoint == "batch":
        body = _as_batch(body, [world.person.id_number])
    response = _post(client, QUERY if endpoint == "query" else BATCH, body, world.civil_headers)
    assert response.status_code == 403
    assert response.json()["payload"]["error"]["code"] == "items_not_granted"
    assert "45678.90" not in json.dumps(response.json()["payload"])
    assert not AuditEntry.objects.filter(action="registers.housing_fund_read").exists()


# Batch ------------------------------------------------------------------------------------------------


def test_batch_answers_each_key_found_or_not_and_logs_each_read(client, world):
    keys = [world.person.id_number, "110101199003071237", world.other.id_number]
    body = {
        "resource": world.base.population.code,
        "keys": keys,
        "items": ["name", "is_deceased"],
        "purpose": CONSUMER_ITEM,
        "case_number": "MZ-2026-BATCH-1",
    }
    response = _post(client, BATCH, body, world.civil_headers)
    assert response.status_code == 200, response.content
    payload = response.json()["payload"]
    assert [result["status"] for result in payload["results"]] == ["found", "not_found", "found"]
    assert [result["index"] for result in payload["results"]] == [0, 1, 2]
    assert payload["results"][0]["items"] == {"name": "李**", "is_deceased": False}
    assert payload["results"][1]["error"]["code"] == "person_not_found"
    assert [result["key_digest"] for result in payload["results"]] == [subject_hash(key) for key in keys]
    assert payload["counts"] == {"found": 2, "not_found": 1, "refused": 0}
    assert world.person.id_number not in response.content.decode()
    # one read entry per key, each naming its subject under the batch's case; the call itself once
    reads = AuditEntry.objects.filter(action="registers.person_read").order_by("pk")
    assert [entry.subject_hash for entry in reads] == [subject_hash(key) for key in keys]
    assert {entry.ground_ref for entry in reads} == {"MZ-2026-BATCH-1"}
    call = AuditEntry.objects.get(action="exchange.query_batch")
    assert (call.outcome, call.details["keys"]) == ("allowed", "3")


def test_each_resident_of_a_batch_sees_the_read_in_their_tracker(client, world):
    body = _as_batch(
        _query(world, RegisterCode.SOCIAL_INSURANCE, items=["schemes"]), [world.person.id_number]
    )
    _post(client, BATCH, body, world.civil_headers)
    client.force_login(UserFactory(level3=True, id_number=world.person.id_number))
    uses = client.get("/api/v1/me/data-uses").json()["items"]
    read = next(use for use in uses if use["action"] == "registers.social_insurance_read")
    assert (read["system"], read["ground_ref"]) == ("civil-system", CASE)


def test_a_record_the_sources_gate_refuses_is_refused_in_the_batch_alone(client, world, monkeypatch):
    original = PopulationSource.read_many

    def refusing(self, *, keys, items, reader):
        batch = original(self, keys=keys, items=items, reader=reader)
        batch.records[world.other.id_number] = PermissionDenied(
            "该记录已被提供部门锁定", code="record_locked"
        )
        return batch

    monkeypatch.setattr(PopulationSource, "read_many", refusing)
    body = {
        "resource": world.base.population.code,
        "keys": [world.person.id_number, world.other.id_number],
        "items": ["name"],
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    results = _post(client, BATCH, body, world.civil_headers).json()["payload"]["results"]
    assert [result["status"] for result in results] == ["found", "refused"]
    assert results[1]["error"]["code"] == "record_locked" and "items" not in results[1]


def _batch_of(world, keys) -> dict:
    return {
        "resource": world.base.population.code,
        "keys": keys,
        "items": ["name"],
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }


@pytest.mark.parametrize(
    ("keys", "code"),
    [
        ([], "batch_empty"),
        ([f"51160219900101{n:04d}" for n in range(101)], "batch_too_large"),
        (["110101199003071237", " 110101199003071237 "], "duplicate_keys"),
        (["51160219900101123x", "51160219900101123X"], "duplicate_keys"),
    ],
    ids=["empty", "too many", "repeated", "repeated in another case"],
)
def test_bad_batches_are_refused_whole_signed_and_read_nothing(client, world, keys, code):
    response = _post(client, BATCH, _batch_of(world, keys), world.civil_headers)
    assert response.status_code == 400
    answer = response.json()
    assert answer["payload"]["error"]["code"] == code and "signature" in answer
    if code == "duplicate_keys":
        assert answer["payload"]["error"]["details"]["positions"] == [[0, 1]]
        assert keys[0].strip() not in response.content.decode()  # positions, not the numbers
    assert not AuditEntry.objects.filter(
        action__in=["registers.person_read", "exchange.query_batch"]
    ).exists()


def test_a_batch_of_the_documented_maximum_is_answered(client, world):
    keys = [world.person.id_number] + [f"51160219900101{n:04d}" for n in range(99)]
    response = _post(client, BATCH, _batch_of(world, keys), world.civil_headers)
    assert response.status_code == 200
    assert response.json()["payload"]["counts"]["found"] == 1
    assert AuditEntry.objects.filter(action="registers.person_read").count() == 100


# Verify: true or false, never the data ----------------------------------------------------------------


def _verify(world, source: str, key: str, assertions: dict, headers=None, client=None):
    body = {
        "resource": world.resources[source].code,
        "key": key,
        "assertions": assertions,
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return _post(client, VERIFY, body, headers or world.civil_headers)


def _results(response) -> dict:
    assert response.status_code == 200, response.content
    payload = response.json()["payload"]
    assert set(payload) == {
        "resource",
        "key_digest",
        "purpose",
        "case_number",
        "grant",
        "results",
        "answered_at",
    }
    return payload["results"]


def test_verify_assertions_of_every_resource(client, world):
    person, other = world.person.id_number, world.other.id_number
    estate, insurance = RegisterCode.REAL_ESTATE, RegisterCode.SOCIAL_INSURANCE
    fund, credit = RegisterCode.HOUSING_FUND, RegisterCode.CREDIT
    cases = [
        (estate, person, {"owner_of": CERTIFICATE}, {"owner_of": True}),
        (estate, person, {"owner_of": UNIT}, {"owner_of": True}),
        (estate, other, {"owner_of": CERTIFICATE}, {"owner_of": False}),
        (estate, person, {"owner_of": "川（2024）广安区不动产权第0099999号"}, {"owner_of": False}),
        (
            insurance,
            person,
            {"insured": True, "insurance_active": "pension"},
            {"insured": True, "insurance_active": True},
        ),
        (
            insurance,
            person,
            {"insured": "unemployment", "insurance_active": "medical"},
            {"insured": False, "insurance_active": False},
        ),
        (insurance, other, {"insured": True}, {"insured": False}),
        (insurance, other, {"insured": False}, {"insured": True}),
        (fund, person, {"housing_fund_active": True}, {"housing_fund_active": True}),
        (fund, other, {"housing_fund_active": True}, {"housing_fund_active": False}),
        (credit, person, {"has_dishonest_record": True}, {"has_dishonest_record": True}),
        (credit, other, {"has_dishonest_record": False}, {"has_dishonest_record": True}),
        ("licenses", person, {"holds_license": LICENSE_TYPE}, {"holds_license": True}),
        ("licenses", person, {"holds_license": "BUSINESS_LICENSE"}, {"holds_license": False}),
        ("licenses", other, {"holds_license": LICENSE_TYPE}, {"holds_license": False}),
        (
            "licenses",
            world.license.identifier,
            {"holds_license": LICENSE_TYPE, "valid": True, "holder": person},
            {"holds_license": True, "valid": True, "holder": True},
        ),
        ("licenses", world.license.identifier, {"holder": other}, {"holder": False}),
    ]
    for source, key, assertions, expected in cases:
        response = _verify(world, source, key, assertions, client=client)
        assert _results(response) == expected, (source, assertions)
        _assert_nothing_leaked(response, world)  # no item value in any verify answer


def test_verify_reads_are_logged_with_the_person_as_subject(client, world):
    _verify(world, RegisterCode.REAL_ESTATE, world.person.id_number, {"owner_of": CERTIFICATE}, client=client)
    read = AuditEntry.objects.get(action="registers.real_estate_read")
    assert read.subject_hash == subject_hash(world.person.id_number)
    assert sorted(read.fields) == ["certificate_number", "owner_id_numbers"]
    assert read.ground_ref == CASE


def test_a_revoked_license_no_longer_verifies(client, world):
    change_license_status(license=world.license, to_status="revoked", reason="以欺骗手段取得")
    by_holder = _verify(
        world, "licenses", world.person.id_number, {"holds_license": LICENSE_TYPE}, client=client
    )
    assert _results(by_holder) == {"holds_license": False}
    by_license = _verify(world, "licenses", world.license.identifier, {"valid": True}, client=client)
    assert _results(by_license) == {"valid": False}


@pytest.mark.parametrize(
    ("source", "assertions", "code"),
    [
        (RegisterCode.SOCIAL_INSURANCE, {"insured": "maternity"}, "invalid_assertion_value"),
        (RegisterCode.SOCIAL_INSURANCE, {"alive": True}, "unknown_assertion"),
        (RegisterCode.HOUSING_FUND, {"housing_fund_active": 1}, "invalid_assertion_value"),
        (RegisterCode.REAL_ESTATE, {"owner_of": True}, "invalid_assertion_value"),
        ("licenses", {"valid": True}, "assertion_needs_license_identifier"),
    ],
)
def test_verify_refuses_unknown_assertions_and_values_of_the_wrong_kind(
    client, world, source, assertions, code
):
    response = _verify(world, source, world.person.id_number, assertions, client=client)
    assert response.status_code == 400
    assert response.json()["payload"]["error"]["code"] == code


def test_verify_needs_the_items_each_assertion_relies_on(client, world):
    # the housing system holds no grant on the real estate register
    refused = _verify(
        world,
        RegisterCode.REAL_ESTATE,
        world.person.id_number,
        {"owner_of": CERTIFICATE},
        headers=world.housing_headers,
        client=client,
    )
    assert refused.status_code == 403
    assert refused.json()["payload"]["error"]["code"] == "no_grant"
    assert not AuditEntry.objects.filter(action="registers.real_estate_read").exists()


# Methods ----------------------------------------------------------------------------------------------


def test_methods_name_each_resources_keys_and_the_assertions_the_grant_allows(client, world):
    response = client.get("/api/v1/exchange/methods", **world.civil_headers)
    methods = {method["resource"]: method for method in response.json()["payload"]["methods"]}
    estate = methods[world.resources[RegisterCode.REAL_ESTATE].code]
    assert (estate["key"], estate["verify_key"], estate["assertions"]) == (
        "certificate_number",
        "owner_id_number",
        ["owner_of"],
    )
    library = methods[world.resources["licenses"].code]
    assert library["assertions"] == ["holder", "holds_license", "valid"]
    assert library["operations"] == ["query", "query_batch", "verify", "verify_batch"]
    assert response.json()["payload"]["max_batch_keys"] == 100
