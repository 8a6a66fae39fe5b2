"""Monitoring of the exchange, computed from the audit log's entries of each call (GROUP BY in the database).

Each call to ``/api/v1/exchange/{query,query/batch,verify,verify/batch}`` is one entry (``exchange.query``,
``exchange.query_batch``, ``exchange.verify``, ``exchange.verify_batch``; a refused batch one per key):
its time, outcome and refusal reason, the calling system, the consuming department (``actor_department``),
the providing department (``department``) and the resource (``details.resource``). An allowed call whose
key the register does not hold fails there: the register's own refused read (reason ``not_found``) by
the same system is counted as an error. Each entry records the platform's processing time of the call in
``details.ms`` (from the selector's start to its audit write: grant check, reads, masking or judging; not
the token check, HTTP, signing); latency per day and per operation is the median (p50) and mean of the
allowed calls, from a histogram of 0.1 ms buckets grouped in the database. Entries written before the
time was recorded are left out of it.

Who sees what: a department's data administrator sees the calls on its side, as provider or consumer;
the platform administrator (who gives the exchange's security approval) sees every department.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, FloatField, IntegerField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.constants import Outcome
from yiwang.audit.models import AuditEntry
from yiwang.audit.selectors import EntryOwners, count_entries
from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.identity.models import ClientProfile
from yiwang.identity.selectors import department_ids_with_permission
from yiwang.regions.models import Department
from yiwang.registers.constants import RegisterCode
from yiwang.registers.selectors import read_action

from ..constants import MANAGE_PERMISSION, SENSITIVE_PERMISSION, RequestStatus
from ..models import Grant, Resource, ShareRequest
from ..spreadsheets import write_tables
from .calls import QUERIED, QUERIED_IN_BATCH, VERIFIED, VERIFIED_IN_BATCH

if TYPE_CHECKING:
    from yiwang.identity.models import User

# a batch is one call (its keys are not summed)
CALL_ACTIONS = (QUERIED, QUERIED_IN_BATCH, VERIFIED, VERIFIED_IN_BATCH)
LATENCY_RECORDED = True
LATENCY_BUCKETS_PER_MS = 10  # the histogram's resolution: 0.1 ms
PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
EXPIRY_WINDOW_DAYS = 30
LIST_LIMIT = 50
REFUSAL_LABELS = {
    "resource_not_shared": "资源不予共享",
    "resource_not_found": "资源不存在",
    "no_grant": "无授权",
    "grant_revoked": "授权已撤销",
    "grant_expired": "授权已过期",
    "purpose_not_granted": "用途不在授权范围",
    "items_not_granted": "信息项不在授权范围",
}
OPERATION_LABELS = {
    QUERIED: "查询",
    QUERIED_IN_BATCH: "批量查询",
    VERIFIED: "核验",
    VERIFIED_IN_BATCH: "批量核验",
}
WAITING = (RequestStatus.PENDING, RequestStatus.AWAITING_SECOND_APPROVAL)


@dataclass(frozen=True)
class MonitoringScope:
    """The departments whose side of the exchange the reader sees (every one when ``everywhere``)."""

    everywhere: bool
    department_ids: frozenset[int]


def monitoring_scope_for(*, actor: User | None) -> MonitoringScope:
    """Platform administrators see all; data administrators their departments; anyone else nothing."""
    everywhere = bool(department_ids_with_permission(actor, SENSITIVE_PERMISSION))
    managed = frozenset(department_ids_with_permission(actor, MANAGE_PERMISSION))
    if not everywhere and not managed:
        raise PermissionDenied(
            "仅部门数据管理员和平台管理员可以查看交换运行监测", code="monitoring_forbidden"
        )
    return MonitoringScope(everywhere=everywhere, department_ids=managed)


def list_monitored_departments(*, scope: MonitoringScope) -> QuerySet[Department]:
    """The departments to drill down into: providers and consumers of the exchange within the scope."""
    involved = Q(pk__in=Resource.objects.values("provider_id")) | Q(
        pk__in=ClientProfile.objects.values("department_id")
    )
    rows = Department.objects.filter(involved)
    if not scope.everywhere:
        rows = Department.objects.filter(pk__in=sorted(scope.department_ids))
    return rows.order_by("name")


@dataclass
class Figures:
    """What the monitoring page charts and the export lists, for one period and one view."""

    since: dt.date
    until: dt.date
    department: Department | None
    everywhere: bool
    days: list[str] = field(default_factory=list)
    daily: dict[str, list[int]] = field(default_factory=dict)  # allowed, refused, errors: one per day
    totals: dict[str, int] = field(default_factory=dict)
    by_operation: list[dict[str, Any]] = field(default_factory=list)
    by_resource: list[dict[str, Any]] = field(default_factory=list)
    by_consumer: list[dict[str, Any]] = field(default_factory=list)
    by_provider: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)
    detail: list[dict[str, Any]] = field(default_factory=list)
    expiring_grants: list[Grant] = field(default_factory=list)
    waiting_requests: list[ShareRequest] = field(default_factory=list)
    waiting_by_provider: list[dict[str, Any]] = field(default_factory=list)
    overdue_ids: set[int] = field(default_factory=set)
    latency_recorded: bool = LATENCY_RECORDED
    # p50 and mean ms of the allowed calls: per day (None: no timed call that day), per operation, overall
    latency: dict[str, list[float | None]] = field(default_factory=dict)
    latency_by_operation: list[dict[str, Any]] = field(default_factory=list)
    latency_totals: dict[str, float | None] = field(default_factory=dict)


def _departments_in_view(scope: MonitoringScope, department_id: int | None) -> set[int] | None:
    """None: every department; else the department drilled into (one of the scope's), or the scope's."""
    if department_id is None:
        return None if scope.everywhere else set(scope.department_ids)
    if not scope.everywhere and department_id not in scope.department_ids:
        raise NotFound("未找到该部门", code="department_not_found")
    if not Department.objects.filter(pk=department_id).exists():
        raise NotFound("未找到该部门", code="department_not_found")
    return {department_id}


def _exchange_systems(departments: set[int] | None) -> list[str]:
    """Client ids of the departments' client-credentials systems (every department's when None)."""
    systems = Application.objects.filter(
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, profile__isnull=False
    )
    if departments is not None:
        systems = systems.filter(profile__department_id__in=sorted(departments))
    return list(systems.values_list("client_id", flat=True))


def _by_outcome(rows: Iterable[dict[str, Any]], key: str) -> dict[Any, dict[str, int]]:
    """{key value: {"allowed": n, "refused": n}} from rows grouped by (key, outcome)."""
    merged: dict[Any, dict[str, int]] = {}
    for row in rows:
        counts = merged.setdefault(row[key], {"allowed": 0, "refused": 0})
        counts["allowed" if row["outcome"] == Outcome.ALLOWED else "refused"] += row["count"]
    return merged


def _department_rows(
    counts: dict[Any, dict[str, int]], names: dict[int, tuple[str, str]]
) -> list[dict[str, Any]]:
    unknown = ("（未登记部门）", "")
    rows = [
        {"id": key, "name": names.get(key, unknown)[0], "short": names.get(key, unknown)[1], **value}
        for key, value in counts.items()
        if key is not None
    ]
    return sorted(rows, key=lambda row: -(row["allowed"] + row["refused"]))


def _window(period: int) -> tuple[dt.date, dt.date, dt.datetime]:
    if period not in PERIODS:
        raise InvalidInput("统计周期只能是 7、30 或 90 天", code="invalid_period")
    until = timezone.localdate()
    since = until - dt.timedelta(days=period - 1)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    return since, until, start


def _owners(departments: set[int] | None, systems: list[str]) -> EntryOwners | None:
    if departments is None:
        return None
    return EntryOwners(department_ids=departments, actor_department_ids=departments, systems=systems)


def _calls(figures: Figures, owners: EntryOwners | None, start: dt.datetime) -> None:
    """Volumes by day, operation, resource, consumer and provider; refusals by reason; the detail."""

    def count(*group_by: str, **filters: Any) -> list[dict[str, Any]]:
        return count_entries(actions=CALL_ACTIONS, group_by=group_by, since=start, owners=owners, **filters)

    daily = _by_outcome(count("day", "outcome"), "day")
    keys = [dt.date.fromisoformat(day) for day in figures.days]
    figures.daily["allowed"] = [daily.get(day, {}).get("allowed", 0) for day in keys]
    figures.daily["refused"] = [daily.get(day, {}).get("refused", 0) for day in keys]
    operations = _by_outcome(count("action", "outcome"), "action")
    figures.by_operation = [
        {"action": key, "label": OPERATION_LABELS.get(key, key), **value}
        for key, value in sorted(operations.items())
    ]
    resources = _by_outcome(count("details.resource", "outcome"), "details.resource")
    names = dict(Resource.objects.filter(code__in=list(resources)).values_list("code", "name"))
    figures.by_resource = sorted(
        ({"code": code, "name": names.get(code, code), **value} for code, value in resources.items() if code),
        key=lambda row: -(row["allowed"] + row["refused"]),
    )
    consumers = _by_outcome(count("actor_department", "outcome"), "actor_department")
    providers = _by_outcome(count("department", "outcome"), "department")
    departments = {
        pk: (name, short or name)
        for pk, name, short in Department.objects.filter(pk__in=[*consumers, *providers]).values_list(
            "pk", "name", "short_name"
        )
    }
    figures.by_consumer = _department_rows(consumers, departments)
    figures.by_provider = _department_rows(providers, departments)
    figures.refusals = [
        {
            "reason": row["reason"],
            "label": REFUSAL_LABELS.get(row["reason"], row["reason"]),
            "count": row["count"],
        }
        for row in sorted(count("reason", outcome=Outcome.REFUSED), key=lambda row: -row["count"])
    ]
    figures.detail = count("day", "details.resource", "department", "actor_department", "outcome")
    for row in figures.detail:
        row["provider"] = departments.get(row["department"], ("", ""))[0]
        row["consumer"] = departments.get(row["actor_department"], ("", ""))[0]
        row["resource_name"] = names.get(row["details.resource"], row["details.resource"] or "")


def _median(histogram: dict[int, int]) -> float:
    """The median of a histogram of 0.1 ms buckets ({bucket: calls}), as its bucket's ms."""
    total = sum(histogram.values())
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen * 2 >= total:
            return round(bucket / LATENCY_BUCKETS_PER_MS, 1)
    return 0.0


