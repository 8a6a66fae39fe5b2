"""Search API (/api/v1): catalog search and typing suggestions."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import BaseModel

from yiwang.catalog.constants import Audience, ItemType
from yiwang.core.lru import LRU
from yiwang.core.schemas import ERROR_RESPONSES

from . import selectors

router = Router(tags=["search"])


# The limits below are documented in the schema (json_schema_extra) but checked by the selectors, so a bad
# value answers its stable code (empty_query, invalid_limit, unknown_region ...) rather than invalid_input.
class SearchParams(Schema):
    q: str = Field(
        "",
        description=f"搜索词，1–{settings.SEARCH_MAX_QUERY_LENGTH} 个字（空白返回 400 empty_query，"
        "过长返回 400 query_too_long）",
        json_schema_extra={"minLength": 1, "maxLength": settings.SEARCH_MAX_QUERY_LENGTH},
    )
    region: str | None = Field(
        None,
        description="12 位行政区划代码：该区划及其上级的实施优先；不存在的代码返回 400 unknown_region",
        json_schema_extra={"pattern": "^[0-9]{12}$"},
    )
    audience: str | None = Field(
        None,
        description="服务对象；其他值返回 400 invalid_audience",
        json_schema_extra={"enum": list(Audience.values)},
    )
    department: str | None = None
    item_type: int | None = Field(
        None,
        description="事项类型；其他值返回 400 invalid_item_type",
        json_schema_extra={"enum": list(ItemType.values)},
    )
    topic: str | None = None
    online: bool | None = None
    zero_visit: bool | None = None
    limit: int = Field(
        20,
        description=f"每页条数，1–{selectors.MAX_LIMIT}（超出范围返回 400 invalid_limit）",
        json_schema_extra={"minimum": 1, "maximum": selectors.MAX_LIMIT},
    )
    offset: int = Field(
        0,
        description=f"偏移量，0–{selectors.MAX_OFFSET}（超出范围返回 400 invalid_offset）",
        json_schema_extra={"minimum": 0, "maximum": selectors.MAX_OFFSET},
    )


class SuggestParams(Schema):
    q: str = Field(
        "",
        description=f"已输入的字、全拼或首字母，最多 {settings.SEARCH_MAX_QUERY_LENGTH} 个字"
        "（过长返回 400 query_too_long）",
        json_schema_extra={"maxLength": settings.SEARCH_MAX_QUERY_LENGTH},
    )
    limit: int = Field(
        10,
        description=f"建议条数，1–{selectors.MAX_SUGGESTIONS}（超出范围返回 400 invalid_limit）",
        json_schema_extra={"minimum": 1, "maximum": selectors.MAX_SUGGESTIONS},
    )


# Plain pydantic models: ninja's Schema wraps every value in an attribute getter, which cost more than
# the (cached) search itself on this hot path.
class SearchResultOut(BaseModel):
    kind: str
    code: str
    name: str
    department: str
    region: str
    region_code: str
    url: str
    score: float
    item_type: int | None
    online: bool
    visits: int | None


RESULT_FIELDS = tuple(SearchResultOut.model_fields)
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class SearchOut(BaseModel):
    count: int
    results: list[SearchResultOut]
    query_terms: list[str]
    expanded_terms: list[str]
    matched_all_words: bool


class SuggestOut(Schema):
    suggestions: list[str]


@router.get("/search", response={200: SearchOut, **ERROR_RESPONSES}, summary="搜索事项与一件事")
def search(request, params: Query[SearchParams]):
    """Chinese full-text search; everyday words map to official terms; the chosen region ranks first."""
    page = selectors.search_catalog(
        query=params.q,
        region_code=params.region,
        audience=params.audience,
        department=params.department,
        item_type=params.item_type,
        topic=params.topic,
        online=params.online,
        zero_visit=params.zero_visit,
        limit=params.limit,
        offset=params.offset,
    )
    # The body is SearchOut already (typed hits, test_api checks it against the schema): validating it
    # again through pydantic and rendering the models cost a cached search more than the search itself.
    # Same bytes as json.dumps of the whole dict in this key order.
    rest = json.dumps(
        {
            "query_terms": page.query_terms,
            "expanded_terms": page.expanded_terms,
            "matched_all_words": page.matched_all_words,
        },
        ensure_ascii=False,
    )
    body = f'{{"count": {int(page.count)}, "results": {_results_json(page.results)}, {rest[1:]}'
    return HttpResponse(body, content_type=JSON_CONTENT_TYPE)


SERIALIZED_PAGES = 1024
_serialized = LRU(max_entries=SERIALIZED_PAGES)


def _results_json(hits: list) -> str:
    """A page's hits as JSON, made once per page object: the backend's result cache (ADR 0004) hands every
    request for a page the same list of hits, so a popular page is serialized once per process instead of
    once per request. An entry holds its list, so the list's id cannot name another list while cached; a
    new index state makes new pages, hence new lists."""
    key = id(hits)
    entry = _serialized.get(key)
    if entry is not None and entry[0] is hits:
        return entry[1]
    text = json.dumps(
        [{name: getattr(hit, name) for name in RESULT_FIELDS} for hit in hits], ensure_ascii=False
    )
    _serialized.put(key, (hits, text))
    return text


@router.get("/suggest", response={200: SuggestOut, **ERROR_RESPONSES}, summary="搜索联想（支持拼音与首字母）")
def suggest(request, params: Query[SuggestParams]):
    """Names starting with the typed characters, full pinyin or initials, most visited first."""
    return {"suggestions": selectors.suggest(query=params.q, limit=params.limit)}
