"""Reads of the audit log: the citizen's data tracker, alerts and reports, and the auditor's search.

Every function takes an ``AuditScope`` (who may see what, decided by identity). Gates answer NotFound
alike for a missing entry and one outside the scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate

from yiwang.core.errors import InvalidInput, NotFound, PermissionDenied
from yiwang.core.pagination import DEFAULT_LIMIT, Page, paginate

from .constants import EntryKind, Outcome
from .models import AuditEntry, DataUseAlert, SuspicionReport
from .scope import AuditScope
from .subjects import subject_hash

# Uses of a holder's e-licenses (the licenses app records them; audit sits below it, so by name).
LICENSE_USE_ACTIONS = ("licenses.license_used", "licenses.license_read", "licenses.license_scanned")
DATA_USE_KINDS = ("read", "license_use")
EXPORT_CAP = 10_000
_NEWEST_FIRST = ("-occurred_at", "-id")


def _data_uses(scope: AuditScope, hashes: list[str]) -> QuerySet[AuditEntry]:
    if not hashes:
        return AuditEntry.objects.none()
    is_data_use = Q(kind=EntryKind.READ) | Q(action__in=LICENSE_USE_ACTIONS)
    return (
        AuditEntry.objects.filter(subject_hash__in=hashes)
        .filter(is_data_use)
        .select_related("department", "actor_department")
    )


def _in_time(queryset: QuerySet, since: dt.datetime | None, until: dt.datetime | None) -> QuerySet:
    if since is not None and until is not None and since > until:
        raise InvalidInput("开始时间不能晚于结束时间", code="invalid_time_range")
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=since)
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=until)
    return queryset


def list_data_uses(
    *,
    scope: AuditScope,
    subject: str | None = None,
    kind: str | None = None,
    department_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[AuditEntry]:
    """Reads of the scope's data and uses of its licenses, newest first, one page at a time.

    ``subject`` is ``self`` or a represented enterprise's credit code (all when omitted); ``kind`` is
    ``read`` or ``license_use``.
    """
    if kind is not None and kind not in DATA_USE_KINDS:
        raise InvalidInput("类别只能是 read 或 license_use", code="invalid_kind")
    queryset = _in_time(_data_uses(scope, scope.hashes_for(subject)), since, until)
    if kind == "license_use":
        queryset = queryset.filter(action__in=LICENSE_USE_ACTIONS)
    elif kind == "read":
        queryset = queryset.exclude(action__in=LICENSE_USE_ACTIONS)
    if department_id is not None:
        queryset = queryset.filter(Q(department_id=department_id) | Q(actor_department_id=department_id))
    return paginate(queryset, ordering=_NEWEST_FIRST, cursor=cursor, limit=limit)


def access_data_use_by_id(*, scope: AuditScope, entry_id: int) -> AuditEntry:
    """One data use of the scope's subjects; NotFound alike for missing and someone else's."""
    entry = _data_uses(scope, list(scope.hashes)).filter(pk=entry_id).first()
    if entry is None:
        raise NotFound("未找到该数据使用记录", code="data_use_not_found")
    return entry


def reports_by_entry(*, reporter, entry_ids: list[int]) -> dict[int, SuspicionReport]:
    """The reporter's suspicion reports on these entries, by entry id (one query)."""
    if not entry_ids or not getattr(reporter, "is_authenticated", False):
        return {}
    reports = SuspicionReport.objects.filter(reporter=reporter, entry_id__in=entry_ids)
    return {report.entry_id: report for report in reports}


def _citizen_alerts(scope: AuditScope) -> QuerySet[DataUseAlert]:
    hashes = list(scope.hashes)
    if not hashes:
        return DataUseAlert.objects.none()
    return DataUseAlert.objects.filter(
        recipient__isnull=True, recipient_department__isnull=True, entry__subject_hash__in=hashes
    )


