"""License pages: my licenses, a license with its watermark, QR showing, verification, consents, issuance."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.identity.selectors import (
    department_ids_with_permission,
    holder_codes_for,
    list_active_mandates_received,
    list_enterprises_represented,
    mask_id_number,
    mask_name,
    staff_department_ids,
)
from yiwang.regions.models import Department

from . import importers, presenters, selectors, services
from .forms import ConsentForm, ConsentRequestForm, DepartmentSearchForm, ImportForm, VerifyForm
from .models import LicenseType
from .regions_lookup import department_by_credit_code
from .rendering import qr_svg, watermark_text


def _issuing_department_ids(user) -> set[int]:
    return department_ids_with_permission(user, "license.issue")


def _gate(request, identifier: str):
    try:
        license = selectors.access_license_by_identifier(actor=request.user, identifier=identifier)
    except NotFound:
        raise Http404(_("未找到该电子证照")) from None
    staff_without_second_factor = request.user.is_staff_member and not request.user.is_verified()
    if staff_without_second_factor and not selectors.is_holder_side(actor=request.user, license=license):
        raise Http404(_("未找到该电子证照"))  # staff powers need the TOTP second factor, as in the API
    return license


def _holder_label(user, summary: dict) -> str:
    """Who holds a listed license: 本人 for the user, an enterprise's name, a principal's masked name."""
    if summary["holder_code"] == user.id_number:
        return _("本人")
    return summary["holder_name"] if summary["holder_kind"] != "person" else mask_name(summary["holder_name"])


@login_required
def my_licenses(request):
    licenses = []
    for item in selectors.list_licenses_for_actor(actor=request.user):
        summary = presenters.license_summary(item)
        summary.update(holder_code=item.holder_code, holder_kind=item.holder_kind)
        summary["holder_label"] = _holder_label(request.user, summary)
        licenses.append(summary)
    return render(
        request,
        "licenses/my_licenses.html",
        {"licenses": licenses, "is_license_admin": bool(_issuing_department_ids(request.user))},
    )


def _consent_form_context(request, form: ConsentForm | None = None) -> dict:
    """The consent form with its department picker, narrowed by ``department_q`` when given."""
    search = DepartmentSearchForm(request.GET or None)
    query = search.cleaned_data["department_q"] if search.is_valid() else ""
    departments = list(selectors.list_consent_requesters(name_contains=query))
    if query and not departments:
        departments = list(selectors.list_consent_requesters())
        search.add_error("department_q", _("未找到名称含“%(text)s”的部门，已列出全部部门") % {"text": query})
    return {
        "consent_form": form or ConsentForm(departments=departments),
        "department_search": search,
        "department_count": len(departments),
    }


@login_required
def license_detail(request, identifier: str):
    license = _gate(request, identifier)
    holder_side = selectors.is_holder_side(actor=request.user, license=license)
    return render(
        request,
        "licenses/detail.html",
        {
            **(_consent_form_context(request) if holder_side else {}),
            "license": license,
            "summary": presenters.license_summary(license),
            "rows": presenters.surface_rows(license),
            "history": selectors.list_status_history(license=license),
            "watermark": watermark_text(license),
            "is_holder_side": holder_side,
        },
    )


def scanned(request, token: str):
    try:
        license = services.scan_show_token(token=token)
    except NotFound as error:
        return render(
            request, "licenses/verify.html", {"form": VerifyForm(), "error": error.message}, status=404
        )
    result = selectors.verify_license_identifier(identifier=license.identifier)
    return render(
        request,
        "licenses/verify.html",
        {"form": VerifyForm(), "result": presenters.verification_out(result), "shown": True},
    )


def verify_page(request):
    form = (
        VerifyForm(request.POST or None, request.FILES or None)
        if request.method == "POST"
        else VerifyForm(initial={"identifier": request.GET.get("identifier", "")})
    )
    context: dict = {"form": form}
    identifier = request.GET.get("identifier", "")
    try:
        if request.method == "POST" and form.is_valid():
            bundle = form.bundle_data()
            if bundle is not None:
                context["result"] = presenters.verification_out(selectors.verify_bundle(bundle=bundle))
            elif form.cleaned_data["identifier"]:
                context["result"] = presenters.verification_out(
                    selectors.verify_license_identifier(identifier=form.cleaned_data["identifier"])
                )
        elif request.method == "GET" and identifier:
            context["result"] = presenters.verification_out(
                selectors.verify_license_identifier(identifier=identifier)
            )
    except (DomainError, ValueError) as error:
        context["error"] = getattr(error, "message", str(error))
    return render(request, "licenses/verify.html", context)


@login_required
def download_pdf(request, identifier: str):
    from .rendering import license_pdf

    license = _gate(request, identifier)
    response = HttpResponse(license_pdf(license), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{license.identifier}.pdf"'
    return response


@login_required
def download_bundle(request, identifier: str):
    license = _gate(request, identifier)
    response = JsonResponse(
        selectors.get_bundle(license=license), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Content-Disposition"] = f'attachment; filename="{license.identifier}.bundle.json"'
    return response


@login_required
@require_POST
def grant_consent(request, identifier: str):
    license = _gate(request, identifier)
    form = ConsentForm(request.POST, departments=selectors.list_consent_requesters())
    if not form.is_valid():
        problems = "；".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, _("请完整填写授权信息：%(problems)s") % {"problems": problems})
        return redirect("licenses:detail", identifier=license.identifier)
    try:
        services.grant_consent(
            actor=request.user,
            holder_code=license.holder_code,
            license=license,
            purpose=form.cleaned_data["purpose"],
            requester=department_by_credit_code(form.cleaned_data["requester_credit_code"]),
            expires_at=timezone.now() + dt.timedelta(days=form.cleaned_data["days"]),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("licenses:detail", identifier=license.identifier)
    messages.success(request, _("已授权"))
    return redirect("licenses:consents")


@login_required
def my_consents(request):
    consents = []
    for item in selectors.list_consents_for_actor(actor=request.user):
        consent = presenters.consent_out(item)
        consent["license_name"] = (item.license.license_type if item.license_id else item.license_type).name
        consents.append(consent)
    type_names = dict(selectors.list_license_types().values_list("code", "name"))
    uses = [presenters.use_out(item) for item in selectors.list_uses_for_actor(actor=request.user)[:200]]
    for use in uses:  # an identifier begins with its type code (docs/license-identifier.md)
        use["license_name"] = type_names.get(str(use["identifier"]).split("-", 1)[0], "")
    return render(request, "licenses/consents.html", {"consents": consents, "uses": uses})


@login_required
@require_POST
def revoke_consent(request, consent_id: int):
    try:
        services.revoke_consent(actor=request.user, consent_id=consent_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("已撤回授权"))
    return redirect("licenses:consents")


def _holder_choices(user) -> list[tuple[str, str]]:
    """The holders the user may consent for, by (masked) name instead of a bare ID number."""
    names = (
        {user.id_number: _("本人 %(name)s") % {"name": mask_name(user.full_name)}} if user.id_number else {}
    )
    for enterprise in list_enterprises_represented(user=user):
        names[enterprise.credit_code] = enterprise.name
    for mandate in list_active_mandates_received(user=user):
        if mandate.enterprise_id:
            names.setdefault(mandate.enterprise.credit_code, mandate.enterprise.name)
        elif mandate.granted_by.id_number:
            label = _("委托人 %(name)s") % {"name": mask_name(mandate.granted_by.full_name)}
            names.setdefault(mandate.granted_by.id_number, label)
    return [
        (code, f"{names.get(code, '')}（{mask_id_number(code)}）".lstrip())
        for code in sorted(holder_codes_for(user), key=lambda code: (code != user.id_number, code))
    ]


@login_required
def consent_request(request, token: str):
    try:
        pending = services.get_pending_consent_request(token=token)
    except NotFound as error:
        return render(request, "licenses/consent_request.html", {"error": error.message}, status=404)
    codes = _holder_choices(request.user)
    if request.method == "POST":
        try:
            services.accept_consent_request(
                actor=request.user, token=token, holder_code=request.POST.get("holder_code", "")
            )
        except DomainError as error:
            return render(
                request,
                "licenses/consent_request.html",
                {"pending": pending, "codes": codes, "error": error.message},
                status=400,
            )
        messages.success(request, _("已同意授权"))
        return redirect("licenses:consents")
    return render(request, "licenses/consent_request.html", {"pending": pending, "codes": codes})


def admin_departments(request):
    departments = Department.objects.filter(pk__in=_issuing_department_ids(request.user)).order_by("name")
    if not departments:
        raise Http404
    return departments


@staff_verified_required
def import_page(request):
    departments = admin_departments(request)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        departments=departments,
        license_types=selectors.list_issuable_license_types(actor=request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            license_type = selectors.list_license_types().get(code=form.cleaned_data["type_code"])
            job = importers.start_import(
                actor=request.user,
                license_type=license_type,
                issuer=department_by_credit_code(form.cleaned_data["issuer_credit_code"]),
                upload=form.cleaned_data["file"],
            )
        except (DomainError, Exception) as error:
            form.add_error(None, getattr(error, "message", _("未找到该证照类型")))
        else:
            return redirect("licenses:import_progress", job_id=job.pk)
    return render(request, "licenses/import.html", {"form": form})


@staff_verified_required
def import_progress(request, job_id: int):
    try:
        job = importers.access_import_job(actor=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    progress = importers.job_out(job)
    total = max(progress["total_rows"], 1)
    progress["percent"] = min(
        100, int(50 * progress["processed_rows"] / total + 50 * progress["imported_count"] / total)
    )
    template = "licenses/import_progress_bar.html" if request.htmx else "licenses/import_progress.html"
    return render(
        request,
        template,
        {"job": progress, "errors_json": json.dumps(progress["errors"][:5], ensure_ascii=False)},
    )


@staff_verified_required
def new_consent_request(request):
    """A window clerk asks the holder for consent: the page shows a QR code the holder scans."""
    departments = Department.objects.filter(pk__in=staff_department_ids(request.user)).order_by("name")
    form = ConsentRequestForm(
        request.POST or None, departments=departments, license_types=selectors.list_license_types()
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pending, token = services.create_consent_request(
                actor=request.user,
                requester=department_by_credit_code(data["requester_credit_code"]),
                license_type=selectors.list_license_types().get(code=data["type_code"]),
                purpose=data["purpose"],
                consent_days=data["consent_days"],
            )
        except (DomainError, LicenseType.DoesNotExist) as error:
            form.add_error(None, getattr(error, "message", _("未找到该证照类型")))
        else:
            url = request.build_absolute_uri(f"/licenses/consent-requests/{token}")
            return render(
                request,
                "licenses/consent_request_qr.html",
                {"pending": pending, "qr": qr_svg(url), "url": url},
            )
    return render(request, "licenses/consent_request_new.html", {"form": form})
