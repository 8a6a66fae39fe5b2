"""The data administrators' pages of application forms: the list, a version, import and export (JSON),
activation. Each page parses, calls one service or selector, renders; who may do what is the services'
answer (the data administrator of the implementation's department, ``FORM_MANAGE_PERMISSION``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required

from ..constants import FormStatus
from ..services.form_outline import outline
from ..services.form_schema import FormSchemaError
from ..services.forms import (
    MAX_FORM_BYTES,
    access_form_by_id,
    activate_form,
    export_form,
    import_form,
    list_forms_for,
    list_manageable_implementations,
)


def _list_context(request, **extra):
    forms = list(list_forms_for(actor=request.user).order_by("implementation__name", "-version"))
    by_implementation: dict[int, list] = {}
    for form in forms:
        by_implementation.setdefault(form.implementation_id, []).append(form)
    rows = []
    without = []
    for implementation in list_manageable_implementations(actor=request.user):
        versions = by_implementation.get(implementation.pk, [])
        if not versions:
            without.append(implementation)
            continue
        active = next((form for form in versions if form.status == FormStatus.ACTIVE), None)
        rows.append(
            {
                "implementation": implementation,
                "latest": versions[0],
                "active": active,
                "count": len(versions),
            }
        )
    return {"rows": rows, "without": without, "max_kb": MAX_FORM_BYTES // 1024, **extra}


@staff_verified_required
def form_list(request):
    """The forms of the implementations of the user's departments, and the import."""
    return render(request, "applications/forms_admin/list.html", _list_context(request))


def _uploaded_definition(request) -> bytes | None:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_FORM_BYTES:
            return b" " * (MAX_FORM_BYTES + 1)  # the service refuses it with its own message
        return upload.read()
    text = request.POST.get("schema_text", "")
    return text.encode("utf-8") if text.strip() else None


@require_POST
@staff_verified_required
def import_definition(request):
    """Import a JSON definition as a new version: every problem listed, nothing stored on any."""
    raw = _uploaded_definition(request)
    if raw is None:
        context = _list_context(request, problems=[_("请选择 JSON 文件或粘贴表单定义")])
        return render(request, "applications/forms_admin/list.html", context, status=400)
    try:
        form, created = import_form(
            actor=request.user, schema=raw, activate=bool(request.POST.get("activate"))
        )
    except FormSchemaError as error:
        context = _list_context(request, problems=error.details.get("problems") or [error.message])
        return render(request, "applications/forms_admin/list.html", context, status=422)
    except DomainError as error:
        context = _list_context(request, problems=[error.message])
        return render(request, "applications/forms_admin/list.html", context, status=error.status)
    if created:
        messages.success(request, _("已导入为第 %(version)s 版") % {"version": form.version})
    else:
        messages.info(request, _("与第 %(version)s 版内容相同，未新建版本") % {"version": form.version})
    return redirect("applications:form_detail", form_id=form.pk)


def _form_or_404(request, form_id: int):
    try:
        return access_form_by_id(actor=request.user, form_id=form_id)
    except NotFound:
        raise Http404 from None


@staff_verified_required
def form_detail(request, form_id: int):
    form = _form_or_404(request, form_id)
    versions = (
        list_forms_for(actor=request.user)
        .filter(implementation_id=form.implementation_id)
        .order_by("-version")
    )
    context = {
        "form": form,
        "sections": outline(form=form),
        "versions": versions,
        "definition": export_form(form=form),
        "is_active": form.status == FormStatus.ACTIVE,
    }
    return render(request, "applications/forms_admin/detail.html", context)


@staff_verified_required
def export_definition(request, form_id: int):
    form = _form_or_404(request, form_id)
    response = HttpResponse(export_form(form=form), content_type="application/json; charset=utf-8")
    name = f"form-{form.implementation.code}-v{form.version}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@staff_verified_required
def activate(request, form_id: int):
    _form_or_404(request, form_id)
    try:
        form = activate_form(actor=request.user, form_id=form_id)
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("第 %(version)s 版已启用，新的申请将使用该版本") % {"version": form.version}
        )
    return redirect("applications:form_detail", form_id=form_id)


urlpatterns = [
    path("forms/", form_list, name="forms_admin"),
    path("forms/import", import_definition, name="form_import"),
    path("forms/<int:form_id>/", form_detail, name="form_detail"),
    path("forms/<int:form_id>/export.json", export_definition, name="form_export"),
    path("forms/<int:form_id>/activate", activate, name="form_activate"),
]
