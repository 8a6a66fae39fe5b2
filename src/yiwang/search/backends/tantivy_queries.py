"""Tantivy queries for an analyzed search: words over weighted fields, filters, region first."""

from __future__ import annotations

from functools import lru_cache

import tantivy
from tantivy import Occur, Query

from ..analysis import QueryClause, QueryWord
from .base import BUNDLE, SearchFilters, SearchRequest
from .tantivy_documents import CHARACTER_FIELD_WEIGHT, NO, TEXT_FIELD_WEIGHTS, YES, catalog_schema

# Documents of the chosen region (or below it) get this constant on top of their text score, those of the
# regions above it half of it: BM25 over a few words, even lifted by popularity, never reaches either, so
# local implementations come first, then provincial and national ones, then the rest, each by text score.
REGION_SCORE = 2000.0
ANCESTOR_SCORE = 1000.0
# A bundle of the life event a query asks about ("老人去世了要办什么") gets this on top of its text score,
# and is found even when its own words differ from the question's: above any text score, below a region.
LIFE_EVENT_SCORE = 100.0
# When no document has every word, a document gets this for each of the query's words it has (coordination),
# above the region scores: a service with two of the question's words ("公积金 缴存") comes before a local one
# with a single rarer word ("比例"); the region still orders documents with as many words, and BM25 within.
WORD_MATCH_SCORE = 2500.0


def _any(queries: list[Query]) -> Query:
    return (
        queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, query) for query in queries])
    )


def _all(queries: list[Query]) -> Query:
    return (
        queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Must, query) for query in queries])
    )


def _token_query(schema: tantivy.Schema, token: str) -> Query:
    """A token in any text field, each field with its weight."""
    queries = [
        Query.boost_query(Query.term_query(schema, field, token, index_option="freq"), weight)
        for field, weight in TEXT_FIELD_WEIGHTS.items()
    ]
    if len(token) == 1:
        # Single characters are rarely tokens of their own: look them up among the name's characters.
        queries.append(
            Query.boost_query(Query.term_query(schema, "characters", token), CHARACTER_FIELD_WEIGHT)
        )
    return _any(queries)


def _word_query(schema: tantivy.Schema, word: QueryWord) -> Query:
    """The word, or all its parts (不动产登记: 不动产 + 登记); a document with the whole word scores for both.

    The index holds search-mode tokens, so a field with the whole word holds its parts too: the documents
    with all the parts are all the matches, and the whole word only adds to their score. Asked as "parts
    required, whole word optional" (rather than "whole word or all parts") tantivy scores the same
    documents the same, without a union of the two (bench/README.md: identical pages, ~0.2 ms less p50 on
    queries with such a word).
    """
    direct = _token_query(schema, word.text)
    if not word.parts:
        return direct
    parts = _all([_token_query(schema, part) for part in word.parts])
    return Query.boolean_query([(Occur.Must, parts), (Occur.Should, direct)])


def _clause_query(schema: tantivy.Schema, clause: QueryClause) -> Query:
    return _any(
        [_all([_word_query(schema, word) for word in alternative]) for alternative in clause.alternatives]
    )


@lru_cache(maxsize=10_000)
def _text_query(clauses: tuple[QueryClause, ...], match_all: bool) -> Query:
    """The words part of a query (tantivy queries are immutable: popular searches reuse theirs)."""
    schema = catalog_schema()
    queries = [_clause_query(schema, clause) for clause in clauses]
    if match_all or len(queries) == 1:
        return _all(queries)
    return _any([Query.const_score_query(query, WORD_MATCH_SCORE) for query in queries] + queries)


def text_query(request: SearchRequest) -> Query:
    return _text_query(tuple(request.clauses), request.match_all)


def _term(schema: tantivy.Schema, field: str, value: str) -> Query:
    return Query.term_query(schema, field, value)


def filter_queries(schema: tantivy.Schema, filters: SearchFilters) -> list[Query]:
    queries = []
    if filters.audience:
        queries.append(_term(schema, "audience", filters.audience))
    if filters.department_code:
        queries.append(_term(schema, "department_code", filters.department_code))
    if filters.item_type is not None:
        queries.append(_term(schema, "item_type", str(filters.item_type)))
    if filters.topic:
        queries.append(_term(schema, "topic", filters.topic))
    if filters.is_online is not None:
        queries.append(_term(schema, "online", YES if filters.is_online else NO))
    if filters.is_zero_visit is not None:
        queries.append(_term(schema, "zero_visit", YES if filters.is_zero_visit else NO))
    return queries


def region_queries(schema: tantivy.Schema, request: SearchRequest) -> list[Query]:
    """Implementations in the chosen region or below it first, then those of the regions above it."""
    if not request.region_code:
        return []
    queries = [Query.const_score_query(_term(schema, "region_path", request.region_code), REGION_SCORE)]
    if request.region_ancestors:
        ancestors = Query.term_set_query(schema, "region_code", list(request.region_ancestors))
        queries.append(Query.const_score_query(ancestors, ANCESTOR_SCORE))
    return queries


@lru_cache(maxsize=64)
def life_event_query(words: tuple[str, ...]) -> Query:
    """Bundles whose name or keywords hold one of the life events' words, at a constant score."""
    schema = catalog_schema()
    word_queries = [Query.term_query(schema, field, word) for word in words for field in ("name", "keywords")]
    bundles = _all([_term(schema, "kind", BUNDLE), _any(word_queries)])
    return Query.const_score_query(bundles, LIFE_EVENT_SCORE)


def build_query(schema: tantivy.Schema, request: SearchRequest) -> Query:
    words = text_query(request)
    if request.life_event_words:
        words = _any([words, life_event_query(tuple(request.life_event_words))])
    subqueries = [(Occur.Must, words)]
    # Filters select without scoring, so they do not shift the ranking.
    subqueries += [
        (Occur.Must, Query.const_score_query(query, 0.0)) for query in filter_queries(schema, request.filters)
    ]
    subqueries += [(Occur.Should, query) for query in region_queries(schema, request)]
    return Query.boolean_query(subqueries)
