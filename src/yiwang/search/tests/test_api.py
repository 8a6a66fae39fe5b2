"""The search API: /api/v1/search and /api/v1/suggest."""

from __future__ import annotations

import pytest

from .conftest import GUANGAN_DISTRICT

pytestmark = pytest.mark.django_db


def test_search_returns_results_with_links(api_client, indexed_catalog):
    response = api_client.get("/api/v1/search", {"q": "开饭店", "region": GUANGAN_DISTRICT})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert set(first) >= {"kind", "code", "name", "department", "region", "url", "score"}
    assert first["name"] == "食品经营许可证核发"
    assert first["url"] == f"/items/{indexed_catalog['food'].code}"
    assert body["expanded_terms"] == ["食品经营许可"]
    # Chinese is returned unescaped
    assert "食品经营许可证核发".encode() in response.content


def test_search_filters_as_query_parameters(api_client, indexed_catalog):
    response = api_client.get(
        "/api/v1/search",
        {"q": "营业执照", "audience": "enterprise", "online": "true", "item_type": 1, "limit": 2},
    )
    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(response.json()["results"]) == 2


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "证" * 201}, "query_too_long"),
        ({"q": "营业执照", "region": "000000000000"}, "unknown_region"),
        ({"q": ""}, "empty_query"),
        ({}, "empty_query"),
        ({"q": "营业执照", "limit": 500}, "invalid_limit"),
        ({"q": "营业执照", "limit": "many"}, "invalid_input"),
        ({"q": "营业执照", "item_type": 42}, "invalid_item_type"),
    ],
)
def test_bad_requests_are_400_with_a_stable_code(api_client, indexed_catalog, params, code):
    response = api_client.get("/api/v1/search", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_suggest(api_client, indexed_catalog):
    response = api_client.get("/api/v1/suggest", {"q": "gjj"})
    assert response.status_code == 200
    assert "住房公积金提取" in response.json()["suggestions"]


def test_suggest_without_text_is_empty_and_too_long_is_400(api_client, indexed_catalog):
    assert api_client.get("/api/v1/suggest").json() == {"suggestions": []}
    response = api_client.get("/api/v1/suggest", {"q": "g" * 201})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "query_too_long"
