"""The citizen's data tracker over the API: /api/v1/me/data-uses, its proofs, alerts and reports."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from yiwang.audit import selectors, services
from yiwang.audit.constants import GroundKind
from yiwang.audit.entry_proofs import prove_entry
from yiwang.audit.models import AuditEntry, DataUseAlert
from yiwang.audit.scope import AuditScope
from yiwang.core.api_auth import bearer_scope
from yiwang.core.pagination import DEFAULT_LIMIT, MAX_LIMIT
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut
from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors.audit_scope import audit_scope_for
from yiwang.registers.constants import FIELD_LABELS

router = Router(tags=["我的数据使用记录"])
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut}
READ = bearer_scope("data-uses:read")
WRITE = bearer_scope("data-uses:write")


class PageParams(Schema):
    cursor: str | None = Field(None, description="上一页返回的 next_cursor；首页不传")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"每页条数，1–{MAX_LIMIT}")


class DataUseFilter(PageParams):
    subject: str | None = Field(
        None, max_length=18, description="self（本人）或所代表企业的统一社会信用代码；不传为全部"
    )
    kind: Literal["read", "license_use"] | None = Field(None, description="read 数据读取；license_use 用证")
    department: int | None = Field(None, ge=1, description="部门标识：数据所属或读取方部门")
    since: dt.datetime | None = Field(None, description="起始时间（含），ISO 8601")
    until: dt.datetime | None = Field(None, description="截止时间（不含），ISO 8601，不得早于 since")


class DepartmentRef(Schema):
    id: int
    name: str


class FieldRef(Schema):
    name: str
    label: str


class DataUseOut(Schema):
    id: int
    occurred_at: dt.datetime
    kind: Literal["read", "license_use"]
    action: str
    subject: str = Field(description="self（本人）或企业统一社会信用代码")
    department: DepartmentRef | None = Field(description="数据所属部门")
    actor_department: DepartmentRef | None = Field(description="读取方部门")
    actor_role: str = Field(description="读取方角色（工作人员时）")
    system: str = Field(description="调用系统")
    channel: str
    fields: list[FieldRef]
    purpose: str
    ground_kind: str = Field(description="依据类别：case 办件、consent 授权、self 本人等；空为无依据")
    ground_kind_label: str
    ground_ref: str = Field(description="办件编号、授权编号等")
    outcome: Literal["allowed", "refused"]
    reason: str
    is_sealed: bool = Field(description="已写入防篡改日志树（可验证）")
    report_status: str | None = Field(description="本人举报的处理状态；未举报为 null")


class DataUsePageOut(Schema):
    items: list[DataUseOut]
    next_cursor: str | None


class ProofOut(Schema):
    status: Literal["verified", "pending", "failed"] = Field(
        description="verified 记录未被篡改；pending 等待封存；failed 验证失败"
    )
    message: str
    seq: int | None
    leaf_hash: str
    tree_size: int | None
    root_hash: str
    path: list[str] = Field(description="审计路径（RFC 9162 inclusion proof），十六进制")
    tree_head_signature: str
    key_id: str
    public_key: str
    issued_at: dt.datetime | None
    is_signature_valid: bool
    is_inclusion_valid: bool


class DataUseDetailOut(Schema):
    entry: DataUseOut
    proof: ProofOut


class ReportIn(Schema):
    note: str = Field("", max_length=1000, description="说明，最多 1000 字")


class ReportOut(Schema):
    id: int
    entry_id: int
    status: str
    status_label: str
    note: str
    resolution: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AlertOut(Schema):
    id: int
    reason: str
    reason_label: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    entry: DataUseOut


class AlertPageOut(Schema):
    items: list[AlertOut]
    next_cursor: str | None


def _department(department) -> dict | None:
    return {"id": department.pk, "name": department.name} if department is not None else None


def data_use_out(entry: AuditEntry, scope: AuditScope, report=None) -> dict:
    """One row of the tracker, in the words a citizen reads (field labels, no actor's name)."""
    return {
        "id": entry.pk,
        "occurred_at": entry.occurred_at,
        "kind": "license_use" if entry.action in selectors.LICENSE_USE_ACTIONS else "read",
        "action": entry.action,
        "subject": scope.hashes.get(entry.subject_hash, ""),
        "department": _department(entry.department),
        "actor_department": _department(entry.actor_department),
        "actor_role": str(StaffRole(entry.actor_role).label) if entry.actor_role in StaffRole.values else "",
        "system": entry.system,
        "channel": entry.channel,
        "fields": [{"name": name, "label": str(FIELD_LABELS.get(name, name))} for name in entry.fields],
        "purpose": entry.purpose,
        "ground_kind": entry.ground_kind,
        "ground_kind_label": str(GroundKind(entry.ground_kind).label)
        if entry.ground_kind in GroundKind.values
        else "",
        "ground_ref": entry.ground_ref,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "is_sealed": entry.seq is not None,
        "report_status": report.status if report is not None else None,
    }


def _report_out(report) -> dict:
    return {
        "id": report.pk,
        "entry_id": report.entry_id,
        "status": report.status,
        "status_label": str(report.get_status_display()),
        "note": report.note,
        "resolution": report.resolution,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


def _alert_out(alert: DataUseAlert, scope: AuditScope) -> dict:
    return {
        "id": alert.pk,
        "reason": alert.reason,
        "reason_label": str(alert.get_reason_display()),
        "created_at": alert.created_at,
        "read_at": alert.read_at,
        "entry": data_use_out(alert.entry, scope),
    }


@router.get("/me/data-uses", response={200: DataUsePageOut, **ERRORS}, auth=READ, summary="我的数据使用记录")
def list_data_uses(request: HttpRequest, filters: Query[DataUseFilter]):
    """Every read of my data and use of my licenses (and of the enterprises I represent), newest first.

    Bearer tokens need the ``data-uses:read`` scope.
    """
    scope = audit_scope_for(actor=request.auth)
    page = selectors.list_data_uses(
        scope=scope,
        subject=filters.subject,
        kind=filters.kind,
        department_id=filters.department,
        since=filters.since,
        until=filters.until,
        cursor=filters.cursor,
        limit=filters.limit,
    )
    reports = selectors.reports_by_entry(reporter=request.auth, entry_ids=[entry.pk for entry in page.items])
    items = [data_use_out(entry, scope, reports.get(entry.pk)) for entry in page.items]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get(
    "/me/data-uses/{entry_id}",
    response={200: DataUseDetailOut, **ERRORS},
    auth=READ,
    summary="一条数据使用记录及其防篡改证明",
)
def get_data_use(request: HttpRequest, entry_id: int):
    """The record with its inclusion proof against the latest signed tree head, verified by the server."""
    scope = audit_scope_for(actor=request.auth)
    entry = selectors.access_data_use_by_id(scope=scope, entry_id=entry_id)
    report = selectors.reports_by_entry(reporter=request.auth, entry_ids=[entry.pk]).get(entry.pk)
    return {"entry": data_use_out(entry, scope, report), "proof": prove_entry(entry=entry).as_dict()}


@router.post(
    "/me/data-uses/{entry_id}/report",
    response={200: ReportOut, 201: ReportOut, **ERRORS},
    auth=WRITE,
    summary="举报可疑的数据使用",
)
def report_data_use(request: HttpRequest, entry_id: int, payload: ReportIn):
    """Send the record to its department's auditors; repeating returns the first report (200)."""
    scope = audit_scope_for(actor=request.auth)
    report, created = services.report_suspicious_use(
        reporter=request.auth, scope=scope, entry_id=entry_id, note=payload.note
    )
    return Status(201 if created else 200, _report_out(report))


@router.get("/me/data-use-alerts", response={200: AlertPageOut, **ERRORS}, auth=READ, summary="数据使用提醒")
def list_alerts(request: HttpRequest, params: Query[PageParams], unread: bool = False):
    """Reads without a case or consent, or refused reads by staff outside their region."""
    scope = audit_scope_for(actor=request.auth)
    page = selectors.list_data_use_alerts(
        scope=scope, unread_only=unread, cursor=params.cursor, limit=params.limit
    )
    return {"items": [_alert_out(alert, scope) for alert in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/me/data-use-alerts/{alert_id}/read",
    response={200: AlertOut, **ERRORS},
    auth=WRITE,
    summary="标记提醒为已读",
)
def mark_alert_read(request: HttpRequest, alert_id: int):
    scope = audit_scope_for(actor=request.auth)
    return _alert_out(services.mark_alert_read(scope=scope, alert_id=alert_id), scope)
