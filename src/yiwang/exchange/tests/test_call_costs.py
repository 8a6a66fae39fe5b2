"""What one exchange call costs and records: its SQL statements (stated, so they cannot silently grow),
its processing time in the log, the kept signing key and its rotation, and 不予共享 judged at call time
even under a live grant."""

from __future__ import annotations

import json
import math

import pytest
from django.db import connection
from django.utils import timezone

from yiwang.audit.models import AuditEntry
from yiwang.audit.subjects import subject_hash
from yiwang.core.signing.platform_keys import active_platform_key
from yiwang.exchange import signing
from yiwang.exchange.constants import SharingType
from yiwang.exchange.models import ExchangeKey, Grant, Resource
from yiwang.exchange.services import revoke_grant

from .factories import CONSUMER_ITEM
from .resources_world import CASE, make_all_resources

pytestmark = pytest.mark.django_db

QUERY = "/api/v1/exchange/query"
BATCH = "/api/v1/exchange/query/batch"
VERIFY = "/api/v1/exchange/verify"
VERIFY_BATCH = "/api/v1/exchange/verify/batch"
METHODS = "/api/v1/exchange/methods"


@pytest.fixture
def world():
    return make_all_resources()


@pytest.fixture
def kept_key(settings):
    """The per-process key cache switched on as in production (the test settings switch it off)."""
    settings.EXCHANGE_KEY_CACHE_SECONDS = 30
    signing.forget_exchange_key()
    yield
    signing.forget_exchange_key()


def _post(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def _population(world, **overrides) -> dict:
    body = {
        "resource": world.base.population.code,
        "purpose": CONSUMER_ITEM,
        "case_number": CASE,
    }
    return {**body, **overrides}


def _verify(world, key=None) -> dict:
    return _population(world, key=key or world.person.id_number, assertions={"alive": True, "name": "李小红"})


# SQL per call -----------------------------------------------------------------------------------------

# A verify or query of the population register, the signing key kept: the token (django-oauth-toolkit),
# the grants joined with resource, provider and the system's department, then in one transaction (here
# the test's SAVEPOINT and RELEASE, in production BEGIN and COMMIT) the register row of the holding
# department, the record, and one INSERT of the call's and the read's entries. It was 10 statements and
# two transactions before.
SINGLE_CALL = 7


def test_a_single_verify_costs_five_statements_and_one_transaction(
    client, world, kept_key, django_assert_num_queries
):
    assert _post(client, VERIFY, _verify(world), world.civil_headers).status_code == 200  # the key is kept
    with django_assert_num_queries(SINGLE_CALL):
        response = _post(client, VERIFY, _verify(world), world.civil_headers)
    assert response.json()["payload"]["results"] == {"alive": True, "name": True}


def test_a_single_query_costs_the_same(client, world, kept_key, django_assert_num_queries):
    body = _population(world, key=world.person.id_number, items=["name", "is_deceased"])
    assert _post(client, QUERY, body, world.civil_headers).status_code == 200
    with django_assert_num_queries(SINGLE_CALL):
        assert _post(client, QUERY, body, world.civil_headers).status_code == 200


def test_a_batch_of_a_hundred_keys_costs_what_one_key_does_but_its_insert(
    client, world, kept_key, django_assert_num_queries
):
    keys = [world.person.id_number, world.other.id_number] + [f"51160219900101{n:04d}" for n in range(98)]
    verify = _population(world, keys=keys, assertions={"alive": True})
    query = _population(world, keys=keys, items=["name"])
    assert _post(client, VERIFY_BATCH, verify, world.civil_headers).status_code == 200
    # one INSERT of the 101 entries on PostgreSQL; SQLite binds at most 999 values a statement
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]
    inserts = math.ceil(101 / connection.ops.bulk_batch_size(fields, [None] * 101))
    with django_assert_num_queries(SINGLE_CALL - 1 + inserts):
        answer = _post(client, VERIFY_BATCH, verify, world.civil_headers).json()["payload"]
    assert answer["counts"] == {"verified": 2, "not_found": 98, "refused": 0}
    with django_assert_num_queries(SINGLE_CALL - 1 + inserts):
        answer = _post(client, BATCH, query, world.civil_headers).json()["payload"]
    assert answer["counts"] == {"found": 2, "not_found": 98, "refused": 0}


