"""Pages of a provider's data administrators maintaining their resources: metadata, data items, Excel.

Each page parses, calls one service or selector, renders; who may change what is the services' answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required

from ..forms import DataItemForm, ResourceForm, ResourceImportForm
from ..selectors.resources import access_resource_for_maintenance, export_resources, list_maintained_resources
from ..services import resources as services
from ..spreadsheets import MAX_FILE_BYTES

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _resource_or_404(request, code: str):
    try:
        return access_resource_for_maintenance(actor=request.user, code=code)
    except NotFound:
        raise Http404 from None


def _form_errors(form, error: DomainError) -> None:
    fields = error.details.get("fields") or {}
    placed = False
    for name, problems in fields.items():
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
            placed = True
    if not placed:
        form.add_error(None, error.message)


@staff_verified_required
def maintenance(request):
    """The resources the user's departments provide, with export and import."""
    return render(
        request,
        "exchange/maintenance.html",
        {"resources": list_maintained_resources(actor=request.user), "import_form": ResourceImportForm()},
    )


@staff_verified_required
def edit_resource(request, code: str):
    resource = _resource_or_404(request, code)
    form = ResourceForm(request.POST or None, instance=resource)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_resource(actor=request.user, code=code, values=form.cleaned_data)
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("已保存，当前版本 %(version)s") % {"version": saved.version})
            return redirect("exchange:edit_resource", code=code)
    status = 400 if request.method == "POST" else 200
    items = sorted(resource.items.all(), key=lambda item: item.pk)
    context = {"resource": resource, "form": form, "items": items}
    return render(request, "exchange/resource_edit.html", context, status=status)


@staff_verified_required
def edit_item(request, code: str, item_code: str | None = None):
    resource = _resource_or_404(request, code)
    item = next((entry for entry in resource.items.all() if entry.code == item_code), None)
    if item_code is not None and item is None:
        raise Http404
    form = DataItemForm(request.POST or None, instance=item)
    if item is not None:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.save_data_item(
                actor=request.user, code=code, item_code=item_code, values=form.cleaned_data
            )
        except DomainError as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("信息项已保存"))
            return redirect("exchange:edit_resource", code=code)
    status = 400 if request.method == "POST" else 200
    context = {"resource": resource, "item": item, "form": form}
    return render(request, "exchange/item_edit.html", context, status=status)


@require_POST
@staff_verified_required
def delete_item(request, code: str, item_code: str):
    _resource_or_404(request, code)
    try:
        services.delete_data_item(actor=request.user, code=code, item_code=item_code)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("信息项已删除"))
    return redirect("exchange:edit_resource", code=code)


@staff_verified_required
def export(request):
    data = export_resources(actor=request.user, codes=request.GET.getlist("code") or None)
    response = HttpResponse(data, content_type=XLSX_TYPE)
    name = f"exchange-resources-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@staff_verified_required
def import_resources(request):
    """All or nothing: every error by sheet, row and column, or what was created and updated."""
    form = ResourceImportForm(request.POST, request.FILES)
    context = {"resources": list_maintained_resources(actor=request.user), "import_form": form}
    if not form.is_valid():
        return render(request, "exchange/maintenance.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_FILE_BYTES:
        form.add_error("file", _("文件过大：不能超过 %(mb)d MB") % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return render(request, "exchange/maintenance.html", context, status=413)
    try:
        report = services.import_resources(actor=request.user, data=upload.read())
    except DomainError as error:
        form.add_error(None, error.message)
        return render(request, "exchange/maintenance.html", context, status=error.status)
    context["report"] = report
    return render(request, "exchange/maintenance.html", context, status=200 if report.is_valid else 422)
