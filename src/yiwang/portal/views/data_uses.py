"""我的数据使用记录: who read my data (and my enterprises'), why, on what ground, and the proof of each."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.audit import selectors, services
from yiwang.audit.constants import GroundKind
from yiwang.audit.entry_proofs import prove_entry
from yiwang.audit.models import AuditEntry
from yiwang.audit.scope import SELF, AuditScope
from yiwang.core.errors import DomainError, NotFound
from yiwang.identity.constants import StaffRole
from yiwang.identity.selectors import list_enterprises_represented
from yiwang.identity.selectors.audit_scope import audit_scope_for
from yiwang.registers.constants import FIELD_LABELS

from ..audit_forms import DataUseFilterForm, ReportForm

PAGE_SIZE = 20


def data_use_row(entry: AuditEntry, names: dict[str, str], report=None) -> dict:
    """One row as a citizen reads it: labels instead of codes, the department but not the clerk's name."""
    return {
        "entry": entry,
        "subject_name": names.get(entry.subject_hash, ""),
        "is_license_use": entry.action in selectors.LICENSE_USE_ACTIONS,
        "actor_role": StaffRole(entry.actor_role).label if entry.actor_role in StaffRole.values else "",
        "fields": [FIELD_LABELS.get(name, name) for name in entry.fields],
        "ground_label": GroundKind(entry.ground_kind).label if entry.ground_kind in GroundKind.values else "",
        "has_ground": bool(entry.ground_kind),
        "report": report,
    }


def _subject_names(request, scope: AuditScope) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The filter choices (本人, each enterprise) and the display name of each subject hash."""
    enterprises = {e.credit_code: e.name for e in list_enterprises_represented(user=request.user)}
    choices = [(SELF, _("本人"))] if scope.own_code else []
    choices += [(code, name) for code, name in enterprises.items() if code in scope.subject_codes]
    labels = dict(choices)
    return choices, {digest: labels.get(name, name) for digest, name in scope.hashes.items()}


def _day_start(day: dt.date | None) -> dt.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@login_required
def data_uses(request):
    scope = audit_scope_for(actor=request.user)
    choices, names = _subject_names(request, scope)
    form = DataUseFilterForm(request.GET or None, subjects=choices)
    filters = form.cleaned_data if form.is_valid() else {}
    until = filters.get("until")
    try:
        page = selectors.list_data_uses(
            scope=scope,
            subject=filters.get("subject") or None,
            kind=filters.get("kind") or None,
            since=_day_start(filters.get("since")),
            until=_day_start(until + dt.timedelta(days=1)) if until else None,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("portal:data_uses")
    reports = selectors.reports_by_entry(reporter=request.user, entry_ids=[e.pk for e in page.items])
    alerts = selectors.list_data_use_alerts(scope=scope, unread_only=True, limit=10)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "portal/audit/data_uses.html",
        {
            "form": form,
            "rows": [data_use_row(entry, names, reports.get(entry.pk)) for entry in page.items],
            "next_cursor": page.next_cursor,
            "query": query.urlencode(),
            "alerts": [(alert, data_use_row(alert.entry, names)) for alert in alerts.items],
            "unread_count": selectors.count_unread_alerts(scope=scope),
            "is_verified_person": bool(scope.own_code),
        },
    )


def _entry_or_404(request, entry_id: int) -> tuple[AuditScope, AuditEntry]:
    scope = audit_scope_for(actor=request.user)
    try:
        return scope, selectors.access_data_use_by_id(scope=scope, entry_id=entry_id)
    except NotFound:
        raise Http404(_("未找到该数据使用记录")) from None


@login_required
def data_use_detail(request, entry_id: int):
    scope, entry = _entry_or_404(request, entry_id)
    _, names = _subject_names(request, scope)
    report = selectors.reports_by_entry(reporter=request.user, entry_ids=[entry.pk]).get(entry.pk)
    return render(
        request,
        "portal/audit/data_use_detail.html",
        {
            "row": data_use_row(entry, names, report),
            "proof": prove_entry(entry=entry),
            "report_form": ReportForm(),
        },
    )


@login_required
@require_POST
def report_data_use(request, entry_id: int):
    scope, entry = _entry_or_404(request, entry_id)
    form = ReportForm(request.POST)
    if form.is_valid():
        _, created = services.report_suspicious_use(
            reporter=request.user, scope=scope, entry_id=entry.pk, note=form.cleaned_data["note"]
        )
        if created:
            messages.success(request, _("已提交给该部门的审计员，处理进展会显示在这条记录上"))
        else:
            messages.info(request, _("您已举报过这条记录"))
    return redirect("portal:data_use_detail", entry_id=entry.pk)


@login_required
@require_POST
def mark_alert_read(request, alert_id: int):
    scope = audit_scope_for(actor=request.user)
    try:
        services.mark_alert_read(scope=scope, alert_id=alert_id)
    except NotFound:
        raise Http404(_("未找到该提醒")) from None
    return redirect("portal:data_uses")
