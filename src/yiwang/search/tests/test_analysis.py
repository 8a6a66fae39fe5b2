"""Query analysis: stop words, everyday words mapped to official terms, document tokens, pinyin."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from yiwang.search.analysis import (
    analyze_query,
    index_tokens,
    normalize_text,
    official_terms,
    stop_words,
    synonyms,
)
from yiwang.search.pinyin import pinyin_forms


def first_alternative(query: str) -> list[list[str]]:
    return [[word.text for word in clause.alternatives[0]] for clause in analyze_query(query).clauses]


def test_stop_words_are_dropped_from_queries():
    # given a question as people type it
    # when it is analyzed
    analyzed = analyze_query("我想知道如何办理营业执照需要什么材料")
    # then only what they look for remains
    assert analyzed.terms == ("知道", "营业执照")


def test_the_terms_are_the_users_words_and_the_expansion_the_official_ones():
    analyzed = analyze_query("我想开饭店 小吃")
    assert analyzed.terms == ("开饭店", "小吃")
    assert analyzed.expanded_terms == ("食品经营许可",)


def test_a_query_of_stop_words_only_still_searches_for_them():
    assert analyze_query("办理").terms == ("办理",)


def test_everyday_words_become_official_terms():
    assert first_alternative("开饭店") == [["食品经营许可"]]
    assert first_alternative("我想生孩子") == [["出生"]]
    assert first_alternative("身份证丢了怎么办") == [["身份证", "补领"]]
    assert first_alternative("开公司") == [["企业", "设立登记"]]
    assert first_alternative("退休金") == [["养老金"]]
    assert analyze_query("提公积金").expanded_terms == ("住房公积金", "提取")


def test_the_everyday_words_stay_an_alternative():
    # given a synonym whose official term may not appear in a document
    clause = analyze_query("医保").clauses[0]
    # then the typed word is still one way to match
    assert [[word.text for word in alternative] for alternative in clause.alternatives] == [
        ["医疗保险"],
        ["医保"],
    ]


def test_the_longest_everyday_phrase_wins():
    assert first_alternative("医保卡") == [["社会保障卡"]]


def test_synonym_data_has_at_least_sixty_entries_all_with_official_terms():
    assert len(synonyms()) >= 60
    assert all(terms for terms in synonyms().values())
    assert "最低生活保障" in official_terms()


def test_compound_words_of_the_government_dictionary_stay_whole():
    tokens = index_tokens("食品经营许可证核发").split()
    assert "食品经营许可证" in tokens
    # search mode also indexes the parts, so a shorter query word still matches
    assert {"食品", "经营", "许可"} <= set(tokens)
    assert "社会保障卡" in index_tokens("社会保障卡申领").split()
    assert "最低生活保障" in index_tokens("最低生活保障审核确认").split()


def test_query_words_carry_their_parts():
    word = analyze_query("不动产登记").clauses[0].alternatives[0][0]
    assert word.text == "不动产登记"
    assert {"不动产", "登记"} <= set(word.parts)


def test_normalization_folds_width_and_case_and_drops_control_characters():
    assert normalize_text(" ＡＢＣ\x00营业\t执照 ") == "abc 营业 执照"


def test_stop_word_list_has_the_question_words():
    assert {
        "如何",
        "怎么",
        "办理",
        "怎样",
        "在哪",
        "需要",
        "什么",
        "的",
        "了",
        "我",
        "要",
        "想",
    } <= stop_words()


def test_pinyin_forms_read_polyphones_as_in_place_and_government_words():
    assert pinyin_forms("公积金") == ("gongjijin", "gjj")
    assert pinyin_forms("营业执照") == ("yingyezhizhao", "yyzz")
    assert pinyin_forms("重庆") == ("chongqing", "cq")
    assert pinyin_forms("银行") == ("yinhang", "yh")
    assert pinyin_forms("长治县长") == ("changzhixianzhang", "czxz")


@given(st.text(max_size=60))
def test_any_text_analyzes_without_error(text):
    analyzed = analyze_query(text)
    assert all(
        word.text.strip() for clause in analyzed.clauses for alt in clause.alternatives for word in alt
    )
