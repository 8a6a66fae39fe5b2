"""一窗受理 (/cases/window/): a window clerk applies for a citizen, with the citizen's consent, for any
department's item, scans the paper materials and hands the case to that department's back office.

1. The clerk shows a QR code (the licenses' window consent); the citizen scans it and agrees on their phone.
2. The clerk types the ID number from the card in front of them: it must be the citizen who agreed.
3. The clerk picks the item, answers the situation questions, fills the form (prefilled fields locked,
   with their source), scans what the plan still asks for, and submits: channel "window", one visit.
The pages need a staff login with TOTP and ``application.accept``; the services decide the rest.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from yiwang.core.errors import Conflict, DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.core.pdf import qr_png

from ..constants import MaterialSource
from ..services import window
from ..services.forms import InvalidForm
from .window_form import form_rows, posted_data, posted_situation, situation_rows

SESSION_TOKENS = "applications.window_tokens"
KEPT_TOKENS = 5


def _departments(request):
    departments = list(window.window_departments(actor=request.user))
    if not departments:
        raise Http404(_("仅窗口受理人员可以使用一窗受理"))
    return departments


def _qr(url: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(url, box_size=5)).decode()


def _remember_token(request, request_id: int, token: str) -> None:
    kept = dict(request.session.get(SESSION_TOKENS, {}))
    kept[str(request_id)] = token
    request.session[SESSION_TOKENS] = dict(list(kept.items())[-KEPT_TOKENS:])


def _render_consent(request, request_id: int, *, error: str = "", id_number: str = "", status: int = 200):
    try:
        window.access_own_window_request(actor=request.user, request_id=request_id)
    except NotFound:
        raise Http404(_("未找到该窗口授权")) from None
    token = request.session.get(SESSION_TOKENS, {}).get(str(request_id))
    if token is None:
        return redirect("applications:window")
    url = request.build_absolute_uri(f"/licenses/consent-requests/{token}")
    context = {"request_id": request_id, "url": url, "qr": _qr(url), "error": error, "id_number": id_number}
    return render(request, "applications/window/consent.html", context, status=status)


@staff_verified_required
def start(request):
    """The clerk's first step: a consent QR code in the name of one of their window departments."""
    departments = _departments(request)
    error = ""
    if request.method == "POST":
        chosen = next((d for d in departments if str(d.pk) == request.POST.get("department")), None)
        try:
            if chosen is None:
                raise NotFound(_("请选择受理窗口所在部门"), code="department_required")
            pending, token = window.request_window_consent(actor=request.user, department=chosen)
        except DomainError as failed:
            error = failed.message
        else:
            _remember_token(request, pending.pk, token)
            return redirect("applications:window_consent", request_id=pending.pk)
    return render(request, "applications/window/start.html", {"departments": departments, "error": error})


@staff_verified_required
def consent(request, request_id: int):
    """The QR code for the citizen, and the ID number the clerk checks against the card."""
    _departments(request)
    if request.method != "POST":
        return _render_consent(request, request_id)
    id_number = (request.POST.get("id_number") or "").strip().upper()
    try:
        window.find_window_applicant(actor=request.user, request_id=request_id, id_number=id_number)
    except (NotFound, Conflict) as failed:
        status = 409 if isinstance(failed, Conflict) else 404
        return _render_consent(request, request_id, error=failed.message, id_number=id_number, status=status)
    return redirect("applications:window_items", request_id=request_id)


def _applicant(request, request_id: int) -> window.WindowApplicant:
    _departments(request)
    try:
        return window.access_window_applicant(actor=request.user, request_id=request_id)
    except (NotFound, Conflict):
        raise Http404(_("未找到申请人的窗口授权")) from None


@staff_verified_required
def items(request, request_id: int):
    """Every department's items that can be applied for, for the applicant at the window."""
    applicant = _applicant(request, request_id)
    query = (request.GET.get("q") or "").strip()
    found = window.list_window_implementations(query=query)
    context = {"applicant": applicant, "request_id": request_id, "query": query, "implementations": found}
    return render(request, "applications/window/items.html", context)


def _form_context(
    request, applicant, implementation, form, situation, data, *, reference: str, errors=None
) -> dict[str, Any]:
    prepared = window.prepare_window_form(
        applicant=applicant,
        implementation=implementation,
        form=form,
        situation=situation,
        data=data,
        reference=reference,
    )
    return {
        "applicant": applicant,
        "request_id": applicant.request.pk,
        "implementation": implementation,
        "form": form,
        "situation": situation,
        "situation_rows": situation_rows(prepared.questions, situation),
        "needs_situation": bool(prepared.unanswered),
        "rows": form_rows(prepared.fields, prepared.prefilled, data, errors or {}),
        "materials": prepared.materials,
        "to_scan": [item for item in prepared.materials if item.satisfied_by == MaterialSource.UPLOAD],
        "reference": reference,
    }


@staff_verified_required
def apply(request, request_id: int, code: str):
    """The application for the applicant: situation, form (prefilled), scans; submitted at the window."""
    applicant = _applicant(request, request_id)
    try:
        implementation, form = window.get_window_implementation(code=code)
    except NotFound:
        raise Http404(_("未找到可在窗口申报的事项")) from None
    source = request.POST if request.method == "POST" else request.GET
    situation = posted_situation(source)
    reference = source.get("reference") or f"window-{secrets.token_urlsafe(12)}"
    if request.method != "POST" or source.get("step") != "submit":
        context = _form_context(request, applicant, implementation, form, situation, {}, reference=reference)
        return render(request, "applications/window/apply.html", context)
    data = posted_data(form.schema, request.POST)
    try:
        case, created = window.submit_at_window(
            actor=request.user,
            applicant=applicant,
            implementation=implementation,
            situation=situation,
            data=data,
            prefilled_claims={key: {} for key in request.POST.getlist("prefilled")},
            files=request.FILES,
            idempotency_key=reference,
        )
    except DomainError as failed:
        errors = failed.details.get("fields", {}) if isinstance(failed, InvalidForm) else {}
        context = _form_context(
            request, applicant, implementation, form, situation, data, reference=reference, errors=errors
        )
        context["error"] = failed.message
        return render(request, "applications/window/apply.html", context, status=400)
    context = {
        "case": case,
        "created": created,
        "query_code": getattr(case, "query_code", ""),
        "applicant": applicant,
        "request_id": request_id,
        "items_url": reverse("applications:window_items", kwargs={"request_id": request_id}),
    }
    return render(request, "applications/window/done.html", context, status=201 if created else 200)


urlpatterns = [
    path("window/", start, name="window"),
    path("window/<int:request_id>/", consent, name="window_consent"),
    path("window/<int:request_id>/items", items, name="window_items"),
    path("window/<int:request_id>/apply/<str:code>", apply, name="window_apply"),
]
