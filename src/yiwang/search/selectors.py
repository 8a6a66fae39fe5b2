"""Reads of the search app: catalog search and suggestions (the portal and the API call these)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import QuerySet

from yiwang.catalog.constants import Audience, ItemType
from yiwang.catalog.models import Implementation
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.regions.constants import RegionLevel
from yiwang.regions.models import Region
from yiwang.regions.selectors import ancestor_codes

from .analysis import AnalyzedQuery, QueryClause, QueryWord, analyze_query, normalize_text, tokenizer
from .backends import get_backend
from .backends.base import (
    BUNDLE,
    IMPLEMENTATION,
    BackendPage,
    SearchBackend,
    SearchFilters,
    SearchHit,
    SearchRequest,
)
from .constants import MissKind
from .english import translate_english
from .learned import refresh_learned_synonyms
from .life_events import life_event_words
from .models import SearchMiss
from .pinyin import chinese_for_pinyin
from .services import record_search_miss
from .services.clicks import UnclickedQuery, as_unclicked, record_search_shown, unclicked_rows
from .services.curation import curated_queries, curating_roles, department_scope

MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_SUGGESTIONS = 50
# A query of more words than this is cut: nobody types them, and each word costs a sub-query.
MAX_QUERY_CLAUSES = 24
# Latin letters not touching digits (codes like 511Z07001006 stay as typed): typed pinyin, maybe spaced.
_LATIN_RUN = re.compile(r"(?<![a-z0-9])[a-z]+(?:\s+[a-z]+)*(?![a-z0-9])")
PINYIN_CANDIDATES = 10
# The typo fallback leaves out one character of the query's words: from 3 characters (2 would leave one
# character, which matches anything) to 10 (beyond that a query is a sentence, and any-word search fits).
TYPO_MIN_CHARACTERS, TYPO_MAX_CHARACTERS = 3, 10


@dataclass(frozen=True)
class SearchPage:
    count: int
    results: list[SearchHit]
    query_terms: list[str] = field(default_factory=list)
    expanded_terms: list[str] = field(default_factory=list)  # official terms the synonyms added
    matched_all_words: bool = True  # False: nothing had every word, these results have some of them


def _checked_query(query: str | None) -> str:
    query = (query or "").strip()
    if len(query) > settings.SEARCH_MAX_QUERY_LENGTH:
        raise InvalidInput(
            f"搜索词不能超过 {settings.SEARCH_MAX_QUERY_LENGTH} 个字",
            code="query_too_long",
            max_length=settings.SEARCH_MAX_QUERY_LENGTH,
        )
    return query


# Region chains are reference data that never change once loaded: each process remembers the ones it met,
# and on its first search every chain down to the counties (a few thousand) in one query, because asking
# the database for a county's chain cost a search about as much as the index did (bench/README.md).
_region_chains: dict[str, tuple[str, ...]] = {}
_upper_chains_loaded = False
MAX_REMEMBERED_REGIONS = 50_000


def _load_upper_region_chains() -> None:
    global _upper_chains_loaded
    _upper_chains_loaded = True
    parents = dict(
        Region.objects.filter(level__lte=RegionLevel.COUNTY).values_list("code", "parent_id").iterator()
    )
    for code in parents:
        ancestors = []
        parent = parents[code]
        while parent in parents:
            ancestors.append(parent)
            parent = parents[parent]
        _region_chains.setdefault(code, tuple(ancestors))


def _region_scope(region_code: str) -> tuple[str, tuple[str, ...]]:
    """The chosen region's code and its ancestors' codes; an unknown region is a bad request (400)."""
    code = region_code.strip()
    if not _upper_chains_loaded:
        _load_upper_region_chains()
    if code in _region_chains:
        return code, _region_chains[code]
    # Ancestors' codes are prefixes of a region's code padded with zeros: one query fetches the chain.
    candidates = set(ancestor_codes(code)) if len(code) == 12 else set()
    parents = dict(Region.objects.filter(code__in=candidates).values_list("code", "parent_id"))
    if not code.isdigit() or code not in parents:
        raise InvalidInput("行政区划代码不存在", code="unknown_region", region=code[:20])
    ancestors = []
    parent = parents[code]
    while parent in parents:
        ancestors.append(parent)
        parent = parents[parent]
    if len(_region_chains) < MAX_REMEMBERED_REGIONS:
        _region_chains[code] = tuple(ancestors)
    return code, tuple(ancestors)


def _filters(*, audience, department, item_type, topic, online, zero_visit) -> SearchFilters:
    if audience is not None and audience not in Audience.values:
        raise InvalidInput("服务对象不正确", code="invalid_audience", allowed=list(Audience.values))
    if item_type is not None and item_type not in ItemType.values:
        raise InvalidInput("事项类型不正确", code="invalid_item_type", allowed=list(ItemType.values))
    return SearchFilters(
        audience=audience or None,
        department_code=(department or "").strip().upper() or None,
        item_type=item_type,
        topic=(topic or "").strip() or None,
        is_online=online,
        is_zero_visit=zero_visit,
    )


def _chinese_for_latin_run(backend: SearchBackend, run: str) -> str:
    """The Chinese words a typed pinyin run spells, the most common among the suggestions it finds."""
    key = run.replace(" ", "")
    if len(key) < 2:
        return run
    spelled: Counter[str] = Counter()
    for text in backend.suggest(prefix=key, limit=PINYIN_CANDIDATES):
        chinese = chinese_for_pinyin(key, text)
        if chinese:
            spelled[chinese] += 1
    return f" {spelled.most_common(1)[0][0]} " if spelled else run


def rewritten_query(query: str, *, backend: SearchBackend | None = None) -> str:
    """The query as the catalog writes it: English glossary terms and typed pinyin put into Chinese.

    Traditional characters are folded by ``normalize_text``. Pinyin is read only when no English term
    matched, through the suggestions (names, official terms and everyday words, most used first).
    """
    normalized = normalize_text(query)
    translated = translate_english(normalized)
    if translated != normalized or not any("a" <= char <= "z" for char in normalized):
        return translated
    backend = backend or get_backend()
    spelled = _LATIN_RUN.sub(lambda run: _chinese_for_latin_run(backend, run.group()), normalized)
    return normalize_text(spelled)


def typo_clauses(analyzed: AnalyzedQuery) -> tuple[QueryClause, ...]:
    """One clause: the query's characters with any one left out (a typo or a look-alike character)."""
    characters = [char for char in dict.fromkeys("".join(analyzed.terms)) if "\u4e00" <= char <= "\u9fff"]
    if not TYPO_MIN_CHARACTERS <= len(characters) <= TYPO_MAX_CHARACTERS:
        return ()
    alternatives = tuple(
        tuple(QueryWord(text=char) for char in characters[:left_out] + characters[left_out + 1 :])
        for left_out in range(len(characters))
    )
    return (QueryClause(alternatives=alternatives),)


