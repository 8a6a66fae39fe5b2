"""API schemas shared by every app's router: the one error format and the one page of a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Field, Schema
from pydantic import create_model

from .pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageIn


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(Schema):
    """Every error answer of the API: a stable ``code`` for machines, a Chinese ``message`` for people."""

    error: ErrorBody


# The responses every handler may give besides its success, for the OpenAPI schema.
ERROR_RESPONSES: dict[int, type[Schema]] = {400: ErrorOut, 404: ErrorOut}


class PageQuery(PageIn):
    """The query parameters of every paged list (``Query[PageQuery]``, or a subclass adding filters).

    The limits are documented in the schema but checked by ``paginate`` itself, so a bad value answers
    the stable ``invalid_limit`` / ``invalid_cursor`` codes rather than a generic validation error.
    """

    cursor: str | None = Field(None, description="上一页返回的 next_cursor；首页不传")
    limit: int = Field(
        DEFAULT_LIMIT,
        description=f"每页条数，1–{MAX_LIMIT}（超出范围返回 400 invalid_limit）",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    )


_PAGE_SCHEMAS: dict[type[Schema], type[Schema]] = {}
_NEXT_CURSOR = "下一页的游标，原样传给 cursor 参数；null 表示这是最后一页"


def page_of(item: type[Schema]) -> type[Schema]:
    """The response schema of a page of ``item``: ``{"items": [item, …], "next_cursor": str | null}``.

    Every list of the API answers this one shape (search keeps its own ranked shape). ``LicenseTypeOut``
    gives ``LicenseTypePageOut``; the same item always gives the same class, so OpenAPI names stay stable.
    """
    if item not in _PAGE_SCHEMAS:
        name = item.__name__.removesuffix("Out") + "PageOut"
        _PAGE_SCHEMAS[item] = create_model(
            name,
            __base__=Schema,
            __doc__=f"一页{item.__name__}；next_cursor 为 null 表示没有下一页",
            items=(list[item], ...),  # type: ignore[valid-type]
            next_cursor=(str | None, Field(..., description=_NEXT_CURSOR)),
        )
    return _PAGE_SCHEMAS[item]


def render_page(page: Page[Any], render: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The body of a page: each item through ``render`` (a presenter), and the next cursor."""
    items = page.items if render is None else [render(item) for item in page.items]
    return {"items": items, "next_cursor": page.next_cursor}
