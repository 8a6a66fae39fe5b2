"""Issuing one license by hand: pick the type by name, then fill a form generated from its field schema."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yiwang.core.errors import DomainError
from yiwang.core.page_auth import staff_verified_required

from . import selectors, services
from .forms import IssueForm, LicenseTypePickForm
from .views import admin_departments


def _issuers_for(license_type, departments) -> list:
    """The staff member's departments that may issue this type (all of them if the type names none)."""
    named = set(license_type.issuing_departments.values_list("pk", flat=True))
    return [department for department in departments if not named or department.pk in named]


@staff_verified_required
def issue_page(request):
    """Step one (no ``type``): the type picker. Step two (``type`` chosen): the type's own form."""
    departments = admin_departments(request)
    issuable = selectors.list_issuable_license_types(actor=request.user)
    chosen = request.POST.get("type") if request.method == "POST" else request.GET.get("type")
    picker = LicenseTypePickForm({"type": chosen} if chosen else None, license_types=issuable)
    if not picker.is_valid():
        return render(request, "licenses/issue.html", {"picker": picker})
    license_type = issuable.get(code=picker.cleaned_data["type"])
    form = IssueForm(
        request.POST if request.method == "POST" else None,
        license_type=license_type,
        departments=_issuers_for(license_type, departments),
    )
    if request.method == "POST" and form.is_valid():
        try:
            license = services.issue_license_by_staff(actor=request.user, **form.issue_arguments())
        except DomainError as error:
            form.add_error(None, error.message + "".join(f"；{e}" for e in error.details.get("errors", [])))
        else:
            messages.success(request, _("已签发 %(id)s") % {"id": license.identifier})
            return redirect("licenses:detail", identifier=license.identifier)
    return render(
        request, "licenses/issue.html", {"picker": picker, "form": form, "license_type": license_type}
    )
