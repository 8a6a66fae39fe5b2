"""我的空间 (/me/): one page for a citizen's cases, licenses, vault, consents and mandates, data uses, ratings
and complaints, favourites and recently viewed guides; 一企一档 for the enterprises they act for. Staff get
a page that sends them to their workbench and back office instead."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError
from yiwang.identity.services import add_favourite, remove_favourite

from .. import personal_space


def remembering_guides(view):
    """Wrap the guide view: a guide a logged-in person sees (200) joins their session's recently viewed
    list. Anonymous visitors are left alone: only 我的空间 shows the list, and writing their session would
    create a session row and a cookie for every public guide view."""

    @wraps(view)
    def wrapped(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        response = view(request, code, *args, **kwargs)
        if response.status_code == 200 and request.user.is_authenticated:
            personal_space.remember_viewed(request.session, code)
        return response

    return wrapped


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff_member:
        return render(request, "portal/me/staff.html")
    space = personal_space.my_space(actor=request.user, session=request.session)
    favourite_codes = {item.code for item in space.favourites}
    return render(request, "portal/me/home.html", {"space": space, "favourite_codes": favourite_codes})


@login_required
def vault(request: HttpRequest) -> HttpResponse:
    items, total = personal_space.vault_page(actor=request.user, holder_code=request.user.id_number)
    return render(request, "portal/me/vault.html", {"items": items, "total": total})


@login_required
def enterprise(request: HttpRequest, credit_code: str) -> HttpResponse:
    space = personal_space.enterprise_space(actor=request.user, credit_code=credit_code)
    if space is None:
        raise Http404
    return render(request, "portal/me/enterprise.html", {"space": space})


@login_required
@require_POST
def favourite(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("code") or "")[:100]
    try:
        if request.POST.get("action") == "remove":
            remove_favourite(user=request.user, implementation_code=code)
            messages.success(request, _("已取消收藏。"))
        else:
            add_favourite(user=request.user, implementation_code=code)
            messages.success(request, _("已收藏。"))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("portal:me")
