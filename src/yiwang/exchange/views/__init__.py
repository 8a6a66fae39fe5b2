"""Pages of the departments' data administrators: the catalog, requesting, deciding, revoking.

Each page parses, calls one service or selector, renders; who may do what is the services' answer.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from oauth2_provider.models import Application

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.regions.models import Department

from .. import selectors, services
from ..constants import RequestStatus
from ..forms import DecisionForm, RequestForm, RevokeForm


@staff_verified_required
def overview(request):
    """The catalog, and the requests and grants of the user's departments (both sides)."""
    return render(
        request,
        "exchange/overview.html",
        {
            "resources": selectors.list_resources(),
            "requests": selectors.list_requests_for(actor=request.user).order_by("-submitted_at")[:100],
            "grants": selectors.list_grants_for(actor=request.user).order_by("-granted_at")[:100],
            "managed": selectors.managed_department_ids(request.user),
            "overdue": set(selectors.list_overdue_requests().values_list("pk", flat=True)),
            "pending": RequestStatus.PENDING,
            "second": RequestStatus.AWAITING_SECOND_APPROVAL,
            "decision_form": DecisionForm(),
            "revoke_form": RevokeForm(),
        },
    )


@staff_verified_required
def new_request(request, code: str):
    try:
        resource = selectors.get_resource_by_code(code=code)
    except NotFound:
        raise Http404 from None
    departments = Department.objects.filter(pk__in=selectors.managed_department_ids(request.user))
    systems = Application.objects.filter(
        profile__department__in=departments, authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS
    )
    form = RequestForm(request.POST or None, resource=resource, departments=departments, systems=systems)
    if request.method == "POST" and form.is_valid():
        try:
            share = services.request_resource(actor=request.user, resource=resource, **form.service_input())
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("已提交，状态：%(status)s") % {"status": share.get_status_display()})
            return redirect("exchange:overview")
    return render(request, "exchange/request.html", {"resource": resource, "form": form})


@require_POST
@staff_verified_required
def decide(request, request_id: int):
    form = DecisionForm(request.POST)
    if form.is_valid():
        _run(request, services.decide_request, request_id=request_id, **form.cleaned_data)
    return redirect("exchange:overview")


@require_POST
@staff_verified_required
def approve_sensitive(request, request_id: int):
    form = DecisionForm(request.POST)
    if form.is_valid():
        _run(request, services.approve_sensitive_request, request_id=request_id, **form.cleaned_data)
    return redirect("exchange:overview")


@require_POST
@staff_verified_required
def revoke(request, grant_id: int):
    form = RevokeForm(request.POST)
    if form.is_valid():
        _run(request, services.revoke_grant, grant_id=grant_id, reason=form.cleaned_data["reason"])
    else:
        messages.error(request, _("撤销须说明理由"))
    return redirect("exchange:overview")


def _run(request, service, **arguments) -> None:
    try:
        service(actor=request.user, **arguments)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已保存"))
