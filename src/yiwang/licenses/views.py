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
from yiwang.identity.selectors import department_ids_with_permission, holder_codes_for, staff_department_ids
from yiwang.regions.models import Department

from . import importers, presenters, selectors, services
from .forms import ConsentForm, ConsentRequestForm, ImportForm, IssueForm, VerifyForm
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


@login_required
def my_licenses(request):
    licenses = [
        presenters.license_summary(item) for item in selectors.list_licenses_for_actor(actor=request.user)
    ]
    return render(
        request,
        "licenses/my_licenses.html",
        {"licenses": licenses, "is_license_admin": bool(_issuing_department_ids(request.user))},
    )


@login_required
def license_detail(request, identifier: str):
    license = _gate(request, identifier)
    return render(
        request,
        "licenses/detail.html",
        {
            "license": license,
            "summary": presenters.license_summary(license),
            "rows": presenters.surface_rows(license),
            "history": selectors.list_status_history(license=license),
            "watermark": watermark_text(license),
            "is_holder_side": selectors.is_holder_side(actor=request.user, license=license),
            "consent_form": ConsentForm(),
        },
    )


@login_required
@require_POST
def show_license(request, identifier: str):
    license = _gate(request, identifier)
    if not selectors.is_holder_side(actor=request.user, license=license):
        raise Http404
    token, expires_at = services.create_show_token(actor=request.user, license=license)
    url = request.build_absolute_uri(f"/licenses/show/{token}")
    return render(
        request,
        "licenses/show.html",
        {"license": license, "qr": qr_svg(url), "url": url, "expires_at": expires_at},
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
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请完整填写授权信息"))
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
    consents = [
        presenters.consent_out(item) for item in selectors.list_consents_for_actor(actor=request.user)
    ]
    uses = [presenters.use_out(item) for item in selectors.list_uses_for_actor(actor=request.user)[:200]]
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


@login_required
def consent_request(request, token: str):
    try:
        pending = services.get_pending_consent_request(token=token)
    except NotFound as error:
        return render(request, "licenses/consent_request.html", {"error": error.message}, status=404)
    codes = sorted(holder_codes_for(request.user))
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


def _admin_departments(request):
    departments = Department.objects.filter(pk__in=_issuing_department_ids(request.user)).order_by("name")
    if not departments:
        raise Http404
    return departments


@staff_verified_required
def issue_page(request):
    departments = _admin_departments(request)
    form = IssueForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        try:
            license = services.issue_license_by_staff(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message + "".join(f"；{e}" for e in error.details.get("errors", [])))
        else:
            messages.success(request, _("已签发 %(id)s") % {"id": license.identifier})
            return redirect("licenses:detail", identifier=license.identifier)
    return render(request, "licenses/issue.html", {"form": form, "types": selectors.list_license_types()})


@staff_verified_required
def import_page(request):
    departments = _admin_departments(request)
    form = ImportForm(request.POST or None, request.FILES or None, departments=departments)
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
    form = ConsentRequestForm(request.POST or None, departments=departments)
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
