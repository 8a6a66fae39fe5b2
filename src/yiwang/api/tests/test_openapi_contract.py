"""The OpenAPI schema states the limits the server enforces and the scope each token needs (issue 7)."""

from __future__ import annotations

import pytest

from yiwang.api.api import api


@pytest.fixture(scope="module")
def schema() -> dict:
    return dict(api.get_openapi_schema())


def _parameter(schema: dict, path: str, name: str) -> dict:
    operation = schema["paths"][path]["get"]
    return next(item for item in operation["parameters"] if item["name"] == name)["schema"]


def test_search_documents_its_query_and_page_limits(schema):
    assert _parameter(schema, "/api/v1/search", "q")["minLength"] == 1
    assert _parameter(schema, "/api/v1/search", "q")["maxLength"] == 200
    limit = _parameter(schema, "/api/v1/search", "limit")
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert "unknown_region" in _parameter(schema, "/api/v1/search", "region")["description"]
    assert 400 in schema["paths"]["/api/v1/search"]["get"]["responses"]


def test_verify_documents_that_it_needs_an_identifier_or_a_bundle(schema):
    required = [option["required"] for option in schema["components"]["schemas"]["VerifyIn"]["anyOf"]]
    assert required == [["identifier"], ["bundle"]]


def test_each_bearer_operation_names_its_scope(schema):
    security = schema["paths"]["/api/v1/licenses/mine"]["get"]["security"]
    assert {"PlatformBearerAuth": ["licenses:read"]} in security
    security = schema["paths"]["/api/v1/me"]["get"]["security"]
    assert {"PlatformBearerAuth": ["profile"]} in security


@pytest.mark.django_db
def test_a_documented_limit_still_answers_its_own_code(client):
    response = client.get("/api/v1/search", {"q": "护照", "limit": 0})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_limit"


def test_departments_document_the_region_filter(schema):
    region = _parameter(schema, "/api/v1/departments", "region")
    assert region["pattern"] == "^[0-9]{12}$"
    assert "unknown_region" in region["description"]
