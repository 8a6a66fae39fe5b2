"""Suggestions while typing: characters, full pinyin and initials, most visited first."""

from __future__ import annotations

import pytest

from yiwang.core.errors import InvalidInput
from yiwang.search.selectors import suggest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("营业", "营业执照办理"),
        ("yyzz", "营业执照办理"),
        ("yingyezhizhao", "营业执照办理"),
        ("YingYe", "营业执照办理"),
        ("gjj", "住房公积金提取"),
        ("gongjijin", "住房公积金提取"),
        ("zfgjj", "住房公积金提取"),
        ("公积金", "住房公积金提取"),
        ("zuidi", "最低生活保障审核确认"),
        ("xse", "新生儿出生一件事"),
    ],
)
def test_suggestions_match_characters_pinyin_and_initials(indexed_catalog, typed, expected):
    assert expected in suggest(query=typed)


def test_a_name_starting_with_the_typed_text_comes_before_one_containing_it(indexed_catalog):
    # given 食品经营许可变更 (few visits) starts with "sp" and 住房公积金提取 (many) does not
    suggestions = suggest(query="shipin")
    assert suggestions[0].startswith("食品")


def test_more_visited_names_come_first(indexed_catalog):
    # 营业执照办理 is visited 15,200 times in all, the official term 营业执照补领 never
    suggestions = suggest(query="yyzz")
    assert suggestions.index("营业执照办理") < suggestions.index("营业执照补领")


def test_official_terms_of_the_synonyms_are_suggested(indexed_catalog):
    assert "最低生活保障" in suggest(query="zdshbz")


def test_the_limit_is_respected(indexed_catalog):
    assert len(suggest(query="s", limit=3)) == 3


def test_nothing_typed_suggests_nothing(indexed_catalog):
    assert suggest(query="  ") == []
    assert suggest(query="'!?") == []


def test_polyphones_are_read_as_in_government_words(indexed_catalog):
    # 行 in 银行 is hang, and 重 in 重庆 is chong: neither name exists here, so check nothing odd matches
    assert suggest(query="zhongqing") == []


def test_too_long_or_bad_limit_is_refused(indexed_catalog):
    with pytest.raises(InvalidInput) as refused:
        suggest(query="g" * 201)
    assert refused.value.code == "query_too_long"
    with pytest.raises(InvalidInput):
        suggest(query="g", limit=0)


def test_initials_match_from_word_starts_not_from_inside_a_word(db):
    # given 联合收割机驾驶证 (收割机 → g,j inside a word) and 住房公积金提取 (公积金: a government word)
    from yiwang.search.services import rebuild_search_index
    from yiwang.search.tests.conftest import implementation

    implementation("拖拉机/联合收割机驾驶证补换证", department="农业农村局")
    implementation("住房公积金提取", department="住房公积金管理中心")
    rebuild_search_index()
    # when someone types gjj
    suggestions = suggest(query="gjj")
    # then 公积金 is found inside 住房公积金, and nothing is found from the middle of 收割机
    assert "住房公积金提取" in suggestions
    assert not any("收割机" in text for text in suggestions)


def test_a_bundle_lends_its_own_name_not_the_names_of_its_parts(indexed_catalog):
    suggestions = suggest(query="出生", limit=20)
    assert "新生儿出生一件事" in suggestions or "新生儿出生一件事" in suggest(query="xse")
    assert not any(" " in text for text in suggestions)


def test_everyday_words_of_the_synonyms_are_suggested(indexed_catalog):
    assert "身份证丢了" in suggest(query="shenfenzheng", limit=20)
