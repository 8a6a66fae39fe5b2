"""Which searches showed results and whether anyone followed one: counts per query, region and day.

Nothing about the person is kept, only the normalized query (as for misses), the region searched from and
two counts. A portal search that shows results adds one to ``searches`` (one UPDATE once the day's row
exists); following a result through the portal's ``/search/go`` link adds one to ``clicks`` of a row that
a search created — a click never creates a row, so a crafted link cannot fill the table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from yiwang.catalog.models import Bundle, Implementation
from yiwang.core.errors import InvalidInput, NotFound

from ..analysis import normalize_text
from ..constants import UNCLICKED_DAYS, UNCLICKED_MIN_SEARCHES, MissKind, ResultKind
from ..models import SearchMiss, SearchQueryDay
from . import count_once, logger

MAX_QUERY_LENGTH: int = SearchQueryDay._meta.get_field("query").max_length or 200
MAX_CODE_LENGTH = 100
MAX_REGION_LENGTH = 12


def record_search_shown(*, query: str, region_code: str | None = None) -> None:
    """Count a search that showed results (the first page of a portal search)."""
    normalized = normalize_text(query)[:MAX_QUERY_LENGTH]
    if not normalized:
        return
    region_code, day = region_code or "", timezone.localdate()
    count_once(
        SearchQueryDay.objects.filter(query=normalized, region_code=region_code, day=day),
        "searches",
        lambda: SearchQueryDay.objects.create(query=normalized, region_code=region_code, day=day, searches=1),
    )


def _checked_target(*, kind: str, code: str) -> tuple[str, str]:
    if kind not in ResultKind.values:
        raise InvalidInput("未知的结果类型", code="invalid_result_kind")
    code = (code or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH or not code.isprintable() or any(c.isspace() for c in code):
        raise InvalidInput("结果编码无效", code="invalid_result_code")
    if kind == ResultKind.BUNDLE:
        known = Bundle.objects.filter(code=code, is_active=True).exists()
    else:
        known = Implementation.objects.filter(code=code, is_active=True).exists()
    if not known:
        raise NotFound("未找到该服务", code="result_not_found")
    return kind, code


def record_search_click(
    *, query: str, region_code: str | None = None, kind: str, code: str
) -> tuple[str, str]:
    """Count that a result of ``query`` was followed; the (kind, code) to go to, only a known service.

    Raises InvalidInput for a malformed target and NotFound for one that is not an active implementation
    or bundle (the portal answers 400/404, never a redirect elsewhere).
    """
    target = _checked_target(kind=kind, code=code)
    normalized = normalize_text(query or "")[:MAX_QUERY_LENGTH]
    region_code = region_code if region_code and region_code.isascii() and region_code.isdigit() else ""
    region_code = region_code[:MAX_REGION_LENGTH]
    if not normalized:
        return target
    today = timezone.localdate()
    try:
        # The day's row, or the day before's (a result followed after midnight); never a new row.
        row = (
            SearchQueryDay.objects.filter(
                query=normalized, region_code=region_code, day__gte=today - dt.timedelta(days=1)
            )
            .order_by("-day")
            .values_list("pk", flat=True)
            .first()
        )
        if row is not None:
            SearchQueryDay.objects.filter(pk=row).update(clicks=F("clicks") + 1)
    except DatabaseError:
        logger.warning("could not count a search result click", exc_info=True)
    return target


@dataclass(frozen=True)
class UnclickedQuery:
    """A query that showed results often enough in the period and whose results nobody followed."""

    id: int  # the latest SearchQueryDay row of the query: what the screen's forms name
    query: str
    region_code: str
    searches: int
    last_day: dt.date


def unclicked_since() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=UNCLICKED_DAYS - 1)


def unclicked_rows(*, scope: Q) -> QuerySet:
    """Never-clicked queries of the rows ``scope`` selects (a curator's regions), most searched first, as
    dicts; queries a curator resolved within the period are left out."""
    since = unclicked_since()
    resolved = SearchMiss.objects.filter(
        kind=MissKind.NO_CLICK,
        query=OuterRef("query"),
        region_code=OuterRef("region_code"),
        resolved_at__gte=timezone.now() - dt.timedelta(days=UNCLICKED_DAYS),
    )
    return (
        SearchQueryDay.objects.filter(scope, day__gte=since)
        .filter(~Exists(resolved))
        .values("query", "region_code")
        .annotate(
            total_searches=Sum("searches"), total_clicks=Sum("clicks"), last_day=Max("day"), row_id=Max("pk")
        )
        .filter(total_searches__gte=UNCLICKED_MIN_SEARCHES, total_clicks=0)
        .order_by("-total_searches", "-last_day", "query")
    )


def as_unclicked(row: dict) -> UnclickedQuery:
    return UnclickedQuery(
        id=row["row_id"],
        query=row["query"],
        region_code=row["region_code"],
        searches=row["total_searches"],
        last_day=row["last_day"],
    )