class _Timings:
    """Calls, summed ms and the bucket histogram of one group (a day, an operation, the period)."""

    def __init__(self) -> None:
        self.calls = 0
        self.total = 0.0
        self.histogram: dict[int, int] = {}

    def add(self, bucket: int, calls: int, total: float) -> None:
        self.calls += calls
        self.total += total
        self.histogram[bucket] = self.histogram.get(bucket, 0) + calls

    def figures(self) -> dict[str, float | None]:
        if not self.calls:
            return {"p50": None, "avg": None, "calls": 0}
        return {"p50": _median(self.histogram), "avg": round(self.total / self.calls, 1), "calls": self.calls}


def _latency(figures: Figures, owners: EntryOwners | None, start: dt.datetime) -> None:
    """p50 and mean processing time of the allowed calls per day and operation: one GROUP BY (day,
    operation, 0.1 ms bucket) in the database, the medians read off the histogram here."""
    ms = Cast(KeyTextTransform("ms", "details"), FloatField())
    entries = AuditEntry.objects.filter(
        action__in=CALL_ACTIONS, outcome=Outcome.ALLOWED, occurred_at__gte=start, details__has_key="ms"
    )
    if owners is not None:
        entries = entries.filter(owners.as_q())
    rows = (
        entries.order_by()
        .annotate(
            day=TruncDate("occurred_at"),
            bucket=Cast(ms * LATENCY_BUCKETS_PER_MS, IntegerField()),
        )
        .values("day", "action", "bucket")
        .annotate(calls=Count("id"), total=Sum(ms))
    )
    days: dict[dt.date, _Timings] = {}
    operations: dict[str, _Timings] = {}
    overall = _Timings()
    for row in rows:
        for timings in (
            days.setdefault(row["day"], _Timings()),
            operations.setdefault(row["action"], _Timings()),
            overall,
        ):
            timings.add(row["bucket"], row["calls"], row["total"] or 0.0)
    per_day = [days.get(dt.date.fromisoformat(day), _Timings()).figures() for day in figures.days]
    figures.latency = {"p50": [day["p50"] for day in per_day], "avg": [day["avg"] for day in per_day]}
    figures.latency_by_operation = [
        {"action": action, "label": OPERATION_LABELS.get(action, action), **operations[action].figures()}
        for action in sorted(operations)
    ]
    figures.latency_totals = overall.figures()


