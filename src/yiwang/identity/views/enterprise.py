"""Enterprise space: bind a company, authorize agents, act for someone, and start a service within scope."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.catalog.selectors import get_service_item, list_service_items
from yiwang.core.errors import DomainError, NotFound

from ..forms import BindEnterpriseForm, MandateForm
from ..selectors import (
    access_mandate_by_id,
    list_active_mandates_received,
    list_enterprises_represented,
    list_mandates_given,
    list_mandates_received,
)
from ..services import authorize_agent_action, bind_enterprise, grant_mandate, revoke_mandate
from ..stepup import assurance_redirect
from .common import safe_next

ACTING_KEY = "identity_acting_mandate"


def acting_mandate(request):
    """The mandate the user chose to act under in this session, if any (re-checked on every use)."""
    mandate_id = request.session.get(ACTING_KEY)
    if not mandate_id or not request.user.is_authenticated:
        return None
    try:
        return access_mandate_by_id(actor=request.user, mandate_id=mandate_id)
    except NotFound:
        request.session.pop(ACTING_KEY, None)
        return None


def _items_from_codes(text: str):
    codes = [line.strip() for line in (text or "").split() if line.strip()]
    return list_service_items(codes=codes)


@login_required
@require_http_methods(["GET", "POST"])
def enterprise_space(request):
    user = request.user
    enterprises = list(list_enterprises_represented(user=user))
    bind_form = BindEnterpriseForm(request.POST if request.POST.get("action") == "bind" else None)
    mandate_form = MandateForm(
        request.POST if request.POST.get("action") == "grant" else None, enterprises=enterprises
    )
    if request.method == "POST" and request.POST.get("action") == "bind" and bind_form.is_valid():
        try:
            enterprise = bind_enterprise(user=user, credit_code=bind_form.cleaned_data["credit_code"])
        except DomainError as error:
            bind_form.add_error(None, error.message)
        else:
            messages.success(request, _("已绑定企业：%(name)s") % {"name": enterprise.name})
            return redirect("identity:enterprise")
    if request.method == "POST" and request.POST.get("action") == "grant" and mandate_form.is_valid():
        data = mandate_form.cleaned_data
        try:
            enterprise = next((e for e in enterprises if e.credit_code == data["enterprise"]), None)
            grant_mandate(
                granted_by=user,
                enterprise=enterprise,
                agent_id_number=data["agent_id_number"],
                agent_name=data["agent_name"],
                covers_all_items=data["covers_all_items"],
                items=[] if data["covers_all_items"] else _items_from_codes(data["item_codes"]),
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                note=data["note"],
            )
        except DomainError as error:
            mandate_form.add_error(None, error.message)
        else:
            messages.success(request, _("授权委托已生效，经办人可在“我的账户”中看到。"))
            return redirect("identity:enterprise")
    return render(
        request,
        "identity/enterprise.html",
        {
            "enterprises": enterprises,
            "bind_form": bind_form,
            "mandate_form": mandate_form,
            "mandates_given": list_mandates_given(user=user),
            "mandates_received": list_mandates_received(user=user),
            "acting": acting_mandate(request),
        },
    )


@login_required
@require_POST
def revoke(request, mandate_id: int):
    try:
        revoke_mandate(
            mandate=access_mandate_by_id(actor=request.user, mandate_id=mandate_id), revoked_by=request.user
        )
    except NotFound:
        raise Http404 from None
    messages.success(request, _("委托已撤销。"))
    return redirect("identity:enterprise")


@login_required
@require_http_methods(["GET", "POST"])
def choose_acting(request):
    """Act for myself, or for a principal under one of my active mandates."""
    if request.method == "POST":
        choice = request.POST.get("mandate", "")
        if not choice:
            request.session.pop(ACTING_KEY, None)
            messages.info(request, _("现在以本人身份办理。"))
        else:
            try:
                mandate = access_mandate_by_id(actor=request.user, mandate_id=int(choice))
            except (NotFound, ValueError):
                raise Http404 from None
            if mandate.agent_id != request.user.pk:
                raise Http404
            request.session[ACTING_KEY] = mandate.pk
            messages.info(request, _("现在代表 %(name)s 办理。") % {"name": mandate.principal_label})
        return redirect(safe_next(request, reverse("identity:enterprise")))
    return render(
        request,
        "identity/acting.html",
        {"mandates": list_active_mandates_received(user=request.user), "acting": acting_mandate(request)},
    )


@require_http_methods(["GET", "POST"])
def start_service(request, code: str):
    """Where "在线办理" leads: check the item's assurance level and, for an agent, the mandate's scope."""
    try:
        item = get_service_item(code=code)
    except NotFound:
        raise Http404 from None
    response = assurance_redirect(request, level=item.required_assurance_level)
    if response is not None:
        return response
    mandate, refusal = acting_mandate(request), None
    if mandate is not None:
        try:
            authorize_agent_action(
                agent=request.user, mandate=mandate, item_code=item.code, action="start_service"
            )
        except DomainError as error:
            refusal = error.message
    status = 403 if refusal else 200
    return render(
        request,
        "identity/start_service.html",
        {"item": item, "mandate": mandate, "refusal": refusal},
        status=status,
    )
