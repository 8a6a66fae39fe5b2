"""Pages: the departments' quality workbench and objections (/quality/…), the citizen's objections
(/me/objections). Each page parses, calls one service or selector, renders; who may do what is the
services' and selectors' answer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.registers.constants import RegisterCode

from . import selectors, services
from .constants import FindingStatus, ObjectionStatus
from .forms import DismissForm, FixedForm, ObjectionDecisionForm, ObjectionForm
from .objections import item_label

PAGE_SIZE = 100


def _finding_rows(findings, today):
    return [
        {
            "finding": finding,
            "key": selectors.mask_key(finding.record_key),
            "overdue": selectors.is_overdue(finding.due_on, finding.status, today=today),
            "item": item_label(finding.item),
        }
        for finding in findings
    ]


@staff_verified_required
def overview(request):
    """Scores per resource and the findings of the user's departments (open first, overdue flagged)."""
    status = request.GET.get("status") or FindingStatus.OPEN
    if status not in FindingStatus.values:
        status = FindingStatus.OPEN
    overdue_only = request.GET.get("overdue") == "1"
    today = timezone.localdate()
    findings = selectors.list_findings_for(
        actor=request.user, status=status, overdue_only=overdue_only, today=today
    ).order_by("due_on", "pk")[:PAGE_SIZE]
    return render(
        request,
        "quality/overview.html",
        {
            "runs": selectors.latest_runs(),
            "rows": _finding_rows(findings, today),
            "status": status,
            "statuses": FindingStatus.choices,
            "overdue_only": overdue_only,
            "waiting_objections": selectors.list_objections_to_handle(
                actor=request.user, status=ObjectionStatus.SUBMITTED
            ).count(),
        },
    )


@staff_verified_required
def finding_detail(request, finding_id: int):
    try:
        finding = selectors.access_finding_by_id(actor=request.user, finding_id=finding_id)
    except NotFound:
        raise Http404(_("未找到该质量问题")) from None
    handles = finding.department_id in selectors.handled_department_ids(request.user)
    return render(
        request,
        "quality/finding.html",
        {
            "finding": finding,
            "key": selectors.finding_record_key(actor=request.user, finding=finding),
            "item": item_label(finding.item),
            "overdue": selectors.is_overdue(finding.due_on, finding.status),
            "handles": handles and finding.status == FindingStatus.OPEN,
            "fixed_form": FixedForm(),
            "dismiss_form": DismissForm(),
        },
    )


def _run(request, service, **arguments):
    try:
        result = service(actor=request.user, **arguments)
    except DomainError as error:
        messages.error(request, error.message)
        return None
    return result


@require_POST
@staff_verified_required
def mark_fixed(request, finding_id: int):
    form = FixedForm(request.POST)
    if form.is_valid():
        finding = _run(request, services.mark_finding_fixed, finding_id=finding_id, **form.cleaned_data)
        if finding is not None and finding.status == FindingStatus.FIXED:
            messages.success(request, _("复核通过，问题已办结"))
        elif finding is not None:
            messages.error(request, _("复核仍未通过：源头数据仍有该问题，请更正后再提交"))
    return redirect("quality:finding", finding_id=finding_id)


@require_POST
@staff_verified_required
def dismiss(request, finding_id: int):
    form = DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("说明误报须写明理由"))
    elif _run(request, services.dismiss_finding, finding_id=finding_id, **form.cleaned_data) is not None:
        messages.success(request, _("已标记为误报"))
    return redirect("quality:finding", finding_id=finding_id)


@staff_verified_required
def objections_to_handle(request):
    today = timezone.localdate()
    objections = selectors.list_objections_to_handle(actor=request.user).order_by("status", "due_on", "pk")
    rows = [
        {
            "objection": objection,
            "key": selectors.mask_key(objection.record_key),
            "item": item_label(objection.item),
            "register": RegisterCode(objection.register).label,
            "overdue": selectors.is_overdue(objection.due_on, objection.status, today=today),
        }
        for objection in objections[:PAGE_SIZE]
    ]
    return render(request, "quality/objections.html", {"rows": rows})


@staff_verified_required
def objection_to_handle(request, objection_id: int):
    try:
        objection = selectors.access_objection_to_handle(actor=request.user, objection_id=objection_id)
    except NotFound:
        raise Http404(_("未找到该数据异议")) from None
    form = ObjectionDecisionForm(request.POST or None)
    decided = (
        request.method == "POST"
        and form.is_valid()
        and _run(request, services.decide_objection, objection_id=objection.pk, **form.cleaned_data)
    )
    if decided:
        messages.success(request, _("已处理，申请人可查看结果"))
        return redirect("quality:objection", objection_id=objection.pk)
    return render(
        request,
        "quality/objection.html",
        {
            "objection": objection,
            "item": item_label(objection.item),
            "overdue": selectors.is_overdue(objection.due_on, objection.status),
            "form": form,
            "staff_view": True,
        },
    )


# The citizen's side ---------------------------------------------------------------------------------


@login_required
def my_objections(request):
    objections = selectors.list_own_objections(citizen=request.user).order_by("-submitted_at", "-pk")
    rows = [{"objection": o, "item": item_label(o.item)} for o in objections[:PAGE_SIZE]]
    return render(
        request,
        "quality/my_objections.html",
        {"rows": rows, "can_object": bool(selectors.objectable_records(citizen=request.user))},
    )


@login_required
def new_objection(request):
    records = selectors.objectable_records(citizen=request.user)
    form = ObjectionForm(request.POST or None, request.FILES or None, records=records)
    if request.method == "POST" and form.is_valid():
        try:
            objection = services.submit_objection(citizen=request.user, **form.service_input())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已提交，将由数据所属部门在 5 个工作日内核实处理"))
            return redirect("quality_me:detail", objection_id=objection.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "quality/new_objection.html", {"form": form, "records": records}, status=status)


@login_required
def my_objection(request, objection_id: int):
    try:
        objection = selectors.access_own_objection(citizen=request.user, objection_id=objection_id)
    except NotFound:
        raise Http404(_("未找到该数据异议")) from None
    return render(
        request,
        "quality/objection.html",
        {"objection": objection, "item": item_label(objection.item), "staff_view": False},
    )


@login_required
def evidence(request, objection_id: int):
    """The evidence file, to the citizen who gave it and the department handling it; never a public URL."""
    try:
        objection = selectors.access_objection_evidence(actor=request.user, objection_id=objection_id)
    except NotFound:
        raise Http404(_("未找到该证明材料")) from None
    response = FileResponse(
        objection.evidence_file.open("rb"), content_type=objection.evidence_type or "application/octet-stream"
    )
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