def _errors(figures: Figures, owners: EntryOwners | None, systems: list[str], start: dt.datetime) -> None:
    """Allowed calls the register could not answer (its refused read by the same system: not found)."""
    rows = count_entries(
        actions=[read_action(code) for code in RegisterCode.values],
        group_by=["day"],
        since=start,
        owners=owners,
        outcome=Outcome.REFUSED,
        reasons=["not_found"],
        systems=systems,
    )
    errors = {row["day"]: row["count"] for row in rows}
    figures.daily["errors"] = [errors.get(dt.date.fromisoformat(day), 0) for day in figures.days]


def _side(departments: set[int] | None, provider: str, consumer: str) -> Q:
    if departments is None:
        return Q()
    return Q(**{f"{provider}__in": sorted(departments)}) | Q(**{f"{consumer}__in": sorted(departments)})


def _grants_and_requests(figures: Figures, departments: set[int] | None) -> None:
    today = figures.until
    figures.expiring_grants = list(
        Grant.objects.filter(
            _side(departments, "resource__provider_id", "consumer_id"),
            revoked_at__isnull=True,
            ends_on__gte=today,
            ends_on__lte=today + dt.timedelta(days=EXPIRY_WINDOW_DAYS),
        )
        .select_related("resource__provider", "consumer", "system")
        .order_by("ends_on", "pk")[:LIST_LIMIT]
    )
    waiting = ShareRequest.objects.filter(
        _side(departments, "resource__provider_id", "consumer_id"), status__in=WAITING
    )
    figures.waiting_requests = list(
        waiting.select_related("resource__provider", "consumer").order_by("decision_due", "pk")[:LIST_LIMIT]
    )
    figures.overdue_ids = set(
        waiting.filter(status=RequestStatus.PENDING, decision_due__lt=today).values_list("pk", flat=True)
    )
    figures.waiting_by_provider = [
        dict(row)
        for row in waiting.order_by()
        .values("resource__provider_id", "resource__provider__name", "resource__provider__short_name")
        .annotate(
            count=Count("id"),
            overdue=Count("id", filter=Q(status=RequestStatus.PENDING, decision_due__lt=today)),
        )
        .order_by("-count", "resource__provider__name")
    ]