def test_a_revoked_grant_is_refused_on_the_very_next_call(client, world, kept_key):
    """Grants and tokens are read on every call: nothing about them is kept between calls."""
    assert _post(client, VERIFY, _verify(world), world.civil_headers).status_code == 200
    grant = Grant.objects.get(system=world.base.civil_system, resource=world.base.population)
    revoke_grant(actor=world.base.police_admin, grant_id=grant.pk, reason="超范围使用")
    refused = _post(client, VERIFY, _verify(world), world.civil_headers)
    assert refused.json()["payload"]["error"]["code"] == "grant_revoked"
    world.base.civil_system.accesstoken_set.all().delete()
    assert _post(client, VERIFY, _verify(world), world.civil_headers).status_code == 401


# Latency in the log -----------------------------------------------------------------------------------


def test_each_call_records_the_platforms_processing_time(client, world):
    _post(client, VERIFY, _verify(world), world.civil_headers)
    _post(
        client,
        VERIFY_BATCH,
        _population(world, keys=[world.person.id_number], assertions={"alive": True}),
        world.civil_headers,
    )
    _post(client, QUERY, _population(world, key=world.person.id_number, items=["name"]), world.civil_headers)
    _post(
        client,
        QUERY,
        _population(world, key=world.person.id_number, items=["birth_date"]),
        world.civil_headers,
    )
    calls = ["exchange.verify", "exchange.verify_batch", "exchange.query"]
    entries = AuditEntry.objects.filter(action__in=calls).order_by("pk")
    assert [(entry.action, entry.outcome) for entry in entries] == [
        ("exchange.verify", "allowed"),
        ("exchange.verify_batch", "allowed"),
        ("exchange.query", "allowed"),
        ("exchange.query", "refused"),  # birth date is not granted: refused calls are timed too
    ]
    for entry in entries:
        ms = entry.details["ms"]
        assert isinstance(ms, (int, float)) and 0 < ms < 10_000, entry.details


# The signing key kept per process ---------------------------------------------------------------------


def _signed_by(client, world) -> str:
    return _post(client, VERIFY, _verify(world), world.civil_headers).json()["signature"]["key_id"]


def test_a_rotated_key_signs_once_the_kept_one_expires(client, world, kept_key, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(signing.time, "monotonic", lambda: clock[0])
    old = _signed_by(client, world)
    # the platform retires the key and makes a new one
    ExchangeKey.objects.filter(key_id=old).update(is_active=False)
    new = active_platform_key(ExchangeKey, label="exchange").key_id
    assert new != old
    clock[0] += 29  # within the documented window the retired key may still sign
    assert _signed_by(client, world) == old
    clock[0] += 2  # past 30 s: the next answer looks the active key up
    assert _signed_by(client, world) == new
    assert client.get("/api/v1/exchange/signing-key").json()["key_id"] == new


def test_the_window_is_never_longer_than_a_minute(settings):
    settings.EXCHANGE_KEY_CACHE_SECONDS = 3600
    assert signing.key_cache_seconds() == 60
    settings.EXCHANGE_KEY_CACHE_SECONDS = 0
    assert signing.key_cache_seconds() == 0


# 不予共享 at call time --------------------------------------------------------------------------------


def test_a_resource_declared_not_shared_refuses_every_call_under_a_live_grant(client, world):
    population = world.base.population
    grant = Grant.objects.get(system=world.base.civil_system, resource=population)
    assert grant.revoked_at is None and grant.ends_on >= timezone.localdate()  # the grant stays live
    Resource.objects.filter(pk=population.pk).update(sharing_type=SharingType.NOT_SHARED)
    keys = [world.person.id_number, world.other.id_number]
    calls = [
        ("exchange.query", QUERY, _population(world, key=keys[0], items=["name"])),
        ("exchange.query_batch", BATCH, _population(world, keys=keys, items=["name"])),
        ("exchange.verify", VERIFY, _verify(world)),
        ("exchange.verify_batch", VERIFY_BATCH, _population(world, keys=keys, assertions={"alive": True})),
    ]
    for action, url, body in calls:
        response = _post(client, url, body, world.civil_headers)
        assert response.status_code == 403, (url, response.content)
        answer = response.json()
        assert answer["payload"]["error"]["code"] == "resource_not_shared" and "signature" in answer
        assert "李" not in json.dumps(answer, ensure_ascii=False)
        refused = AuditEntry.objects.filter(action=action, outcome="refused", reason="resource_not_shared")
        asked = body.get("keys") or [body["key"]]
        assert sorted(entry.subject_hash for entry in refused) == sorted(subject_hash(key) for key in asked)
    assert not AuditEntry.objects.filter(action="registers.person_read").exists()  # nothing was read
    methods = client.get(METHODS, **world.civil_headers)
    assert population.code not in [method["resource"] for method in methods.json()["payload"]["methods"]]
