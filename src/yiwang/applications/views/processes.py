"""The workbench page of handling processes (platform administrators): import a BPMN file, see the
versions, activate one, check which running cases could move to it and migrate them.

Each view parses, calls one service, renders; who may do it is the services' answer (the platform
administrator, ``staff.manage``: processes are platform-wide configuration).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required

from .. import workflow
from ..services import processes

MAX_BPMN_BYTES = 2 * 1024 * 1024
CHECK_LIMIT = 200  # cases checked on the page; the command and the migration itself take every case


def _forbidden():
    return HttpResponseForbidden(_("只有平台管理员可以管理审批流程"))


def _list(request, *, status: int = 200, **extra):
    context = {"definitions": processes.list_processes(), "max_kb": MAX_BPMN_BYTES // 1024, **extra}
    return render(request, "applications/processes/list.html", context, status=status)


@staff_verified_required
def process_list(request):
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    return _list(request)


@require_POST
@staff_verified_required
def import_bpmn(request):
    """Import an uploaded BPMN file as the next version: every problem listed, nothing stored on any."""
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    upload = request.FILES.get("file")
    if upload is None:
        return _list(request, status=400, problems=[_("请选择 BPMN 文件")])
    if upload.size > MAX_BPMN_BYTES:
        return _list(
            request, status=400, problems=[_("文件过大（不超过 %(n)d KB）") % {"n": MAX_BPMN_BYTES // 1024}]
        )
    try:
        result = processes.import_process(
            actor=request.user,
            xml=upload.read(),
            file_name=upload.name or "process.bpmn",
            activate=bool(request.POST.get("activate")),
        )
    except workflow.ImportProblems as error:
        return _list(request, status=422, problems=[str(problem) for problem in error.problems])
    except DomainError as error:
        return _list(request, status=error.status, problems=[error.message])
    version = result.version
    if result.created:
        messages.success(request, _("已导入为第 %(number)s 版") % {"number": version.number})
    else:
        messages.info(request, _("与第 %(number)s 版内容相同，未新建版本") % {"number": version.number})
    for warning in result.warnings:
        messages.warning(request, warning)
    return redirect("applications:process_version", version_id=version.pk)


def _version_or_404(version_id: int):
    try:
        return processes.get_version(version_id=version_id)
    except NotFound:
        raise Http404 from None


@staff_verified_required
def version_detail(request, version_id: int):
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    version = _version_or_404(version_id)
    report = processes.check_migration(actor=request.user, version=version, limit=CHECK_LIMIT)
    context = {
        "version": version,
        "definition": version.definition,
        "versions": version.definition.versions.order_by("-number"),
        "tasks": processes.user_tasks_of(version),
        "report": report,
        "check_limit": CHECK_LIMIT,
        "is_active": version.status == processes.ProcessStatus.ACTIVE,
    }
    return render(request, "applications/processes/detail.html", context)


@staff_verified_required
def version_bpmn(request, version_id: int):
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    version = _version_or_404(version_id)
    response = HttpResponse(version.bpmn_xml, content_type="application/xml; charset=utf-8")
    name = f"{version.definition.key}-v{version.number}.bpmn"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@staff_verified_required
def activate(request, version_id: int):
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    version = _version_or_404(version_id)
    try:
        processes.activate_version(actor=request.user, version=version)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("第 %(number)s 版已启用，新的办件将使用该版本；办理中的办件仍按原版本办理")
            % {"number": version.number},
        )
    return redirect("applications:process_version", version_id=version.pk)


@require_POST
@staff_verified_required
def migrate(request, version_id: int):
    """Move the running cases that can move to this (active) version; the others stay and are listed."""
    if not processes.may_manage_processes(request.user):
        return _forbidden()
    version = _version_or_404(version_id)
    try:
        report = processes.migrate_cases(actor=request.user, version=version)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("applications:process_version", version_id=version.pk)
    messages.success(
        request,
        _("已迁移 %(moved)d 件，%(blocked)d 件不能迁移（保留在原版本）")
        % {"moved": len(report.movable), "blocked": len(report.blocked)},
    )
    for case in report.blocked:
        messages.warning(
            request,
            _("办件 %(number)s 不能迁移：%(elements)s 已开始或已办结，在新版本中不存在")
            % {"number": case.number, "elements": "、".join(case.blocking)},
        )
    return redirect("applications:process_version", version_id=version.pk)


urlpatterns = [
    path("processes/", process_list, name="processes"),
    path("processes/import", import_bpmn, name="process_import"),
    path("processes/versions/<int:version_id>/", version_detail, name="process_version"),
    path("processes/versions/<int:version_id>/bpmn", version_bpmn, name="process_version_bpmn"),
    path("processes/versions/<int:version_id>/activate", activate, name="process_activate"),
    path("processes/versions/<int:version_id>/migrate", migrate, name="process_migrate"),
]