def get_figures(
    *, scope: MonitoringScope, department_id: int | None = None, period: int = DEFAULT_PERIOD
) -> Figures:
    """The figures of the last ``period`` days, for the whole scope or one department drilled into."""
    since, until, start = _window(period)
    departments = _departments_in_view(scope, department_id)
    figures = Figures(
        since=since,
        until=until,
        department=Department.objects.get(pk=department_id) if department_id is not None else None,
        everywhere=departments is None,
        days=[(since + dt.timedelta(days=offset)).isoformat() for offset in range(period)],
    )
    systems = _exchange_systems(departments)
    owners = _owners(departments, systems)
    _calls(figures, owners, start)
    _latency(figures, owners, start)
    _errors(figures, owners, _exchange_systems(None), start)
    figures.totals = {
        "allowed": sum(figures.daily["allowed"]),
        "refused": sum(figures.daily["refused"]),
        "errors": sum(figures.daily["errors"]),
    }
    _grants_and_requests(figures, departments)
    figures.totals["expiring"] = len(figures.expiring_grants)
    figures.totals["waiting"] = sum(row["count"] for row in figures.waiting_by_provider)
    figures.totals["overdue"] = sum(row["overdue"] for row in figures.waiting_by_provider)
    return figures


def _view_name(figures: Figures) -> str:
    if figures.department is not None:
        return figures.department.name
    return "全部部门" if figures.everywhere else "本部门（提供方与使用方）"


