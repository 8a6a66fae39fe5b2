"""The auditor's workbench (审计员): search the log of their departments, export it, handle reports."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpResponseForbidden, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.audit import selectors, services
from yiwang.audit.export import csv_lines
from yiwang.audit.scope import AuditScope
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.identity.selectors.audit_scope import audit_scope_for
from yiwang.regions.models import Department

from ..audit_forms import HandleReportForm, LogSearchForm

PAGE_SIZE = 50


def _auditor_scope(request) -> AuditScope | None:
    scope = audit_scope_for(actor=request.user)
    return scope if scope.is_auditor else None


def _day_start(day: dt.date | None) -> dt.datetime | None:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min)) if day else None


def _log_query(form: LogSearchForm) -> selectors.LogQuery:
    data = form.cleaned_data
    until = data.get("until")
    return selectors.LogQuery(
        subject=data.get("subject") or "",
        actor_username=data.get("actor") or "",
        department_id=data.get("department"),
        object_type=data.get("object_type") or "",
        object_id=data.get("object_id") or "",
        outcome=data.get("outcome") or "",
        since=_day_start(data.get("since")),
        until=_day_start(until + dt.timedelta(days=1)) if until else None,
    )


def _search_form(request, scope: AuditScope) -> LogSearchForm:
    departments = Department.objects.filter(pk__in=scope.department_ids).order_by("name")
    return LogSearchForm(request.GET or {}, departments=departments)


@staff_verified_required
def workbench(request):
    scope = _auditor_scope(request)
    if scope is None:
        return HttpResponseForbidden(_("仅审计员可以使用审计工作台"))
    form = _search_form(request, scope)
    page = None
    if form.is_valid():
        try:
            page = selectors.search_log(
                scope=scope, query=_log_query(form), cursor=request.GET.get("cursor") or None, limit=PAGE_SIZE
            )
        except DomainError as error:
            messages.error(request, error.message)
    query = request.GET.copy()
    query.pop("cursor", None)
    reports = selectors.list_suspicion_reports(scope=scope, limit=50)
    return render(
        request,
        "portal/audit/workbench.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "reports": [
                (report, HandleReportForm(auto_id=f"report-{report.pk}-%s")) for report in reports.items
            ],
        },
    )


@staff_verified_required
def export_log(request):
    scope = _auditor_scope(request)
    form = _search_form(request, scope) if scope else None
    if scope is None or not form.is_valid():
        return HttpResponseForbidden(_("仅审计员可以导出审计日志"))
    query = _log_query(form)
    services.record_log_export(actor=request.user, scope=scope, query=query)
    entries = selectors.iter_log_for_export(scope=scope, query=query)
    response = StreamingHttpResponse(csv_lines(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


@staff_verified_required
@require_POST
def handle_report(request, report_id: int):
    scope = _auditor_scope(request)
    form = HandleReportForm(request.POST)
    if scope is None:
        return HttpResponseForbidden(_("仅审计员可以处理举报"))
    if form.is_valid():
        try:
            services.handle_suspicion_report(
                handler=request.user, scope=scope, report_id=report_id, **form.cleaned_data
            )
        except NotFound:
            raise Http404(_("未找到该举报")) from None
        messages.success(request, _("已更新举报的处理状态"))
    return redirect("portal:audit_workbench")
