"""The dashboards' reads: the seeds' rates, volumes and durations, cards, complaints and data-exchange calls
for a scope, the drill-down region → department → implementation → open cases, and the regions' hot items.

Every figure but the catalog's 可网办率, the complaints by topic and a department's open-case list is read
from DailyCaseStat (services.stats), so a page costs a few GROUP BYs over days × departments ×
implementations, however many cases there are. A period longer than a quarter reads its finished whole
months from MonthlyCaseStat and only the days at its edges from DailyCaseStat, and its series is by month.
A region is filtered by the codes of its subtree (``region_id IN (…)``, regions.selectors), which the
(region, day) and (region, month) indexes serve. Public readers see the whole platform or one region, as
aggregates only; staff see their supervision scope (selectors.scope).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.applications.constants import OPEN_STATUSES
from yiwang.applications.models import Case
from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.models import Implementation, Topic
from yiwang.catalog.selectors import list_popular_implementations, region_scope
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.selectors import region_codes_with_permission
from yiwang.regions.models import Department, Region
from yiwang.regions.selectors import (
    get_region,
    list_child_regions,
    region_contains,
    region_subtree_codes,
)

from ..constants import FeedbackKind
from ..models import FIGURE_FIELDS, DailyCaseStat, DemandScore, Feedback, MonthlyCaseStat
from ..services.stats import month_start, next_month
from .scope import OVERSEE, SupervisionScope, supervision_scope_for

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
DAILY_SERIES_MAX_DAYS = 90  # longer periods read finished months from MonthlyCaseStat, series by month
OPEN_CASES_LIMIT = 50
SUMMED = FIGURE_FIELDS


@dataclass(frozen=True)
class Reader:
    """Who reads the figures: the public (``scope`` None: every department) or a staff member's scope."""

    scope: SupervisionScope | None
    staff: bool
    # Where a staff member's dashboard opens: the one region their roles cover (none when several).
    home: Region | None = None

    def q(self) -> Q:
        return Q() if self.scope is None else self.scope.q()


def public_reader() -> Reader:
    return Reader(scope=None, staff=False)


def staff_reader(*, actor: Any) -> Reader:
    """The staff member's supervision scope; PermissionDenied when they supervise nothing."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请以监察人员或部门负责人身份登录"), code="not_supervisor")
    scope = supervision_scope_for(actor)
    if scope.is_empty:
        raise PermissionDenied(_("您没有查看统计看板的权限"), code="not_supervisor")
    return Reader(scope=scope, staff=True, home=_home_region(actor, scope))


def _home_region(actor: Any, scope: SupervisionScope) -> Region | None:
    """The region of the actor's supervising roles and departments, when they are all in one region."""
    codes = region_codes_with_permission(actor, OVERSEE) | set(
        Department.objects.filter(pk__in=scope.department_ids).values_list("region_id", flat=True)
    )
    return Region.objects.filter(code=codes.pop()).first() if len(codes) == 1 else None


def period_window(*, days: int | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    days = days or DEFAULT_PERIOD
    if days not in PERIODS:
        raise InvalidInput(_("统计周期只能是 7、30、90 或 365 天"), code="invalid_period")
    until = today or timezone.localdate()
    return until - dt.timedelta(days=days - 1), until


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(100 * numerator / denominator, 1) if denominator else None


@dataclass
class Figures:
    """One view of the dashboard (a region, a department, or the whole scope) over a period."""

    since: dt.date
    until: dt.date
    region: Region | None = None
    department: Department | None = None
    totals: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float | None] = field(default_factory=dict)
    implementations: dict[str, int] = field(default_factory=dict)
    average_days: float | None = None
    daily: dict[str, list] = field(default_factory=dict)
    children: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    child_kind: str = "region"
    complaints_by_topic: list[dict[str, Any]] = field(default_factory=list)


def _stat_filter(reader: Reader, *, region: Region | None, department: Department | None) -> Q:
    condition = reader.q()
    if department is not None:
        condition &= Q(department_id=department.pk)
    elif region is not None:
        condition &= Q(region_id__in=region_subtree_codes(code=region.code, level=region.level))
    return condition


@dataclass(frozen=True)
class _Period:
    """Where a period's rows are. ``parts`` hold every figure once: the finished whole months inside the
    period from MonthlyCaseStat and the days at its edges from DailyCaseStat (or just the days, for a
    department's view, which needs the implementations, or when no whole month fits). ``series`` is the
    period's days when the series is by day."""

    parts: list[QuerySet]
    series: QuerySet | None
    by_month: bool


