"""/api/v1/supervision/stats (staff: their supervision scope, ``supervision:read``) and /api/v1/public/stats
(anyone: the platform's or a region's aggregates): the dashboards' figures as JSON.

Query: ``period`` (7, 30, 90 or 365 days ending today), ``region`` (a 12-digit code: drill into it),
``department`` (an id: drill into it; staff only within their scope). Rates are percentages or null when
nothing was counted. The public answer carries no case and no person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from yiwang.core.api_auth import bearer_scope
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut

from .selectors.stats import (
    SUMMED,
    Figures,
    Reader,
    dashboard_figures,
    period_window,
    public_reader,
    resolve_department,
    resolve_region,
    staff_reader,
)

STAFF_READ = bearer_scope("supervision:read")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut}

router = Router(tags=["统计看板"])


class StatsQuery(Schema):
    period: int = Field(30, description="统计周期（天）：7、30、90 或 365")
    region: str = Field("", max_length=12, pattern=r"^\d{0,12}$", description="行政区划代码（钻取）")
    department: int | None = Field(None, ge=1, le=2**31 - 1, description="部门 id（钻取）")


class RowOut(Schema):
    name: str
    key: str
    submitted: int
    accepted: int
    closed: int
    on_time: float | None
    fully_online: float | None
    at_most_one_visit: float | None
    satisfaction: float | None
    average_days: float | None
    yellow_cards: int
    red_cards: int
    complaints: int


class DailyOut(Schema):
    bucket: str = Field(
        description="day: one entry per day; month: per month (periods over 90 days), "
        "`days` then holds each month's first day and the edge months are partial"
    )
    days: list[str]
    submitted: list[int]
    closed: list[int]
    average_days: list[float | None]


class StatsOut(Schema):
    since: dt.date
    until: dt.date
    region: str | None
    department: str | None
    rates: dict[str, float | None]
    totals: dict[str, float]
    implementations: dict[str, int]
    average_days: float | None
    daily: DailyOut
    children_kind: str
    children: list[RowOut]
    departments: list[RowOut]
    complaints_by_topic: list[dict[str, Any]]


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "key": str(row["key"] or "")}


def _answer(reader: Reader, query: StatsQuery) -> dict[str, Any]:
    since, until = period_window(days=query.period)
    region = resolve_region(code=query.region or None)
    department = resolve_department(reader=reader, department_id=query.department)
    figures: Figures = dashboard_figures(
        reader=reader, since=since, until=until, region=region, department=department
    )
    return {
        "since": figures.since,
        "until": figures.until,
        "region": region.code if region else None,
        "department": department.name if department else None,
        "rates": figures.rates,
        "totals": {name: figures.totals[name] for name in SUMMED},
        "implementations": figures.implementations,
        "average_days": figures.average_days,
        "daily": figures.daily,
        "children_kind": figures.child_kind,
        "children": [_row(row) for row in figures.children],
        "departments": [_row(row) for row in figures.departments],
        "complaints_by_topic": figures.complaints_by_topic,
    }


@router.get(
    "/supervision/stats",
    response={200: StatsOut, **ERRORS},
    auth=STAFF_READ,
    summary="统计看板（本人监察范围）：比率、件量、用时、黄红牌、投诉、数据共享调用，可按区划、部门钻取",
)
def staff_stats(request: HttpRequest, query: Query[StatsQuery]):
    return _answer(staff_reader(actor=request.auth), query)


@router.get(
    "/public/stats",
    response={200: StatsOut, **ERROR_RESPONSES},
    auth=None,
    summary="政务服务数据公开：全平台或某一区划的汇总数据（不含办件与个人信息）",
)
def public_stats(request: HttpRequest, query: Query[StatsQuery]):
    return _answer(public_reader(), query)
