"""Whatever query a client sends to the cards API, the answer is a 2xx/4xx with the error envelope: never a
500 (hypothesis generates the query strings, the card ids and the acknowledgment bodies)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.supervision.models import Card
from yiwang.supervision.services import cards

from .cards_world import make_cards_world

pytestmark = pytest.mark.django_db

ANSWERS = {200, 400, 401, 403, 404, 405, 409, 422}
NAMES = ["mine", "color", "department_id", "state", "cursor", "limit", "x", "id", ""]
values = (
    st.text(max_size=30)
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
    | st.sampled_from(["yellow", "red", "open", "acknowledged", "true", "false", "0", "-1", "1e9", "NaN"])
)
queries = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=8), values), max_size=6)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
card_ids = st.integers(min_value=-(2**70), max_value=2**70).map(str) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), min_size=1, max_size=12
)


def _assert_answered(response) -> None:
    assert response.status_code in ANSWERS, (response.status_code, response.content[:300])
    if response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
        assert "error" in response.json() or "detail" in response.json()


@pytest.fixture
def head_client():
    world = make_cards_world()
    cards.sweep(today=dt.date(2026, 9, 30))  # the stage's yellow card
    cards.sweep(today=dt.date(2026, 10, 12))  # the case's red card
    return world.client("head")


def _real_ids() -> list[str]:
    return [str(pk) for pk in Card.objects.order_by("pk").values_list("pk", flat=True)]


def test_the_card_list_never_answers_500_whatever_the_query(head_client):
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(query=queries)
    def listing(query):
        _assert_answered(head_client.get("/api/v1/supervision/cards?" + urlencode(query)))
        _assert_answered(head_client.get("/api/v1/supervision/predictions?" + urlencode(query)))

    listing()


def test_a_card_and_its_acknowledgment_never_answer_500_whatever_the_id_or_body(head_client):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(card_id=card_ids | st.sampled_from(_real_ids()), body=json_values, query=queries)
    def detail(card_id, body, query):
        url = f"/api/v1/supervision/cards/{card_id}"
        _assert_answered(head_client.get(url + "?" + urlencode(query)))
        _assert_answered(
            head_client.post(f"{url}/acknowledge", json.dumps(body), content_type="application/json")
        )

    detail()
