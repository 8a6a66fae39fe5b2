"""The faster search path answers the same: the documented body, the region chains, the preloaded tables."""

from __future__ import annotations

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.search import selectors
from yiwang.search.analysis import tokenizer
from yiwang.search.api import SearchOut

from .conftest import GUANGAN_CITY, GUANGAN_DISTRICT, SICHUAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_region_chains(monkeypatch):
    """This process has met no region yet (the chains are per process)."""
    monkeypatch.setattr(selectors, "_region_chains", {})
    monkeypatch.setattr(selectors, "_upper_chains_loaded", False)


def test_the_search_body_is_exactly_the_documented_schema(api_client, indexed_catalog):
    response = api_client.get("/api/v1/search", {"q": "营业执照", "region": GUANGAN_DISTRICT})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    validated = SearchOut.model_validate_json(response.content)
    assert validated.count >= 1
    assert validated.model_dump(mode="json") == response.json()
    assert "营业执照".encode() in response.content  # Chinese unescaped, as every API answer


def test_a_county_chain_comes_from_the_one_query_of_all_upper_regions(fresh_region_chains, indexed_catalog):
    code, ancestors = selectors._region_scope(GUANGAN_DISTRICT)
    assert (code, ancestors) == (GUANGAN_DISTRICT, (GUANGAN_CITY, SICHUAN))
    assert selectors._upper_chains_loaded
    assert selectors._region_chains[GUANGAN_CITY] == (SICHUAN,)


def test_an_unknown_region_is_still_refused_after_the_chains_are_loaded(fresh_region_chains, indexed_catalog):
    selectors._region_scope(GUANGAN_DISTRICT)
    with pytest.raises(InvalidInput) as refused:
        selectors._region_scope("999999999999")
    assert refused.value.code == "unknown_region"


def test_a_region_chosen_by_the_portal_still_ranks_first_after_the_bulk_load(
    fresh_region_chains, indexed_catalog
):
    page = selectors.search_catalog(query="营业执照", region_code=GUANGAN_DISTRICT)
    assert page.results[0].region_code == GUANGAN_DISTRICT


def test_preloading_builds_the_tables_a_first_search_would(fresh_region_chains, indexed_catalog):
    tokenizer.cache_clear()
    selectors.preload_search()
    assert tokenizer.cache_info().currsize == 1
    assert GUANGAN_DISTRICT in selectors._region_chains


def test_a_page_answered_twice_is_the_same_and_a_changed_index_answers_anew(api_client, indexed_catalog):
    # given a search answered once (its hits serialized once for this page)
    from yiwang.search.services import rebuild_search_index

    from .conftest import implementation

    query = {"q": "营业执照", "region": GUANGAN_DISTRICT}
    first = api_client.get("/api/v1/search", query)
    again = api_client.get("/api/v1/search", query)
    assert again.content == first.content
    # a different page of the same query is its own answer
    second_page = api_client.get("/api/v1/search", {**query, "limit": 1, "offset": 1})
    assert second_page.json()["results"] == first.json()["results"][1:2]
    # when a new service is indexed
    implementation("个体工商户营业执照补发", region_code=GUANGAN_DISTRICT)
    rebuild_search_index()
    # then the same search shows it (a new page: nothing of the old answer is reused)
    after = api_client.get("/api/v1/search", query)
    assert after.json()["count"] == first.json()["count"] + 1
    assert "个体工商户营业执照补发" in [hit["name"] for hit in after.json()["results"]]