def _period(condition: Q, since: dt.date, until: dt.date, *, months: bool) -> _Period:
    days = DailyCaseStat.objects.filter(condition, day__gte=since, day__lte=until).order_by()
    by_month = (until - since).days + 1 > DAILY_SERIES_MAX_DAYS
    first = since if since.day == 1 else next_month(month_start(since))
    after = min(month_start(until + dt.timedelta(days=1)), month_start(timezone.localdate()))
    if not months or first >= after:
        return _Period(parts=[days], series=None if by_month else days, by_month=by_month)
    edges = DailyCaseStat.objects.filter(
        condition, Q(day__gte=since, day__lt=first) | Q(day__gte=after, day__lte=until)
    ).order_by()
    rollup = MonthlyCaseStat.objects.filter(condition, month__gte=first, month__lt=after).order_by()
    return _Period(parts=[edges, rollup], series=None if by_month else days, by_month=by_month)


def _grouped(period: _Period, *fields: str) -> list[dict[str, Any]]:
    """The period's figures summed by ``fields``, one GROUP BY per part (a key may come from both)."""
    sums = {name: Sum(name) for name in SUMMED}
    return [row for part in period.parts for row in part.values(*fields).annotate(**sums)]


def _totals(grouped: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = dict.fromkeys(SUMMED, 0)
    for row in grouped:
        _add(totals, row)
    return totals


def _rates(totals: dict[str, float], implementations: dict[str, int]) -> dict[str, float | None]:
    return {
        "online_handleable": _ratio(implementations.get("online", 0), implementations.get("all", 0)),
        "fully_online": _ratio(totals["closed_fully_online"], totals["closed"]),
        "at_most_one_visit": _ratio(totals["closed_at_most_one_visit"], totals["closed"]),
        "on_time": _ratio(totals["closed_on_time"], totals["closed"]),
        "satisfaction": _ratio(totals["evaluations_good"], totals["evaluations"]),
        "online_submission": _ratio(totals["submitted_online"], totals["submitted"]),
    }


def _implementation_counts(reader: Reader, *, region: Region | None, department: Department | None) -> dict:
    implementations = Implementation.objects.filter(is_active=True).filter(reader.q())
    if department is not None:
        implementations = implementations.filter(department_id=department.pk)
    elif region is not None:
        implementations = implementations.filter(
            region_id__in=region_subtree_codes(code=region.code, level=region.level)
        )
    return implementations.aggregate(
        all=Count("id"), online=Count("id", filter=Q(online_depth__gte=OnlineDepth.ONLINE_SUBMISSION))
    )


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _daily(period: _Period, since: dt.date, until: dt.date) -> dict[str, Any]:
    """The series: per day, or per month (the first of each month; the edge months partial) when
    ``period.by_month``; ``bucket`` says which."""
    sums = {"submitted": Sum("submitted"), "closed": Sum("closed"), "duration": Sum("duration_days_sum")}
    rows: dict[dt.date, dict[str, float]] = {}
    if period.series is None:
        grouped = [
            part.annotate(bucket=F("month") if part.model is MonthlyCaseStat else TruncMonth("day"))
            .values("bucket")
            .annotate(**sums)
            for part in period.parts
        ]
        days = []
        month = month_start(since)
        while month <= until:
            days.append(month)
            month = next_month(month)
    else:
        grouped = [period.series.annotate(bucket=F("day")).values("bucket").annotate(**sums)]
        days = [since + dt.timedelta(days=offset) for offset in range((until - since).days + 1)]
    for queryset in grouped:
        for row in queryset:
            target = rows.setdefault(_as_date(row["bucket"]), {"submitted": 0, "closed": 0, "duration": 0})
            for name in ("submitted", "closed", "duration"):
                target[name] += row[name] or 0
    empty = {"submitted": 0, "closed": 0, "duration": 0}
    return {
        "bucket": "month" if period.by_month else "day",
        "days": [day.isoformat() for day in days],
        "submitted": [rows.get(day, empty)["submitted"] for day in days],
        "closed": [rows.get(day, empty)["closed"] for day in days],
        "average_days": [
            round(rows[day]["duration"] / rows[day]["closed"], 1)
            if day in rows and rows[day]["closed"]
            else None
            for day in days
        ],
    }


def _child_row(name: str, key: Any, sums: dict[str, float]) -> dict[str, Any]:
    totals = {name: sums.get(name, 0) for name in SUMMED}
    return {
        "name": name,
        "key": key,
        **totals,
        "on_time": _ratio(totals["closed_on_time"], totals["closed"]),
        "fully_online": _ratio(totals["closed_fully_online"], totals["closed"]),
        "at_most_one_visit": _ratio(totals["closed_at_most_one_visit"], totals["closed"]),
        "satisfaction": _ratio(totals["evaluations_good"], totals["evaluations"]),
        "average_days": round(totals["duration_days_sum"] / totals["closed"], 1)
        if totals["closed"]
        else None,
    }


def _add(target: dict[str, float], row: dict[str, Any]) -> None:
    for name in SUMMED:
        target[name] = target.get(name, 0) + (row[name] or 0)


def _children_of_region(
    grouped: list[dict[str, Any]], region: Region | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Figures per child region (folded from the rows' regions) and per department seated at ``region``,
    from the period's figures by (region, department)."""
    children = list(list_child_regions(region=region).order_by("code"))
    by_child: dict[str, dict[str, float]] = {}
    by_department: dict[int, dict[str, float]] = {}
    for row in grouped:
        if region is not None and row["region_id"] == region.code:
            _add(by_department.setdefault(row["department_id"], {}), row)
            continue
        child = next(
            (
                c
                for c in children
                if region_contains(outer_code=c.code, outer_level=c.level, inner_code=row["region_id"])
            ),
            None,
        )
        if child is not None:
            _add(by_child.setdefault(child.code, {}), row)
    names = dict(Department.objects.filter(pk__in=list(by_department)).values_list("pk", "name"))
    region_rows = [_child_row(c.name, c.code, by_child[c.code]) for c in children if c.code in by_child]
    department_rows = [
        _child_row(names.get(pk, str(pk)), pk, sums)
        for pk, sums in sorted(by_department.items(), key=lambda pair: names.get(pair[0], ""))
    ]
    return region_rows, department_rows


def _children_of_department(rows_by_implementation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[int | None, dict[str, float]] = {}
    for row in rows_by_implementation:
        _add(grouped.setdefault(row["implementation_id"], {}), row)
    names = dict(Implementation.objects.filter(pk__in=[pk for pk in grouped if pk]).values_list("pk", "name"))
    rows = []
    for pk, sums in grouped.items():
        rows.append(_child_row(names.get(pk, str(pk)) if pk else _("部门整体（投诉、数据共享）"), pk, sums))
    return sorted(rows, key=lambda row: (-row["submitted"], row["name"]))


def _complaints_by_topic(
    reader: Reader, since: dt.date, until: dt.date, *, region: Region | None, department: Department | None
) -> list[dict[str, Any]]:
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    complaints = Feedback.objects.filter(
        _stat_filter(reader, region=region, department=department),
        kind=FeedbackKind.COMPLAINT,
        created_at__gte=start,
        created_at__lt=end,
    )
    rows = complaints.order_by().values("item__topics").annotate(count=Count("id", distinct=True))
    counts: dict[int | None, int] = {row["item__topics"]: row["count"] for row in rows}
    names = dict(Topic.objects.filter(pk__in=[pk for pk in counts if pk]).values_list("pk", "name"))
    result: list[dict[str, Any]] = [
        {"topic": names.get(pk, ""), "count": count} for pk, count in counts.items() if pk is not None
    ]
    if counts.get(None):
        result.append({"topic": _("未归入主题"), "count": counts[None]})
    return sorted(result, key=lambda row: -row["count"])


def resolve_region(*, code: str | None) -> Region | None:
    if not code:
        return None
    if not code.isdigit() or len(code) > 12:
        raise NotFound(_("行政区划代码不存在"), code="unknown_region")
    return get_region(code=code)


def resolve_department(*, reader: Reader, department_id: int | None) -> Department | None:
    """A department the reader may drill into (any for the public: the figures are aggregates)."""
    if department_id is None:
        return None
    department = Department.objects.select_related("region").filter(pk=department_id).first()
    if department is None:
        raise NotFound(_("部门不存在"), code="unknown_department")
    if reader.scope is not None and not reader.scope.covers(
        department_id=department.pk, region_code=department.region_id
    ):
        raise PermissionDenied(_("该部门不在您的监察范围内"), code="not_in_scope")
    return department


def dashboard_figures(
    *,
    reader: Reader,
    since: dt.date,
    until: dt.date,
    region: Region | None = None,
    department: Department | None = None,
) -> Figures:
    """The dashboard of a region, a department or the reader's whole scope over [since, until]."""
    condition = _stat_filter(reader, region=region, department=department)
    period = _period(condition, since, until, months=department is None)
    grouped = _grouped(
        period, "implementation_id" if department is not None else "region_id", "department_id"
    )
    figures = Figures(since=since, until=until, region=region, department=department)
    figures.totals = _totals(grouped)
    figures.implementations = _implementation_counts(reader, region=region, department=department)
    figures.rates = _rates(figures.totals, figures.implementations)
    closed = figures.totals["closed"]
    figures.average_days = round(figures.totals["duration_days_sum"] / closed, 1) if closed else None
    figures.daily = _daily(period, since, until)
    if department is not None:
        figures.child_kind = "implementation"
        figures.children = _children_of_department(grouped)
    else:
        region_rows, department_rows = _children_of_region(grouped, region)
        figures.children = region_rows
        figures.departments = department_rows
    figures.complaints_by_topic = _complaints_by_topic(
        reader, since, until, region=region, department=department
    )
    return figures


def department_open_cases(
    *, reader: Reader, department: Department, limit: int = OPEN_CASES_LIMIT
) -> list[Case]:
    """The department's running cases, earliest promised date first (staff in scope only; queue index)."""
    if not reader.staff or reader.scope is None:
        raise PermissionDenied(_("办件清单仅限监察人员和部门负责人查看"), code="not_supervisor")
    if not reader.scope.covers(department_id=department.pk, region_code=department.region_id):
        raise PermissionDenied(_("该部门不在您的监察范围内"), code="not_in_scope")
    return list(
        Case.objects.filter(department_id=department.pk, status__in=OPEN_STATUSES)
        .select_related("implementation")
        .only("number", "status", "promised_due", "submitted_at", "implementation__name", "holder_name")
        .order_by("promised_due", "pk")[:limit]
    )


# --- demand -----------------------------------------------------------------------------------------------


def _demand_regions(region_code: str | None) -> list[str]:
    return region_scope(region_code) if region_code else []


def hot_item_ids(*, region_code: str | None, limit: int = 10) -> list[int]:
    """Items by decayed demand in the region and its ancestors, hottest first."""
    demand = DemandScore.objects.all()
    if region_code:
        demand = demand.filter(region_id__in=_demand_regions(region_code))
    rows = demand.order_by().values("item_id").annotate(score=Max("log_score")).order_by("-score", "item_id")
    return [row["item_id"] for row in rows[:limit]]


def hot_items(
    *, region_code: str | None, limit: int = 10, audience: str | None = None
) -> list[Implementation]:
    """The region's hot services: implementations serving the region whose items have the most decayed
    demand, the region's own implementation before an ancestor's; filled up from the current order
    (catalog.selectors.list_popular_implementations) when demand is short or absent."""
    item_ids = hot_item_ids(region_code=region_code, limit=limit * 3)
    popular = list_popular_implementations(region_code=region_code, audience=audience, limit=limit)
    if not item_ids:
        return popular
    implementations = Implementation.objects.filter(is_active=True, item_id__in=item_ids).select_related(
        "item", "region", "department"
    )
    scope = region_scope(region_code) if region_code else None
    if scope is not None:
        implementations = implementations.filter(region_id__in=scope)
    if audience:
        implementations = implementations.filter(
            Q(item__audiences__0=audience) | Q(item__audiences__1=audience)
        )
    depth = {code: index for index, code in enumerate(scope or [])}
    best: dict[int, Implementation] = {}
    for implementation in implementations:
        current = best.get(implementation.item_id)
        if current is None or depth.get(implementation.region_id, 99) < depth.get(current.region_id, 99):
            best[implementation.item_id] = implementation
    chosen = [best[item_id] for item_id in item_ids if item_id in best][:limit]
    seen = {implementation.pk for implementation in chosen}
    chosen += [implementation for implementation in popular if implementation.pk not in seen]
    return chosen[:limit]


def order_topics_by_demand(*, topics: list[Topic], region_code: str | None) -> list[Topic]:
    """``topics`` ordered by the decayed demand of their items in the region; ties keep the given order."""
    demand = DemandScore.objects.filter(item__topics__in=[topic.pk for topic in topics])
    if region_code:
        demand = demand.filter(region_id__in=_demand_regions(region_code))
    scores = dict(demand.order_by().values_list("item__topics").annotate(score=Max("log_score")))
    if not scores:
        return topics
    position = {topic.pk: index for index, topic in enumerate(topics)}
    return sorted(
        topics,
        key=lambda topic: (topic.pk not in scores, -scores.get(topic.pk, 0.0), position[topic.pk]),
    )
