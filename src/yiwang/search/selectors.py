"""Reads of the search app: catalog search and suggestions (the portal and the API call these)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.conf import settings
from django.db.models import QuerySet

from yiwang.catalog.constants import Audience, ItemType
from yiwang.core.errors import InvalidInput
from yiwang.regions.models import Region
from yiwang.regions.selectors import ancestor_codes

from .analysis import analyze_query, normalize_text
from .backends import get_backend
from .backends.base import SearchFilters, SearchHit, SearchRequest
from .models import SearchMiss
from .services import record_search_miss

MAX_LIMIT = 100
MAX_OFFSET = 10_000
MAX_SUGGESTIONS = 50
# A query of more words than this is cut: nobody types them, and each word costs a sub-query.
MAX_QUERY_CLAUSES = 24


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


# Region chains are reference data that never change once loaded: each process remembers the ones it met.
_region_chains: dict[str, tuple[str, ...]] = {}
MAX_REMEMBERED_REGIONS = 50_000


def _region_scope(region_code: str) -> tuple[str, tuple[str, ...]]:
    """The chosen region's code and its ancestors' codes; an unknown region is a bad request (400)."""
    code = region_code.strip()
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
) -> SearchPage:
    """Implementations and bundles matching every word (or, if none does, any word), chosen region first."""
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
    analyzed = analyze_query(query)
    request = SearchRequest(
        clauses=analyzed.clauses[:MAX_QUERY_CLAUSES],
        region_code=region,
        region_ancestors=ancestors,
        filters=filters,
        limit=limit,
        offset=offset,
    )
    backend = get_backend()
    page = backend.search(request=request)
    matched_all = True
    if page.count == 0 and len(request.clauses) > 1:
        matched_all = False
        page = backend.search(request=replace(request, match_all=False))
    if page.count == 0 and offset == 0:
        record_search_miss(query=query, region_code=region)
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


def list_search_misses(*, region_code: str | None = None) -> QuerySet[SearchMiss]:
    """Queries that found nothing, most frequent first."""
    misses = SearchMiss.objects.order_by("-count", "-last_seen")
    return misses.filter(region_code=region_code) if region_code is not None else misses
