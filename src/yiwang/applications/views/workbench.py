"""The staff workbench (办件工作台, /cases/workbench/): the queue of ready tasks in the staff member's
departments, roles and regions, and the case page with its answers, materials, clock, history and the
actions the staff member's role allows.

Every page needs a staff login with the second factor (TOTP). A case outside the staff member's scope is
"not found", exactly like a number that does not exist. Each action posts the case's revision as the page
showed it; when someone else changed the case meanwhile, the service refuses (``stale_revision``) and the
page shows the case as it is now, with what was typed kept.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from yiwang.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from yiwang.core.page_auth import staff_verified_required
from yiwang.core.workdays import DayUnit
from yiwang.identity.constants import StaffRole
from yiwang.identity.models import User

from .. import selectors
from ..constants import CaseStatus, Decision, MaterialSource, TaskState
from ..models import Case, CaseTask
from ..services import bundles, cases, workbench
from ..services.cases.stops import SUSPENSION_KINDS
from .workbench_queue import queue

PAGE_STATUS = {InvalidInput: 400, PermissionDenied: 403, Conflict: 409}
# What a refused action's form held, shown back with the case as it is now.
TYPED_LABELS = {
    "opinion": _lazy("办理意见"),
    "reason": _lazy("理由"),
    "legal_basis": _lazy("依据"),
    "days": _lazy("延长天数"),
}


def _not_found() -> Http404:
    return Http404(_("未找到该办件"))


def _case_for_staff(request, number: str) -> Case:
    try:
        return selectors.access_case_for_staff(actor=request.user, number=number)
    except NotFound:
        raise _not_found() from None


# The case page -------------------------------------------------------------------------------------


def _task_rows(request, case: Case, actions: workbench.CaseActions) -> list[dict[str, Any]]:
    rows = []
    for one in actions.tasks:
        candidates = (
            workbench.handover_candidates(actor=request.user, case=case, task=one.task)
            if one.may_hand_over
            else []
        )
        role = one.task.role
        label = StaffRole(role).label if role in StaffRole.values else role
        rows.append({"actions": one, "task": one.task, "candidates": candidates, "role_label": label})
    return rows


def _material_rows(detail: selectors.CaseDetail) -> list[dict[str, Any]]:
    return [
        {
            "view": view,
            "material": view.material,
            "has_file": bool(view.material.file),
            "is_license": view.material.source == MaterialSource.LICENSE,
        }
        for view in detail.materials
    ]


def _render_case(
    request,
    number: str,
    *,
    status: int = 200,
    error: str = "",
    failed_action: str = "",
    posted: dict[str, Any] | None = None,
) -> HttpResponse:
    posted = posted or {}
    typed = [(label, posted[key]) for key, label in TYPED_LABELS.items() if posted.get(key)]
    try:
        detail = selectors.case_detail(actor=request.user, number=number)
    except NotFound:
        raise _not_found() from None
    case = detail.case
    actions = workbench.case_actions(actor=request.user, case=case, tasks=detail.tasks)
    critical = bundles.critical_path(parent=case) if detail.sub_cases else None
    result_type, surface_fields = workbench.result_surface_fields(case=case) if actions.decide else (None, [])
    context = {
        "detail": detail,
        "case": case,
        "clock": detail.clock,
        "actions": actions,
        "task_rows": _task_rows(request, case, actions),
        "done_tasks": [task for task in detail.tasks if task.state != TaskState.READY],
        "answers": workbench.form_answers(case=case),
        "material_rows": _material_rows(detail),
        "critical": critical,
        "result_type": result_type,
        "surface_fields": surface_fields,
        "suspension_kinds": [(kind.value, kind.label) for kind in SUSPENSION_KINDS],
        "day_units": DayUnit.choices,
        "decisions": Decision.choices,
        "error": error,
        "failed_action": failed_action,
        "posted": posted,
        "typed": typed,
        "today": timezone.localdate(),
    }
    return render(request, "applications/workbench/case.html", context, status=status)


@staff_verified_required
def case_page(request, number: str):
    return _render_case(request, number)


@staff_verified_required
def material_download(request, number: str, material_id: int):
    """A material's file for staff who may see the case (the download is logged)."""
    try:
        material = workbench.open_case_material(actor=request.user, number=number, material_id=material_id)
    except NotFound:
        raise Http404(_("未找到该材料")) from None
    response = FileResponse(
        material.file.open("rb"), content_type=material.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_verified_required
def decision_document(request, number: str):
    """The decision document (决定书) for staff who may see the case (the download is logged)."""
    try:
        case = workbench.open_decision_document(actor=request.user, number=number)
    except NotFound:
        raise Http404(_("未找到该决定书")) from None
    response = FileResponse(case.decision_document.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Actions -------------------------------------------------------------------------------------------


def _expected_revision(request) -> int:
    try:
        return int(request.POST.get("expected_revision", ""))
    except ValueError:
        raise InvalidInput(_("页面缺少办件版本，请刷新后重试"), code="revision_required") from None


def _text(request, name: str) -> str:
    return (request.POST.get(name) or "").strip()


def _task(case: Case, request) -> CaseTask:
    task = CaseTask.objects.filter(case=case, pk=request.POST.get("task") or 0).first()
    if task is None:
        raise InvalidInput(_("请选择办理环节"), code="task_required")
    return task


def _claim(request, case: Case, revision: int) -> str:
    cases.claim_task(actor=request.user, case=case, task=_task(case, request), expected_revision=revision)
    return _("已签收")


def _hand_over(request, case: Case, revision: int) -> str:
    task = _task(case, request)
    candidates = workbench.handover_candidates(actor=request.user, case=case, task=task)
    chosen = request.POST.get("to_user", "")
    recipient: User | None = next((a.user for a in candidates if str(a.user.public_id) == chosen), None)
    if recipient is None:
        raise InvalidInput(_("请选择一位可以办理该环节的同事"), code="invalid_recipient")
    cases.hand_over_task(
        actor=request.user,
        case=case,
        task=task,
        to_user=recipient,
        reason=_text(request, "reason"),
        expected_revision=revision,
    )
    return _("已转交给 %(name)s") % {"name": recipient.full_name}


def _complete(request, case: Case, revision: int) -> str:
    opinion = _text(request, "opinion")
    if not opinion:
        raise InvalidInput(_("请填写办理意见"), code="opinion_required")
    cases.complete_task(
        actor=request.user,
        case=case,
        task=_task(case, request),
        data={"opinion": opinion[:500]},
        expected_revision=revision,
    )
    return _("该环节已办理")


def _accept(request, case: Case, revision: int) -> str:
    cases.accept(actor=request.user, case=case, expected_revision=revision)
    return _("已受理")


def _refuse_to_accept(request, case: Case, revision: int) -> str:
    cases.refuse_to_accept(
        actor=request.user,
        case=case,
        reason=_text(request, "reason"),
        legal_basis=_text(request, "legal_basis"),
        expected_revision=revision,
    )
    return _("已作出不予受理决定")


def _suspend(request, case: Case, revision: int) -> str:
    cases.suspend(
        actor=request.user,
        case=case,
        kind=request.POST.get("kind", ""),
        reason=_text(request, "reason"),
        legal_basis=_text(request, "legal_basis"),
        unit=request.POST.get("unit") or DayUnit.WORKING,
        expected_revision=revision,
    )
    return _("已进入特别程序，暂停计时")


def _resume(request, case: Case, revision: int) -> str:
    cases.resume(actor=request.user, case=case, expected_revision=revision)
    return _("特别程序已结束，恢复计时")


def _days(request) -> int:
    try:
        return int(request.POST.get("days", ""))
    except ValueError:
        raise InvalidInput(_("请填写延长天数"), code="invalid_days") from None


def _extend(request, case: Case, revision: int) -> str:
    cases.extend(
        actor=request.user,
        case=case,
        days=_days(request),
        reason=_text(request, "reason"),
        legal_basis=_text(request, "legal_basis"),
        unit=request.POST.get("unit") or DayUnit.WORKING,
        expected_revision=revision,
    )
    return _("已延长办理时限")


SURFACE_PREFIX = "surface-"


def _result_surface(request) -> dict[str, str] | None:
    """The result license's surface entries the approver typed (``surface-<field>``); None if none."""
    entered = {
        key[len(SURFACE_PREFIX) :]: value.strip()
        for key, value in request.POST.items()
        if key.startswith(SURFACE_PREFIX) and value.strip()
    }
    return entered or None


def _decide(request, case: Case, revision: int) -> str:
    task = CaseTask.objects.filter(case=case, pk=request.POST.get("task") or 0).first()
    cases.decide(
        result_surface=_result_surface(request),
        actor=request.user,
        case=case,
        decision=request.POST.get("decision", ""),
        reason=_text(request, "reason"),
        legal_basis=_text(request, "legal_basis"),
        task=task,
        expected_revision=revision,
    )
    return _("已作出决定")


ACTIONS = {
    "claim": _claim,
    "hand-over": _hand_over,
    "complete": _complete,
    "accept": _accept,
    "refuse-to-accept": _refuse_to_accept,
    "suspend": _suspend,
    "resume": _resume,
    "extend": _extend,
    "decide": _decide,
}


def _refused(request, number: str, error: DomainError, action: str) -> HttpResponse:
    status = next((code for kind, code in PAGE_STATUS.items() if isinstance(error, kind)), 400)
    return _render_case(
        request,
        number,
        status=status,
        error=error.message,
        failed_action=action,
        posted={key: value for key, value in request.POST.items() if key != "csrfmiddlewaretoken"},
    )


@require_POST
@staff_verified_required
def case_action(request, number: str, action: str):
    """One action on the case (its service decides); refused ones show the case as it is now."""
    handler = ACTIONS.get(action)
    case = _case_for_staff(request, number)
    if handler is None:
        raise Http404
    try:
        done = handler(request, case, _expected_revision(request))
    except DomainError as error:
        return _refused(request, case.number, error, action)
    messages.success(request, done)
    return redirect("applications:workbench_case", number=case.number)


# 一次性告知: every material and field on one page, each problem ticked with its note, one notice ---------


def _supplement_rows(case: Case, posted) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every current material and every answered field, with what was ticked and typed (on a retry)."""

    def row(kind: str, key: str, **shown: str) -> dict[str, Any]:
        return {
            "kind": kind,
            "key": key,
            "ticked": key in posted.getlist(kind),
            "problem": posted.get(f"{kind}-{key}-problem", ""),
            **shown,
        }

    materials = [
        row("material", material.key, name=material.name, source=material.get_source_display())
        for material in case.materials.filter(superseded=False).order_by("pk")
    ]
    fields = [
        row("field", answer.key, name=answer.label, value=answer.value, source=answer.source)
        for answer in workbench.form_answers(case=case)
    ]
    return materials, fields


def _supplement_items(request) -> tuple[list[dict[str, str]], list[str]]:
    items, problems = [], []
    for kind in ("material", "field"):
        for key in request.POST.getlist(kind):
            note = (request.POST.get(f"{kind}-{key}-problem") or "").strip()
            if not note:
                problems.append(key)
            items.append({"kind": kind, "key": key, "problem": note})
    return items, problems


@staff_verified_required
def supplement_page(request, number: str):
    """一次性告知: tick every problem of the case's materials and fields, each with its note; one notice."""
    case = _case_for_staff(request, number)
    materials, fields = _supplement_rows(case, request.POST)
    error, status = "", 200
    if request.method == "POST":
        items, missing_notes = _supplement_items(request)
        try:
            if missing_notes:
                raise InvalidInput(_("请为每一项勾选的补正事项写明问题"), code="supplement_note_required")
            cases.request_supplement(
                actor=request.user,
                case=case,
                items=items,
                note=_text(request, "note"),
                expected_revision=_expected_revision(request),
            )
        except DomainError as failed:
            error = failed.message
            status = next((code for kind, code in PAGE_STATUS.items() if isinstance(failed, kind)), 400)
            case.refresh_from_db(fields=["revision", "status"])
        else:
            messages.success(request, _("已一次性告知申请人补正，补正期间暂停计时"))
            return redirect("applications:workbench_case", number=case.number)
    context = {
        "case": case,
        "materials": materials,
        "fields": fields,
        "error": error,
        "note": request.POST.get("note", ""),
        "is_open": case.status in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED),
    }
    return render(request, "applications/workbench/supplement.html", context, status=status)


urlpatterns = [
    path("workbench/", queue, name="workbench"),
    path("workbench/<str:number>/", case_page, name="workbench_case"),
    path(
        "workbench/<str:number>/materials/<int:material_id>",
        material_download,
        name="workbench_material",
    ),
    path("workbench/<str:number>/decision.pdf", decision_document, name="workbench_decision"),
    path("workbench/<str:number>/supplement", supplement_page, name="workbench_supplement"),
    path("workbench/<str:number>/actions/<slug:action>", case_action, name="workbench_action"),
]