def list_data_use_alerts(
    *, scope: AuditScope, unread_only: bool = False, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[DataUseAlert]:
    """Alerts about reads of the scope's data, newest first."""
    queryset = _citizen_alerts(scope).select_related("entry", "entry__department", "entry__actor_department")
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return paginate(queryset, ordering=("-id",), cursor=cursor, limit=limit)


def count_unread_alerts(*, scope: AuditScope) -> int:
    return _citizen_alerts(scope).filter(read_at__isnull=True).count()


def access_alert_by_id(*, scope: AuditScope, alert_id: int) -> DataUseAlert:
    alert = _citizen_alerts(scope).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("未找到该提醒", code="alert_not_found")
    return alert


# The auditor's side -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogQuery:
    """An auditor's search of the log; ``subject`` is hashed for the query and never stored."""

    subject: str = ""
    actor_username: str = ""
    department_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    action: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def described(self) -> dict:
        """The query as the export's own audit entry keeps it (the subject only as its keyed hash)."""
        facts = {name: value for name, value in vars(self).items() if value not in ("", None)}
        if self.subject:
            facts["subject"] = subject_hash(self.subject)
        return {
            name: value.isoformat() if isinstance(value, dt.datetime) else value
            for name, value in facts.items()
        }


def _require_auditor(scope: AuditScope) -> None:
    if not scope.is_auditor:
        raise PermissionDenied("仅审计员可以查询审计日志", code="auditor_only")


def _department_entries(scope: AuditScope) -> QuerySet[AuditEntry]:
    ids = list(scope.department_ids)
    return AuditEntry.objects.filter(Q(department_id__in=ids) | Q(actor_department_id__in=ids))


def _filtered(queryset: QuerySet[AuditEntry], query: LogQuery) -> QuerySet[AuditEntry]:
    if query.outcome and query.outcome not in Outcome.values:
        raise InvalidInput("结果只能是 allowed 或 refused", code="invalid_outcome")
    exact = {
        "subject_hash": subject_hash(query.subject) if query.subject else "",
        "actor__username": query.actor_username.strip(),
        "object_type": query.object_type.strip(),
        "object_id": query.object_id.strip(),
        "outcome": query.outcome,
        "action": query.action.strip(),
    }
    queryset = queryset.filter(**{name: value for name, value in exact.items() if value})
    if query.department_id is not None:
        queryset = queryset.filter(
            Q(department_id=query.department_id) | Q(actor_department_id=query.department_id)
        )
    return _in_time(queryset, query.since, query.until)


def search_log(
    *, scope: AuditScope, query: LogQuery, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[AuditEntry]:
    """Entries of the auditor's departments (theirs or done by their staff) matching the query."""
    _require_auditor(scope)
    queryset = _filtered(_department_entries(scope), query).select_related(
        "actor", "department", "actor_department"
    )
    return paginate(queryset, ordering=_NEWEST_FIRST, cursor=cursor, limit=limit)


def iter_log_for_export(*, scope: AuditScope, query: LogQuery, cap: int = EXPORT_CAP) -> Iterator[AuditEntry]:
    """The same entries as ``search_log``, newest first, at most ``cap``, fetched in chunks."""
    _require_auditor(scope)
    queryset = _filtered(_department_entries(scope), query).select_related(
        "actor", "department", "actor_department"
    )
    return queryset.order_by(*_NEWEST_FIRST)[:cap].iterator(chunk_size=500)


def list_suspicion_reports(
    *, scope: AuditScope, status: str | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[SuspicionReport]:
    """Reports addressed to the auditor's departments, newest first."""
    _require_auditor(scope)
    queryset = SuspicionReport.objects.filter(department_id__in=list(scope.department_ids)).select_related(
        "entry", "department", "handled_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=("-id",), cursor=cursor, limit=limit)


def access_suspicion_report_by_id(*, scope: AuditScope, report_id: int) -> SuspicionReport:
    report = (
        SuspicionReport.objects.filter(pk=report_id, department_id__in=list(scope.department_ids))
        .select_related("entry", "department")
        .first()
    )
    if report is None:
        raise NotFound("未找到该举报", code="report_not_found")
    return report


# Figures (monitoring) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryOwners:
    """Whose entries to count: of these departments' data, by their staff or by these systems (any)."""

    department_ids: Collection[int] = ()
    actor_department_ids: Collection[int] = ()
    systems: Collection[str] = ()

    def as_q(self) -> Q:
        condition = Q(pk__in=[])
        if self.department_ids:
            condition |= Q(department_id__in=sorted(self.department_ids))
        if self.actor_department_ids:
            condition |= Q(actor_department_id__in=sorted(self.actor_department_ids))
        if self.systems:
            condition |= Q(system__in=sorted(self.systems))
        return condition


def _dimension(name: str) -> Any:
    fixed = {
        "day": TruncDate("occurred_at"),
        "action": F("action"),
        "outcome": F("outcome"),
        "reason": F("reason"),
        "system": F("system"),
        "department": F("department_id"),
        "actor_department": F("actor_department_id"),
    }
    if name in fixed:
        return fixed[name]
    if name.startswith("details.") and name[8:].isidentifier():
        return KeyTextTransform(name[8:], "details")
    raise InvalidInput("不支持的统计维度", code="invalid_dimension", dimension=name)


def count_entries(
    *,
    actions: Iterable[str],
    group_by: Iterable[str],
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    owners: EntryOwners | None = None,
    outcome: str = "",
    reasons: Iterable[str] = (),
    systems: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """Entries of ``actions`` counted per group in the database (GROUP BY), each row ``{dim…, "count"}``.

    ``group_by`` names: day (local date), action, outcome, reason, system, department, actor_department,
    or ``details.<key>``. ``owners`` None counts every department's entries (the caller decided the reader
    may see them all); otherwise only the entries ``owners`` names. ``systems`` keeps only calls by those.
    """
    queryset = _in_time(AuditEntry.objects.filter(action__in=list(actions)), since, until)
    if owners is not None:
        queryset = queryset.filter(owners.as_q())
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    if systems is not None:
        queryset = queryset.filter(system__in=sorted(systems))
    reasons = list(reasons)
    if reasons:
        queryset = queryset.filter(reason__in=reasons)
    dimensions = {f"g_{index}": _dimension(name) for index, name in enumerate(group_by)}
    names = list(group_by)
    rows = queryset.order_by().annotate(**dimensions).values(*dimensions).annotate(count=Count("id"))
    return [
        {**{names[int(key[2:])]: row[key] for key in dimensions}, "count": row["count"]}
        for row in rows.order_by(*dimensions)
    ]


def system_has_read_subject(*, system: str, subjects: Iterable[str], excluding: Collection[str] = ()) -> bool:
    """Whether ``system`` (an OAuth client id) was ever allowed to read one of ``subjects``' data.

    ``excluding`` names actions that do not count (say, the notices pushed to it). Answers from the
    subject index: one small query however long the log.
    """
    hashes = [digest for digest in (subject_hash(code) for code in subjects) if digest]
    if not system or not hashes:
        return False
    return (
        AuditEntry.objects.filter(
            subject_hash__in=hashes, system=system, kind=EntryKind.READ, outcome=Outcome.ALLOWED
        )
        .exclude(action__in=list(excluding))
        .exists()
    )
