"""Supervision pages: cards (my inbox and my scope), a card with its acknowledgments, predictions, anomalies.

Staff with the second factor only (``staff_verified_required``); a card outside the visitor's reach is a
404, as for one that does not exist.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required

from ..constants import CardColor
from ..selectors import cards as selectors
from ..selectors.scope import supervision_scope_for
from ..services import anomalies as anomaly_services
from ..services import cards as services


def _int_or_none(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**63 else None


@staff_verified_required
def card_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("tab", "mine") != "scope"
    color = request.GET.get("color", "")
    state = request.GET.get("state", "")
    department_id = _int_or_none(request.GET.get("department"))
    try:
        page = selectors.list_cards(
            actor=request.user,
            mine=mine,
            color=color if color in CardColor.values else "",
            department_id=department_id,
            state=state if state in selectors.CARD_STATES else "",
            cursor=request.GET.get("cursor") or None,
        )
    except DomainError:  # a tampered cursor: back to the first page
        return redirect("supervision:card_list")
    scope = supervision_scope_for(request.user)
    query = urlencode(
        {key: value for key, value in request.GET.items() if key != "cursor" and value}, doseq=False
    )
    counts = selectors.card_counts(scope=scope) if not scope.is_empty else []
    return render(
        request,
        "supervision/cards/list.html",
        {
            "page": page,
            "mine": mine,
            "color": color,
            "state": state,
            "department_id": department_id,
            "query": query,
            "counts": counts,
            "has_scope": not scope.is_empty,
            "is_first_page": not request.GET.get("cursor"),
        },
    )


@staff_verified_required
@require_http_methods(["GET", "POST"])
def card_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        card = selectors.access_card(actor=request.user, card_id=pk)
    except NotFound:
        raise Http404(_("未找到该黄红牌")) from None
    error = ""
    status = 200
    if request.method == "POST":
        try:
            services.acknowledge(actor=request.user, card_id=card.pk, note=request.POST.get("note", ""))
        except DomainError as problem:
            error, status = problem.message, problem.status
        else:
            messages.success(request, _("已签收"))
            return redirect("supervision:card_detail", pk=card.pk)
    return render(
        request,
        "supervision/cards/detail.html",
        {
            "card": card,
            "recipients": selectors.card_recipients(card=card),
            "pending_roles": selectors.pending_roles_of(card=card, actor=request.user),
            "error": error,
            "note": request.POST.get("note", "") if error else "",
        },
        status=status,
    )


@staff_verified_required
def predictions(request: HttpRequest) -> HttpResponse:
    try:
        page = selectors.list_predictions(actor=request.user, cursor=request.GET.get("cursor") or None)
    except DomainError:
        return redirect("supervision:predictions")
    return render(
        request,
        "supervision/cards/predictions.html",
        {"page": page, "is_first_page": not request.GET.get("cursor")},
    )


@staff_verified_required
@require_http_methods(["GET", "POST"])
def anomalies(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        anomaly_id = _int_or_none(request.POST.get("anomaly"))
        try:
            if anomaly_id is None:
                raise NotFound("未找到该异常", code="anomaly_not_found")
            anomaly = selectors.access_anomaly_for_review(actor=request.user, anomaly_id=anomaly_id)
            anomaly_services.review(actor=request.user, anomaly=anomaly, note=request.POST.get("note", ""))
        except NotFound:
            raise Http404(_("未找到该异常")) from None
        except DomainError as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, _("已标记为已核查"))
        return redirect("supervision:anomalies")
    reviewed = {"yes": True, "no": False}.get(request.GET.get("reviewed", ""))
    try:
        page = selectors.list_anomalies(
            actor=request.user, reviewed=reviewed, cursor=request.GET.get("cursor") or None
        )
    except DomainError:
        return redirect("supervision:anomalies")
    may_review = bool(supervision_scope_for(request.user).region_prefixes)
    return render(
        request,
        "supervision/cards/anomalies.html",
        {
            "page": page,
            "may_review": may_review,
            "reviewed": request.GET.get("reviewed", ""),
            "is_first_page": not request.GET.get("cursor"),
        },
    )


urlpatterns = [
    path("cards/", card_list, name="card_list"),
    path("cards/<int:pk>/", card_detail, name="card_detail"),
    path("predictions/", predictions, name="predictions"),
    path("anomalies/", anomalies, name="anomalies"),
]
