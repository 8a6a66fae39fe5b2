"""The auditor's API (审计员): search and export their departments' log, handle suspicion reports."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Field, Query, Router, Schema

from yiwang.audit import selectors, services
from yiwang.audit.export import csv_lines
from yiwang.audit.models import AuditEntry, SuspicionReport
from yiwang.core.api_auth import session_only
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut
from yiwang.identity.selectors.audit_scope import audit_scope_for

from .data_uses import DepartmentRef, PageParams

router = Router(tags=["审计"])
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut}


class LogFilter(Schema):
    subject: str = Field(
        "", max_length=18, description="数据主体身份证号或信用代码：仅用于查询（取密钥哈希），不保存"
    )
    actor: str = Field("", max_length=150, description="操作人用户名")
    department: int | None = Field(None, ge=1, description="部门标识（须为本人审计的部门之一）")
    object_type: str = Field("", max_length=60)
    object_id: str = Field("", max_length=64)
    outcome: Literal["", "allowed", "refused"] = ""
    action: str = Field("", max_length=60)
    since: dt.datetime | None = Field(None, description="起始时间（含）")
    until: dt.datetime | None = Field(None, description="截止时间（不含）")

    def as_query(self) -> selectors.LogQuery:
        return selectors.LogQuery(
            subject=self.subject,
            actor_username=self.actor,
            department_id=self.department,
            object_type=self.object_type,
            object_id=self.object_id,
            outcome=self.outcome,
            action=self.action,
            since=self.since,
            until=self.until,
        )


class LogSearchParams(LogFilter, PageParams):
    pass


class LogEntryOut(Schema):
    id: int
    seq: int | None
    occurred_at: dt.datetime
    kind: str
    action: str
    outcome: str
    reason: str
    actor: str | None
    actor_role: str
    actor_department: DepartmentRef | None
    department: DepartmentRef | None
    system: str
    object_type: str
    object_id: str
    subject_hash: str
    fields: list[str]
    purpose: str
    ground_kind: str
    ground_ref: str
    channel: str
    request_id: str


class LogPageOut(Schema):
    items: list[LogEntryOut]
    next_cursor: str | None


class SuspicionReportOut(Schema):
    id: int
    entry: LogEntryOut
    department: DepartmentRef | None
    status: str
    note: str
    resolution: str
    created_at: dt.datetime
    updated_at: dt.datetime


class ReportPageOut(Schema):
    items: list[SuspicionReportOut]
    next_cursor: str | None


class HandleIn(Schema):
    status: Literal["investigating", "confirmed", "dismissed"]
    resolution: str = Field("", max_length=2000)


def _department(department) -> dict | None:
    return {"id": department.pk, "name": department.name} if department is not None else None


def _entry_out(entry: AuditEntry) -> dict:
    plain = {name: getattr(entry, name) for name in LogEntryOut.model_fields if hasattr(entry, name)}
    return {
        **plain,
        "actor": entry.actor.username if entry.actor_id else None,
        "actor_department": _department(entry.actor_department),
        "department": _department(entry.department),
    }


def _report_out(report: SuspicionReport) -> dict:
    return {
        "id": report.pk,
        "entry": _entry_out(report.entry),
        "department": _department(report.department),
        "status": report.status,
        "note": report.note,
        "resolution": report.resolution,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
    }


@router.get("/audit/entries", response={200: LogPageOut, **ERRORS}, auth=session_only, summary="查询审计日志")
def search_entries(request: HttpRequest, params: Query[LogSearchParams]):
    """Entries whose data belongs to, or whose actor works for, one of the auditor's departments."""
    scope = audit_scope_for(actor=request.auth)
    page = selectors.search_log(
        scope=scope, query=params.as_query(), cursor=params.cursor, limit=params.limit
    )
    return {"items": [_entry_out(entry) for entry in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/audit/entries/export",
    response={200: str, **ERRORS},
    auth=session_only,
    summary="导出审计日志（CSV）",
)
def export_entries(request: HttpRequest, params: Query[LogFilter]):
    """The same query as CSV (text/csv, UTF-8 with BOM), newest first, at most 10,000 rows; the export
    itself is recorded in the log as ``audit.log_exported``."""
    scope = audit_scope_for(actor=request.auth)
    query = params.as_query()
    services.record_log_export(actor=request.auth, scope=scope, query=query)
    response = StreamingHttpResponse(
        csv_lines(selectors.iter_log_for_export(scope=scope, query=query)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@router.get(
    "/audit/reports", response={200: ReportPageOut, **ERRORS}, auth=session_only, summary="可疑读取举报"
)
def list_reports(
    request: HttpRequest,
    params: Query[PageParams],
    status: Literal["open", "investigating", "confirmed", "dismissed"] | None = None,
):
    scope = audit_scope_for(actor=request.auth)
    page = selectors.list_suspicion_reports(
        scope=scope, status=status, cursor=params.cursor, limit=params.limit
    )
    return {"items": [_report_out(report) for report in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/audit/reports/{report_id}",
    response={200: SuspicionReportOut, **ERRORS},
    auth=session_only,
    summary="处理举报",
)
def handle_report(request: HttpRequest, report_id: int, payload: HandleIn):
    scope = audit_scope_for(actor=request.auth)
    report = services.handle_suspicion_report(
        handler=request.auth,
        scope=scope,
        report_id=report_id,
        status=payload.status,
        resolution=payload.resolution,
    )
    return _report_out(report)
