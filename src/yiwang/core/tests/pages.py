"""Test helpers for paged lists: a page costs the same queries whatever its size; walking visits all."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext


def assert_page_cost_does_not_grow(
    client, django_assert_num_queries, path: str, params: dict | None = None, **headers: Any
) -> int:
    """One item per page and a full page (100) cost the same number of queries; returns that number."""
    params = params or {}
    client.get(path, {**params, "limit": 1}, **headers)  # warm up sessions and caches
    with CaptureQueriesContext(connection) as one:
        small = client.get(path, {**params, "limit": 1}, **headers)
    assert small.status_code == 200, small.content
    assert len(small.json()["items"]) == 1 and small.json()["next_cursor"], "needs at least two items"
    with django_assert_num_queries(len(one)):
        full = client.get(path, {**params, "limit": 100}, **headers)
    assert len(full.json()["items"]) > 1
    return len(one)


def walk_pages(client, path: str, params: dict | None = None, *, limit: int = 2, **headers: Any) -> list:
    """Every item of the list, following ``next_cursor`` from the first page to the last."""
    items: list = []
    cursor = None
    while True:
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, query, **headers).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items