def export_figures(*, figures: Figures) -> bytes:
    """The same figures as the page, one sheet each, as an .xlsx."""
    volume = ["允许", "拒绝"]
    tables: list[tuple[str, list[str], list[list[Any]]]] = [
        (
            "说明",
            ["项目", "内容"],
            [
                ["范围", _view_name(figures)],
                ["统计期间", f"{figures.since:%Y-%m-%d} 至 {figures.until:%Y-%m-%d}"],
                ["数据来源", "审计日志中每次交换调用（查询、核验）的记录"],
                ["错误", "授权校验通过、但基础库中无该主键记录的调用"],
                [
                    "响应时间",
                    "平台处理耗时（毫秒，自授权校验至写入审计日志，不含令牌校验、网络与签名），"
                    "允许的调用的中位数（p50）与平均值",
                ],
            ],
        ),
        (
            "按日",
            ["日期", *volume, "错误"],
            [
                [day, figures.daily["allowed"][i], figures.daily["refused"][i], figures.daily["errors"][i]]
                for i, day in enumerate(figures.days)
            ],
        ),
        (
            "响应时间",
            ["日期", "p50（毫秒）", "平均（毫秒）"],
            [
                [day, figures.latency["p50"][i], figures.latency["avg"][i]]
                for i, day in enumerate(figures.days)
            ]
            + [
                [row["label"], row["p50"], row["avg"]]
                for row in [{"label": "全期", **figures.latency_totals}, *figures.latency_by_operation]
            ],
        ),
        (
            "按资源",
            ["资源代码", "资源名称", *volume],
            [[r["code"], r["name"], r["allowed"], r["refused"]] for r in figures.by_resource],
        ),
        (
            "按调用方式",
            ["调用方式", *volume],
            [[r["label"], r["allowed"], r["refused"]] for r in figures.by_operation],
        ),
        (
            "按使用方",
            ["使用方", *volume],
            [[r["name"], r["allowed"], r["refused"]] for r in figures.by_consumer],
        ),
        (
            "按提供方",
            ["提供方", *volume],
            [[r["name"], r["allowed"], r["refused"]] for r in figures.by_provider],
        ),
        (
            "拒绝原因",
            ["原因", "代码", "次数"],
            [[r["label"], r["reason"], r["count"]] for r in figures.refusals],
        ),
        (
            "明细",
            ["日期", "资源代码", "资源名称", "提供方", "使用方", "结果", "次数"],
            [
                [
                    r["day"].isoformat() if r["day"] else "",
                    r["details.resource"] or "",
                    r["resource_name"],
                    r["provider"],
                    r["consumer"],
                    "允许" if r["outcome"] == Outcome.ALLOWED else "拒绝",
                    r["count"],
                ]
                for r in figures.detail
            ],
        ),
        (
            "即将到期授权",
            ["资源", "提供方", "使用方", "使用系统", "截止日期"],
            [
                [
                    g.resource.name,
                    g.resource.provider.name,
                    g.consumer.name,
                    g.system.client_id,
                    g.ends_on.isoformat(),
                ]
                for g in figures.expiring_grants
            ],
        ),
        (
            "待审申请",
            ["资源", "提供方", "使用方", "状态", "审核期限", "逾期", "已上报"],
            [
                [
                    s.resource.name,
                    s.resource.provider.name,
                    s.consumer.name,
                    s.get_status_display(),
                    s.decision_due.isoformat(),
                    "是" if s.pk in figures.overdue_ids else "否",
                    "是" if s.escalated_at else "否",
                ]
                for s in figures.waiting_requests
            ],
        ),
    ]
    return write_tables(tables)