def _found_nothing(page: BackendPage, request: SearchRequest) -> bool:
    """No document has the words (the bundles of a life event the query names are found regardless)."""
    if page.count == 0:
        return True
    only_bundles = page.count == len(page.hits) and all(hit.kind == BUNDLE for hit in page.hits)
    return bool(request.life_event_words) and only_bundles


def search_catalog(
    *,
    query: str,
    region_code: str | None = None,
    audience: str | None = None,
    department: str | None = None,
    item_type: int | None = None,
    topic: str | None = None,
    online: bool | None = None,
    zero_visit: bool | None = None,
    limit: int = 20,
    offset: int = 0,
    count_shown: bool = False,
) -> SearchPage:
    """Implementations and bundles matching every word (or, if none does, any word), chosen region first.

    A first page that finds nothing is counted as a miss; with ``count_shown`` (the portal, whose result
    links count clicks) a first page with results is counted per query and day, one write either way.
    """
    query = _checked_query(query)
    if not normalize_text(query):
        raise InvalidInput("请输入搜索词", code="empty_query")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"每页条数应在 1 到 {MAX_LIMIT} 之间", code="invalid_limit")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"偏移量应在 0 到 {MAX_OFFSET} 之间", code="invalid_offset")
    filters = _filters(
        audience=audience,
        department=department,
        item_type=item_type,
        topic=topic,
        online=online,
        zero_visit=zero_visit,
    )
    region, ancestors = _region_scope(region_code) if region_code else (None, ())
    backend = get_backend()
    refresh_learned_synonyms()  # one stat: synonyms a curator just added on this node count at once
    text = rewritten_query(query, backend=backend)
    analyzed = analyze_query(text)
    request = SearchRequest(
        clauses=analyzed.clauses[:MAX_QUERY_CLAUSES],
        region_code=region,
        region_ancestors=ancestors,
        filters=filters,
        limit=limit,
        offset=offset,
        life_event_words=life_event_words(analyzed.normalized),
    )
    page = backend.search(request=request)
    matched_all = True
    if _found_nothing(page, request) and (typos := typo_clauses(analyzed)):
        # Nothing has every word: maybe one character is mistyped (身分证, 营业执找).
        matched_all = False
        page = backend.search(request=replace(request, clauses=typos))
    if _found_nothing(page, request) and len(request.clauses) > 1:
        matched_all = False
        page = backend.search(request=replace(request, match_all=False))
    if page.count == 0 and offset == 0:
        record_search_miss(query=query, region_code=region)
    elif count_shown and offset == 0:
        record_search_shown(query=query, region_code=region)
    return SearchPage(
        count=page.count,
        results=page.hits,
        query_terms=list(analyzed.terms),
        expanded_terms=list(analyzed.expanded_terms),
        matched_all_words=matched_all or page.count == 0,
    )


