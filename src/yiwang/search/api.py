"""Search API (/api/v1): catalog search and typing suggestions."""

from __future__ import annotations

from ninja import Query, Router, Schema
from pydantic import BaseModel

from yiwang.core.schemas import ERROR_RESPONSES

from . import selectors

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = ""
    region: str | None = None
    audience: str | None = None
    department: str | None = None
    item_type: int | None = None
    topic: str | None = None
    online: bool | None = None
    zero_visit: bool | None = None
    limit: int = 20
    offset: int = 0


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
    return {
        "count": page.count,
        "results": [{name: getattr(hit, name) for name in RESULT_FIELDS} for hit in page.results],
        "query_terms": page.query_terms,
        "expanded_terms": page.expanded_terms,
        "matched_all_words": page.matched_all_words,
    }


@router.get("/suggest", response={200: SuggestOut, **ERROR_RESPONSES}, summary="搜索联想（支持拼音与首字母）")
def suggest(request, q: str = "", limit: int = 10):
    """Names starting with the typed characters, full pinyin or initials, most visited first."""
    return {"suggestions": selectors.suggest(query=q, limit=limit)}
