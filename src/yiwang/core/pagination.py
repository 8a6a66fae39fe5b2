"""The one pagination shape of every list: keyset pages behind an opaque cursor.

A page is ``{"items": [...], "next_cursor": "…" | null}``. The cursor carries the ordering values of the
last item, so page N costs what page 1 costs (no OFFSET) and rows inserted meanwhile never shift a page.
Tampered or foreign cursors are refused with ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet
from ninja import Schema

from .errors import InvalidInput

T = TypeVar("T")
M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
_SALT = "yiwang.core.pagination"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class PageIn(Schema):
    """Query parameters of a paged list (documented limits: 1 ≤ limit ≤ 100)."""

    cursor: str | None = None
    limit: int = DEFAULT_LIMIT


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for v in values]
    signed = signing.dumps(plain, salt=_SALT, compress=True)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _decode(cursor: str, ordering: Sequence[str], model: type[Model]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = signing.loads(base64.urlsafe_b64decode(padded).decode(), salt=_SALT)
    except (ValueError, signing.BadSignature, UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidInput("分页游标无效，请从第一页重新查询", code="invalid_cursor") from None
    if not isinstance(values, list) or len(values) != len(ordering):
        raise InvalidInput("分页游标无效，请从第一页重新查询", code="invalid_cursor")
    parsed = []
    for name, value in zip(ordering, values, strict=True):
        field = model._meta.get_field(name.lstrip("-"))
        try:
            parsed.append(field.to_python(value))
        except Exception:  # any unparsable value is the same bad cursor
            raise InvalidInput("分页游标无效，请从第一页重新查询", code="invalid_cursor") from None
    return parsed


def _after(ordering: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (a lexicographic keyset condition)."""
    condition = Q()
    for position, name in enumerate(ordering):
        field = name.lstrip("-")
        lookup = "lt" if name.startswith("-") else "gt"
        step = Q(**{f"{field}__{lookup}": values[position]})
        for earlier, earlier_name in enumerate(ordering[:position]):
            step &= Q(**{earlier_name.lstrip("-"): values[earlier]})
        condition |= step
    return condition


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"每页条数须在 1 到 {MAX_LIMIT} 之间", code="invalid_limit", limit=limit)
    return limit


def paginate(
    queryset: QuerySet[M], *, ordering: Sequence[str], cursor: str | None, limit: int = DEFAULT_LIMIT
) -> Page[M]:
    """One page of ``queryset`` in ``ordering`` (its last field must be unique, e.g. ``-id``)."""
    limit = check_limit(limit)
    if cursor:
        queryset = queryset.filter(_after(ordering, _decode(cursor, ordering, queryset.model)))
    rows = list(queryset.order_by(*ordering)[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more and items:
        last = items[-1]
        fields = [queryset.model._meta.get_field(name.lstrip("-")) for name in ordering]
        next_cursor = _encode([getattr(last, field.attname) for field in fields])
    return Page(items=items, next_cursor=next_cursor)
