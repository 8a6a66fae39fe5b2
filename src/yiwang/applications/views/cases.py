"""My cases (我的办件): what needs my action first (supplements, fees), the list, and a case's page with
its timeline, both planned dates and the clock's stops, its materials and how each was provided, the
supplement notice with its answer form (补正), withdrawal, results and, for a bundle, its parts and the
one that holds the whole up. Only the applicant side (applicant, holder, mandated agent, legal
representative) reaches these pages; everyone else gets the same 404."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.core.errors import DomainError, InvalidInput

from .. import selectors
from ..constants import OPEN_STATUSES, CaseStatus, MaterialSource
from ..models import Case, SupplementRequest
from ..services import bundles, cases, clock, drafts, forms, receipts
from .apply import fee_steps
from .citizen_forms import applicant_case, errors_by_field, form_fields, read_answers, store_files

PAGE_SIZE = 20
ACTION_SCAN = 50  # open cases looked at for fees still to pay


# The list --------------------------------------------------------------------------------------------------


@dataclass
class Action:
    case: Case
    kind: str  # supplement | pay
    text: str


def _actions(user: Any) -> list[Action]:
    """What waits for the applicant: supplement notices first, then fees to pay (parts included)."""
    found: list[Action] = []
    waiting = selectors.list_cases_for_applicant(
        actor=user, status=CaseStatus.SUPPLEMENT, include_sub_cases=True, limit=ACTION_SCAN
    )
    for case in waiting.items:
        found.append(Action(case, "supplement", _("部门一次性告知需要补正，补正期间暂停计时")))
    open_cases = selectors.list_cases_for_applicant(
        actor=user, status="open", include_sub_cases=True, limit=ACTION_SCAN
    )
    for case in open_cases.items:
        if case.implementation is None or case.implementation.is_free or case.status == CaseStatus.SUPPLEMENT:
            continue
        for fee in fee_steps(case):
            if fee.case.pk == case.pk and not fee.is_paid:
                found.append(Action(case, "pay", _("待缴费 %(amount)s 元") % {"amount": fee.total}))
    return found


@login_required
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ("", "open", "closed"):
        status = ""
    try:
        page = selectors.list_cases_for_applicant(
            actor=request.user,
            status=status or None,
            cursor=request.GET.get("cursor") or None,
            limit=PAGE_SIZE,
        )
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("applications:mine")
    return render(
        request,
        "applications/cases/list.html",
        {
            "page": page,
            "status": status,
            "actions": _actions(request.user) if not request.GET.get("cursor") else [],
            "draft_count": _draft_count(request.user),
        },
    )


def _draft_count(user: Any) -> int:
    return drafts.list_drafts_for(actor=user).count()


# One case --------------------------------------------------------------------------------------------------


@dataclass
class SupplementItem:
    kind: str  # field | material
    key: str
    problem: str
    name: str
    field: dict[str, Any] | None = None


def _schema(case: Case) -> dict[str, Any]:
    if case.form is not None:
        return case.form.schema
    if case.bundle is not None and case.parent_id is None:
        try:
            return forms.bundle_form(bundle=case.bundle)
        except DomainError:
            return {}
    return {}


def _open_supplement(case: Case) -> SupplementRequest | None:
    if case.status != CaseStatus.SUPPLEMENT:
        return None
    return case.supplements.filter(answered_at__isnull=True).order_by("-requested_at").first()


def supplement_items(case: Case, request: SupplementRequest) -> list[SupplementItem]:
    fields = form_fields(_schema(case))
    names = dict(case.materials.values_list("key", "name"))
    items = []
    for item in request.items:
        if item["kind"] == "field":
            spec = fields.get(item["key"])
            label = spec["label"]["zh"] if spec else item["key"]
            items.append(SupplementItem("field", item["key"], item["problem"], label, spec))
        else:
            items.append(
                SupplementItem("material", item["key"], item["problem"], names.get(item["key"], item["key"]))
            )
    return items


def _case_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    supplement = _open_supplement(case)
    children = list(case.children.select_related("implementation", "department", "result_license"))
    critical = bundles.critical_path(parent=case) if children else None
    materials = list(case.materials.select_related("license__license_type").order_by("superseded", "pk"))
    return {
        "case": case,
        "events": list(selectors.list_case_events(case=case)),
        "clock": clock.describe(case=case),
        "materials": materials,
        "supplement": supplement,
        "supplement_items": supplement_items(case, supplement) if supplement else [],
        "children": children,
        "critical": critical,
        "fees": fee_steps(case) if case.status in OPEN_STATUSES else [],
        "can_withdraw": case.status in OPEN_STATUSES and case.parent_id is None,
        "form_values": case.data,
        "form_errors": {},
        "supplement_errors": {},
        "error": "",
        "MaterialSource": {source.name: source.value for source in MaterialSource},
    }


@login_required
@require_GET
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    case = applicant_case(request, number)
    return render(request, "applications/cases/detail.html", _case_context(request, case))


@login_required
@require_POST
def answer_supplement(request: HttpRequest, number: str) -> HttpResponse:
    """补正: the answer to every item of the open notice at once; the clock restarts."""
    case = applicant_case(request, number)
    notice = _open_supplement(case)
    if notice is None:
        messages.info(request, _("该办件没有待答复的补正告知"))
        return redirect("applications:case", number=case.number)
    items = supplement_items(case, notice)
    data = read_answers(request.POST, [item.field for item in items if item.field])
    uploads, upload_errors = store_files(
        request.FILES, [item.key for item in items if item.kind == "material"]
    )
    error, field_errors = "", {}
    if upload_errors:
        error = _("有材料文件未能上传，请按提示重新选择文件")
    else:
        try:
            cases.resubmit(actor=request.user, case=case, data=data, uploads=uploads)
        except DomainError as refused:
            error, field_errors = refused.message, errors_by_field(refused)
            missing = set(refused.details.get("missing") or [])
            upload_errors = {key: _("请补正此项") for key in missing if key not in data}
        else:
            messages.success(request, _("补正材料已提交，恢复计时"))
            return redirect("applications:case", number=case.number)
    context = _case_context(request, case)
    context.update(
        error=error,
        form_values={**case.data, **data},
        form_errors=field_errors,
        supplement_errors=upload_errors,
    )
    return render(request, "applications/cases/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, number: str) -> HttpResponse:
    case = applicant_case(request, number)
    error = ""
    if request.method == "POST":
        try:
            cases.withdraw(actor=request.user, case=case, reason=request.POST.get("reason", ""))
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("申请已撤回"))
            return redirect("applications:case", number=case.number)
    if case.status not in OPEN_STATUSES and not error:
        messages.info(request, _("该办件已办结，不能撤回"))
        return redirect("applications:case", number=case.number)
    return render(
        request,
        "applications/cases/withdraw.html",
        {"case": case, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_GET
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    case = applicant_case(request, number)
    response = HttpResponse(receipts.receipt_pdf(case=case), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{case.number}.pdf"'
    return response


@login_required
@require_GET
def decision_document(request: HttpRequest, number: str) -> FileResponse:
    case = applicant_case(request, number)
    if not case.decision_document:
        raise Http404(_("该办件没有决定书"))
    return FileResponse(
        case.decision_document.open("rb"),
        as_attachment=True,
        filename=f"decision-{case.number}.pdf",
        content_type="application/pdf",
    )


urlpatterns = [
    path("mine/", my_cases, name="mine"),
    path("mine/<str:number>/", case_page, name="case"),
    path("mine/<str:number>/supplement", answer_supplement, name="supplement"),
    path("mine/<str:number>/withdraw", withdraw, name="withdraw"),
    path("mine/<str:number>/receipt.pdf", receipt, name="receipt"),
    path("mine/<str:number>/decision.pdf", decision_document, name="decision"),
]
