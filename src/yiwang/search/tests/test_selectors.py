"""Catalog search as the portal and the API use it: synonyms, ranking, filters, validation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from yiwang.catalog.constants import Audience, ItemType
from yiwang.core.errors import InvalidInput
from yiwang.search.selectors import search_catalog

from .conftest import GUANGAN_CITY, GUANGAN_DISTRICT, SICHUAN, XIANGTAN_COUNTY

pytestmark = pytest.mark.django_db


def names(page) -> list[str]:
    return [hit.name for hit in page.results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("开饭店", "食品经营许可证核发"),
        ("我想开餐馆怎么办", "食品经营许可证核发"),
        ("生孩子", "出生医学证明办理"),
        ("身份证丢了怎么办", "居民身份证补领"),
        ("提公积金", "住房公积金提取"),
        ("低保", "最低生活保障审核确认"),
        ("买房", "不动产转移登记"),
        ("如何办理营业执照", "营业执照办理"),
        ("医保卡", "社会保障卡申领"),
    ],
)
def test_everyday_words_find_the_official_service(indexed_catalog, query, expected):
    # when a citizen searches in their own words
    page = search_catalog(query=query)
    # then the official service is among the results
    assert expected in names(page)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("不动产登记", "不动产转移登记"), ("社会保障", "社会保障卡申领"), ("住房公积金", "住房公积金提取")],
)
def test_a_compound_query_word_matches_where_documents_write_it_apart(indexed_catalog, query, expected):
    # 不动产登记 is one dictionary word; the document says 不动产转移登记
    assert expected in names(search_catalog(query=query))


def test_synonym_search_reports_the_official_terms(indexed_catalog):
    page = search_catalog(query="我想开饭店")
    assert page.expanded_terms == ["食品经营许可"]
    assert page.query_terms == ["开饭店"]


def test_a_life_event_bundle_is_found_with_its_url(indexed_catalog):
    page = search_catalog(query="生孩子")
    bundle = next(hit for hit in page.results if hit.kind == "bundle")
    assert bundle.code == "birth-bundle"
    assert bundle.url == "/bundles/birth-bundle"


def test_an_implementation_hit_links_to_its_guide(indexed_catalog):
    hit = search_catalog(query="户口迁移").results[0]
    assert hit.kind == "implementation"
    assert hit.url == f"/items/{indexed_catalog['hukou'].code}"
    assert (hit.region, hit.region_code) == ("广安区", GUANGAN_DISTRICT)
    assert hit.department == indexed_catalog["hukou"].department.name


def test_the_chosen_region_ranks_first_then_its_ancestors_then_the_rest(indexed_catalog):
    # given the same item implemented in 广安区, by 四川省 and in 湘潭县 (the most visited)
    # when someone in 广安区 searches
    page = search_catalog(query="营业执照", region_code=GUANGAN_DISTRICT)
    # then 广安区 comes first, the province next, the other county last
    assert [hit.region_code for hit in page.results] == [GUANGAN_DISTRICT, SICHUAN, XIANGTAN_COUNTY]


def test_a_city_ranks_its_counties_first(indexed_catalog):
    page = search_catalog(query="营业执照", region_code=GUANGAN_CITY)
    assert page.results[-1].region_code == XIANGTAN_COUNTY


def test_the_other_county_ranks_first_for_its_own_residents(indexed_catalog):
    page = search_catalog(query="营业执照", region_code=XIANGTAN_COUNTY)
    assert page.results[0].region_code == XIANGTAN_COUNTY
    # 四川省 is not an ancestor of 湘潭县: it gets no lift
    assert page.results[0].score > 2 * page.results[1].score


def test_without_a_region_popularity_lifts_mildly(indexed_catalog):
    page = search_catalog(query="营业执照")
    scores = {hit.region_code: hit.score for hit in page.results}
    # the most visited comes first, but the lift is at most 30 %
    assert page.results[0].region_code == XIANGTAN_COUNTY
    assert scores[XIANGTAN_COUNTY] <= 1.3 * scores[GUANGAN_DISTRICT]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"audience": Audience.ENTERPRISE}, {"营业执照办理"}),
        ({"item_type": ItemType.BENEFIT}, {"住房公积金提取", "最低生活保障审核确认"}),
        ({"topic": "birth"}, {"出生医学证明办理", "新生儿出生一件事"}),
        ({"online": False}, {"食品经营许可变更", "居民身份证补领"}),
        ({"zero_visit": False}, {"食品经营许可变更", "居民身份证补领"}),
    ],
)
def test_filters_narrow_the_results(indexed_catalog, filters, expected):
    # a query matching every document of the small catalog (one of their characters or words)
    query = "许可 证 出生 公积金 保障 营业执照"
    page = search_catalog(query=query, region_code=GUANGAN_DISTRICT, limit=100, **filters)
    assert set(names(page)) == expected


def test_department_filter_uses_the_credit_code(indexed_catalog):
    department = indexed_catalog["food"].department
    page = search_catalog(query="食品经营许可", department=department.credit_code.lower())
    assert set(names(page)) == {"食品经营许可证核发", "食品经营许可变更"}
    assert {hit.department for hit in page.results} == {department.name}


def test_all_words_first_then_any_word(indexed_catalog):
    # given two words no single service has both of
    page = search_catalog(query="户口迁移 公积金")
    # then the services having either are offered, and the page says so
    assert set(names(page)) == {"户口迁移", "住房公积金提取", "新生儿出生一件事"}
    assert page.matched_all_words is False
    assert search_catalog(query="户口迁移").matched_all_words is True


def test_paging(indexed_catalog):
    first = search_catalog(query="营业执照", limit=2)
    second = search_catalog(query="营业执照", limit=2, offset=2)
    assert first.count == second.count == 3
    assert len(first.results) == 2 and len(second.results) == 1
    assert second.results[0].code not in {hit.code for hit in first.results}


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({"query": "   "}, "empty_query"),
        ({"query": ""}, "empty_query"),
        ({"query": "证" * 201}, "query_too_long"),
        ({"query": "营业执照", "region_code": "999999999999"}, "unknown_region"),
        ({"query": "营业执照", "region_code": "广安区"}, "unknown_region"),
        ({"query": "营业执照", "limit": 0}, "invalid_limit"),
        ({"query": "营业执照", "limit": 101}, "invalid_limit"),
        ({"query": "营业执照", "offset": -1}, "invalid_offset"),
        ({"query": "营业执照", "audience": "alien"}, "invalid_audience"),
        ({"query": "营业执照", "item_type": 99}, "invalid_item_type"),
    ],
)
def test_invalid_input_is_refused_with_a_stable_code(indexed_catalog, arguments, code):
    with pytest.raises(InvalidInput) as refused:
        search_catalog(**arguments)
    assert refused.value.code == code
    assert refused.value.status == 400


def test_a_query_of_exactly_the_maximum_length_is_accepted(indexed_catalog):
    assert search_catalog(query="证" * 200).count >= 0


def test_an_empty_index_answers_nothing_rather_than_failing(db):
    assert search_catalog(query="营业执照").count == 0


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=220), department=st.none() | st.text(max_size=30), topic=st.none() | st.text())
def test_arbitrary_queries_never_fail_except_as_documented(indexed_catalog, query, department, topic):
    try:
        page = search_catalog(query=query, region_code=GUANGAN_DISTRICT, department=department, topic=topic)
    except InvalidInput as refused:
        assert refused.code in {"empty_query", "query_too_long"}
    else:
        assert page.count >= len(page.results)
