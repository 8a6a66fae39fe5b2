"""Queries that find nothing are counted for the catalog administrators."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from yiwang.search.admin import SearchMissAdmin
from yiwang.search.models import SearchMiss
from yiwang.search.selectors import list_search_misses, search_catalog
from yiwang.search.services import record_search_miss

from .conftest import GUANGAN_DISTRICT

pytestmark = pytest.mark.django_db


def test_a_query_without_results_is_recorded_normalized(indexed_catalog):
    # when someone searches for what the catalog lacks, twice, written differently
    search_catalog(query="  办理 ＵＦＯ 着陆 ", region_code=GUANGAN_DISTRICT)
    search_catalog(query="办理 ufo 着陆", region_code=GUANGAN_DISTRICT)
    # then one miss is counted twice, with the region
    miss = SearchMiss.objects.get()
    assert (miss.query, miss.region_code, miss.count) == ("办理 ufo 着陆", GUANGAN_DISTRICT, 2)
    assert miss.last_seen >= miss.first_seen


def test_the_same_query_in_another_region_is_counted_apart(indexed_catalog):
    search_catalog(query="火星移民", region_code=GUANGAN_DISTRICT)
    search_catalog(query="火星移民")
    assert sorted(SearchMiss.objects.values_list("region_code", "count")) == [("", 1), (GUANGAN_DISTRICT, 1)]


def test_a_query_with_results_is_not_recorded(indexed_catalog):
    search_catalog(query="营业执照")
    assert not SearchMiss.objects.exists()


def test_a_later_empty_page_is_not_a_miss(indexed_catalog):
    search_catalog(query="营业执照", offset=50)
    assert not SearchMiss.objects.exists()


def test_recording_a_known_miss_is_one_update(indexed_catalog, django_assert_num_queries):
    record_search_miss(query="火星移民")
    with django_assert_num_queries(1):
        record_search_miss(query="火星移民")
    assert SearchMiss.objects.get().count == 2


def test_misses_are_listed_most_frequent_first(db):
    for query, times in [("甲", 1), ("乙", 3), ("丙", 2)]:
        for _ in range(times):
            record_search_miss(query=query)
    assert [miss.query for miss in list_search_misses()] == ["乙", "丙", "甲"]


def test_the_admin_shows_misses_most_frequent_first_and_read_only(db, admin_user):
    record_search_miss(query="少见")
    for _ in range(3):
        record_search_miss(query="常见")
    admin = SearchMissAdmin(SearchMiss, site)
    request = RequestFactory().get("/admin/search/searchmiss/")
    request.user = admin_user
    assert [miss.query for miss in admin.get_queryset(request).order_by(*admin.ordering)] == ["常见", "少见"]
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert str(SearchMiss._meta.verbose_name) == "零结果搜索"


def test_the_admin_page_renders(db, admin_client):
    record_search_miss(query="火星移民")
    response = admin_client.get("/admin/search/searchmiss/")
    assert response.status_code == 200
    assert "火星移民" in response.content.decode()
