"""Search that forgives: typed pinyin, traditional characters, typos, English, life-event questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yiwang.search.english import translate_english
from yiwang.search.pinyin import chinese_for_pinyin
from yiwang.search.selectors import search_catalog

from .conftest import GUANGAN_DISTRICT

pytestmark = pytest.mark.django_db

RELEVANCE_CASES = Path(__file__).resolve().parents[4] / "bench" / "search_relevance.json"


def names(page) -> list[str]:
    return [hit.name for hit in page.results]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("shenfenzheng", "居民身份证补领"),
        ("sfz", "居民身份证补领"),
        ("SHENFENZHENG BULING", "居民身份证补领"),
        ("gongjijin", "住房公积金提取"),
        ("gjj", "住房公积金提取"),
        ("shehuibaozhangka", "社会保障卡申领"),
        ("yyzz", "营业执照办理"),
    ],
)
def test_typed_pinyin_finds_the_service(indexed_catalog, query, expected):
    # when a citizen types pinyin (full or initials) and presses search instead of picking a suggestion
    page = search_catalog(query=query)
    assert names(page)[0] == expected


def test_pinyin_that_spells_nothing_is_still_a_miss(indexed_catalog):
    assert search_catalog(query="xqzwv").count == 0


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("shenfenzheng", "居民身份证补领", "身份证"),
        ("sfz", "居民身份证补领", "身份证"),
        ("shenfenzh", "居民身份证补领", "身份证"),
        ("gjj", "住房公积金提取", "公积金"),
        ("xyz", "营业执照办理", None),
    ],
)
def test_pinyin_is_read_back_as_the_characters_it_spells(key, text, expected):
    assert chinese_for_pinyin(key, text) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("居民身份證補領", "居民身份证补领"),
        ("營業執照", "营业执照办理"),
        ("住房公積金提取", "住房公积金提取"),
    ],
)
def test_traditional_characters_find_the_simplified_name(indexed_catalog, query, expected):
    assert names(search_catalog(query=query))[0] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [("身分证补领", "居民身份证补领"), ("营业执找", "营业执照办理"), ("公积今提取", "住房公积金提取")],
)
def test_a_one_character_typo_still_finds_the_service(indexed_catalog, query, expected):
    page = search_catalog(query=query)
    assert names(page)[0] == expected
    assert page.matched_all_words is False  # the page says these are near matches


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ID card", "居民身份证补领"),
        ("lost my ID card", "居民身份证补领"),
        ("Business Licenses", "营业执照办理"),
        ("housing provident fund withdrawal", "住房公积金提取"),
        ("social security card", "社会保障卡申领"),
        ("minimum living allowance", "最低生活保障审核确认"),
    ],
)
def test_english_queries_find_the_chinese_services(indexed_catalog, query, expected):
    assert expected in names(search_catalog(query=query))[:3]


def test_english_question_words_around_a_term_are_dropped():
    assert translate_english("how do i renew my id card") == "换 身份证"
    assert translate_english("shenfenzheng") == "shenfenzheng"  # not English: left for pinyin
    assert translate_english("511z07001006") == "511z07001006"


@pytest.mark.parametrize("query", ["生孩子要办什么", "宝宝出生了", "newborn baby", "出生医学证明"])
def test_a_life_event_question_puts_its_bundle_first(indexed_catalog, query):
    page = search_catalog(query=query)
    assert page.results[0].name == "新生儿出生一件事"
    assert page.results[0].kind == "bundle"


def test_a_life_event_bundle_does_not_hide_a_typo_search(indexed_catalog):
    # 出生 names the life event, 明正 is a typo of 明证: the items are still searched for the typo
    page = search_catalog(query="出生医学正明办理")
    assert "出生医学证明办理" in names(page)


def test_queries_about_other_things_are_not_lifted_by_the_bundle(indexed_catalog):
    page = search_catalog(query="身份证补领", region_code=GUANGAN_DISTRICT)
    assert "新生儿出生一件事" not in names(page)


def test_the_relevance_set_is_large_and_covers_every_kind_of_miss():
    cases = json.loads(RELEVANCE_CASES.read_text(encoding="utf-8"))["queries"]
    assert len(cases) >= 100
    assert {case["kind"] for case in cases} == {
        "everyday", "pinyin", "traditional", "typo", "english", "life_event"
    }  # fmt: skip


@pytest.mark.slow
def test_the_relevance_set_on_the_demo_guides_finds_nine_in_ten_within_three(db):
    # a subset of bench/search_relevance.json: the queries whose services the demo guides create
    import sys

    from yiwang.catalog.guides import load_demo_guides
    from yiwang.catalog.models import Bundle, Implementation
    from yiwang.search.services import rebuild_search_index

    load_demo_guides()
    rebuild_search_index()
    catalog_names = [
        *Implementation.objects.values_list("name", flat=True),
        *Bundle.objects.values_list("name", flat=True),
    ]
    sys.path.insert(0, str(RELEVANCE_CASES.parent))
    from search_relevance import evaluate, load_cases

    subset = [
        case
        for case in load_cases(RELEVANCE_CASES)
        if any(expected in name for expected in case["expected"] for name in catalog_names)
    ]
    assert len(subset) >= 60
    result = evaluate(subset, top=3, region_code=None)
    assert result["hit_rate"] >= 0.9, result["misses"]
