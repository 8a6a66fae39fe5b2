"""Whatever a system sends to query, batch or verify, the answer is a signed envelope with a 2xx/4xx
status: never a 500, never an unsigned body (hypothesis generates the request bodies)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.exchange.tests.factories import CONSUMER_ITEM
from yiwang.registers.constants import RegisterCode

from .resources_world import CERTIFICATE, CIVIL_GRANTS, make_all_resources

pytestmark = pytest.mark.django_db

SIGNED_STATUSES = {200, 400, 403, 404, 415}
ASSERTIONS = [
    "alive",
    "age_over",
    "name",
    "owner_of",
    "insured",
    "insurance_active",
    "housing_fund_active",
    "has_dishonest_record",
    "holds_license",
    "valid",
    "holder",
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture
def module_world():
    """One world for all of a test's examples (they only read and append to the audit log)."""
    return make_all_resources()


def _strategies(world):
    codes = [resource.code for resource in world.resources.values()] + [world.base.population.code, "XX-1"]
    items = sorted(
        {item for granted, _, _ in CIVIL_GRANTS.values() for item in granted} | {"name", "balance"}
    )
    keys = st.sampled_from(
        [world.person.id_number, world.other.id_number, CERTIFICATE, world.license.identifier]
    )
    key = keys | st.text(max_size=90) | json_values
    fields = {
        "resource": st.sampled_from(codes) | st.text(max_size=45) | json_values,
        "key": key,
        "keys": st.lists(key, max_size=6) | json_values,
        "items": st.lists(st.sampled_from(items) | st.text(max_size=65), max_size=33) | json_values,
        "purpose": st.just(CONSUMER_ITEM) | st.text(max_size=45) | json_values,
        "case_number": st.just("MZ-1") | st.text(max_size=105) | json_values,
        "assertions": st.dictionaries(
            st.sampled_from(ASSERTIONS) | st.text(max_size=65),
            st.booleans() | st.integers() | st.text(max_size=30) | json_values,
            max_size=5,
        )
        | json_values,
    }
    return st.fixed_dictionaries({}, optional=fields) | json_values


def _assert_signed(response) -> None:
    assert response.status_code in SIGNED_STATUSES, response.content
    answer = response.json()
    assert set(answer) == {"payload", "signature"}, answer
    if response.status_code != 200:
        assert answer["payload"]["error"]["code"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/api/v1/exchange/query", "/api/v1/exchange/query/batch", "/api/v1/exchange/verify"]
)
def test_any_body_gets_a_signed_answer_never_a_500(client, module_world, path):
    world = module_world

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=_strategies(world))
    def post(body):
        response = client.post(path, json.dumps(body), content_type="application/json", **world.civil_headers)
        _assert_signed(response)

    post()


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe", b'{"key": "\\ud800"}', b'{"assertions": {"\\ud800": true}}', b"[" * 40 + b"]" * 40],
    ids=["not utf-8", "lone surrogate", "surrogate as a name", "too deep"],
)
def test_bodies_that_are_not_clean_json_get_a_signed_400(client, module_world, raw):
    response = client.post(
        "/api/v1/exchange/verify", raw, content_type="application/json", **module_world.civil_headers
    )
    assert response.status_code == 400
    _assert_signed(response)


def test_a_real_call_still_works_after_the_noise(client, module_world):
    world = module_world
    body = {
        "resource": world.resources[RegisterCode.CREDIT].code,
        "key": world.person.id_number,
        "assertions": {"has_dishonest_record": True},
        "purpose": CONSUMER_ITEM,
        "case_number": "MZ-1",
    }
    response = client.post(
        "/api/v1/exchange/verify", json.dumps(body), content_type="application/json", **world.civil_headers
    )
    assert response.json()["payload"]["results"] == {"has_dishonest_record": True}