def suggest(*, query: str, limit: int = 10) -> list[str]:
    """Names and official terms starting with the typed text, its full pinyin or initials, most used first."""
    query = _checked_query(query)
    if not 1 <= limit <= MAX_SUGGESTIONS:
        raise InvalidInput(f"建议条数应在 1 到 {MAX_SUGGESTIONS} 之间", code="invalid_limit")
    if not normalize_text(query):
        return []
    return get_backend().suggest(prefix=query, limit=limit)


def preload_search() -> None:
    """Load now what searches read: jieba and its dictionary, synonyms, glossary, pinyin phrases, and
    the region chains down to the counties.

    The server's parent process calls this before forking its workers (yiwang.prefork), so the workers
    share these tables instead of each building its own on its first search.
    """
    from .pinyin import load_pinyin_phrases

    _load_upper_region_chains()
    tokenizer()  # directly: analyze_query below may answer from its cache without it
    analyze_query("营业执照")
    translate_english("business license")
    life_event_words("出生")
    load_pinyin_phrases()


def list_search_misses(*, region_code: str | None = None) -> QuerySet[SearchMiss]:
    """Queries that found nothing, most frequent first."""
    misses = SearchMiss.objects.filter(kind=MissKind.NO_RESULT).order_by("-count", "-last_seen")
    return misses.filter(region_code=region_code) if region_code is not None else misses


# The search-miss screen of search curators ----------------------------------------------------------------

KEYWORD_CANDIDATES = 8
CANDIDATE_HITS = 60


def is_search_curator(*, actor) -> bool:
    return bool(curating_roles(actor))


def list_misses_for_curator(*, actor, include_resolved: bool = False) -> QuerySet[SearchMiss]:
    """Queries that found nothing in the regions the actor curates (and those searched without a region)."""
    roles = curating_roles(actor)
    if not roles:
        return SearchMiss.objects.none()
    misses = SearchMiss.objects.filter(curated_queries(roles), kind=MissKind.NO_RESULT)
    if not include_resolved:
        misses = misses.filter(resolution="")
    return misses.order_by("-count", "-last_seen", "pk")


def access_miss_for_curator(*, actor, miss_id: int) -> SearchMiss:
    """The missed query if the actor curates its region; "not found" for missing and out of scope alike."""
    miss = list_misses_for_curator(actor=actor, include_resolved=True).filter(pk=miss_id).first()
    if miss is None:
        raise NotFound("未找到该零结果搜索", code="miss_not_found")
    return miss


def list_unclicked_for_curator(*, actor, limit: int = 25) -> list[UnclickedQuery]:
    """Queries of the actor's regions that showed results often in the period and were never followed."""
    roles = curating_roles(actor)
    if not roles:
        return []
    return [as_unclicked(row) for row in unclicked_rows(scope=curated_queries(roles))[:limit]]


def list_curatable_implementations(*, actor) -> QuerySet[Implementation]:
    """Active implementations of the departments (within the regions) where the actor curates search."""
    roles = curating_roles(actor)
    if not roles:
        return Implementation.objects.none()
    return (
        Implementation.objects.filter(department_scope(roles), is_active=True, item__is_active=True)
        .select_related("department", "region")
        .order_by("department__name", "name", "pk")
    )


def list_keyword_candidates(
    *, actor, miss: SearchMiss | UnclickedQuery, limit: int = KEYWORD_CANDIDATES
) -> list[Implementation]:
    """The implementations the actor curates that share a word with the missed (or never-clicked) query,
    best match first."""
    analyzed = analyze_query(rewritten_query(miss.query))
    if analyzed.is_empty:
        return []
    request = SearchRequest(
        clauses=analyzed.clauses[:MAX_QUERY_CLAUSES],
        match_all=False,
        region_code=miss.region_code or None,
        limit=CANDIDATE_HITS,
    )
    codes = [hit.code for hit in get_backend().search(request=request).hits if hit.kind == IMPLEMENTATION]
    found = {
        implementation.code: implementation
        for implementation in list_curatable_implementations(actor=actor).filter(code__in=codes)
    }
    return [found[code] for code in codes if code in found][:limit]
