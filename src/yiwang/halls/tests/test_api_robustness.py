"""Whatever a client sends to the halls and bookings API (query strings, ids, booking codes, JSON bodies,
idempotency keys), the answer is a 2xx/4xx: never a 500. Hypothesis generates the input."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ANSWERS = {200, 201, 400, 401, 403, 404, 405, 409, 422}
NAMES = ["item", "region_code", "date", "cursor", "limit", "hall_id", "x", ""]
values = (
    st.text(max_size=30)
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
    | st.sampled_from(["2026-12-08", "2026-02-30", "9999-12-31", "511602000000", "0", "-1", "NaN"])
)
queries = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=8), values), max_size=5)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=8,
)
bodies = json_values | st.fixed_dictionaries(
    {"hall_id": st.integers() | st.text(max_size=5), "item": st.text(max_size=60), "starts_at": values}
)
segments = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=14
) | st.integers(min_value=-(2**70), max_value=2**70).map(str)
keys = st.none() | st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80)


def _answered(response) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.content[:300])


@pytest.fixture
def signed_in(client, world, citizen):
    client.force_login(citizen)
    return client


def test_the_halls_api_never_answers_500_whatever_the_input(signed_in, world):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(query=queries, hall=segments | st.just(str(world.hall.pk)), body=bodies, key=keys, code=segments)
    def probe(query, hall, body, key, code):
        text = "?" + urlencode(query)
        _answered(signed_in.get("/api/v1/halls" + text))
        _answered(signed_in.get(f"/api/v1/halls/{quote(hall)}" + text))
        _answered(signed_in.get(f"/api/v1/halls/{quote(hall)}/slots" + text))
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
        payload = json.dumps(body)
        _answered(signed_in.post("/api/v1/bookings", payload, content_type="application/json", **extra))
        _answered(signed_in.get("/api/v1/bookings" + text))
        _answered(signed_in.get(f"/api/v1/bookings/{quote(code)}"))
        _answered(
            signed_in.post(
                f"/api/v1/bookings/{quote(code)}/reschedule", payload, content_type="application/json"
            )
        )
        _answered(signed_in.post(f"/api/v1/bookings/{quote(code)}/check-in"))
        _answered(signed_in.delete(f"/api/v1/bookings/{quote(code)}"))

    probe()


def test_the_messages_api_never_answers_500_whatever_the_input(signed_in):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(query=queries, message=segments)
    def probe(query, message):
        _answered(signed_in.get("/api/v1/messages?" + urlencode(query)))
        _answered(signed_in.get(f"/api/v1/messages/{quote(message)}"))
        _answered(signed_in.post(f"/api/v1/messages/{quote(message)}/read"))
        _answered(signed_in.post("/api/v1/messages/read-all"))

    probe()
