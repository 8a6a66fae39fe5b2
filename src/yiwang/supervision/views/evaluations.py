"""Supervision pages: 好差评.

Citizens: rate a closed case (/supervision/evaluate/<number>/, linked from "my cases"), the SMS link
(/supervision/e/<token>/), their ratings and the follow-up of their rectification tickets.
Staff: the department's ticket queue and a ticket's page (measures and appeal for the head; revisit and
the appeal's decision for the region's supervisor); the window clerk starts the window device
(/supervision/window/<number>/start/) and the visitor rates on /supervision/device/<token>/.

Each view parses, calls one selector or service and renders; domain errors are shown on the page.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.applications.selectors import access_case_for_staff
from yiwang.core.errors import DomainError, NotFound, PermissionDenied
from yiwang.core.page_auth import staff_verified_required

from ..constants import (
    EVALUATION_INDICATORS,
    AppealDecision,
    EvaluationChannel,
    EvaluationLevel,
    RectificationStatus,
    RevisitResult,
)
from ..selectors import evaluations as selectors
from ..services import evaluations, rectifications

FORM_TOKEN_SECONDS = 24 * 3600
LEVELS = [(int(level), level.label) for level in EvaluationLevel]
INDICATORS = list(EVALUATION_INDICATORS.items())


def _form_token_key(who: str, token: str) -> str:
    return f"supervision:evaluation-form:{who}:{token[:64]}"


def _rating_context(**extra: Any) -> dict[str, Any]:
    return {"levels": LEVELS, "indicators": INDICATORS, "form_token": secrets.token_urlsafe(16), **extra}


def _posted_rating(request: HttpRequest) -> dict[str, Any]:
    indicators = {key: request.POST.get(f"indicator_{key}", "") for key, _label in INDICATORS}
    return {
        "level": request.POST.get("level", ""),
        "indicators": {key: value for key, value in indicators.items() if value},
        "comment": request.POST.get("comment", ""),
    }


def _error_page(request: HttpRequest, error: DomainError) -> HttpResponse:
    if isinstance(error, NotFound):
        raise Http404(error.message)
    return render(request, "supervision/evaluations/refused.html", {"error": error}, status=error.status)


# Citizens -----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = selectors.case_to_rate(actor=request.user, number=number)
    except NotFound as error:
        raise Http404(error.message) from error
    if selectors.handled_case(user=request.user, case=case):
        # Staff who handled the case: refused (and audited) on sight, never shown a form.
        try:
            evaluations.refuse_if_handler(actor=request.user, case=case, channel=EvaluationChannel.WEB)
        except DomainError as error:
            return _error_page(request, error)
    evaluation = selectors.evaluation_of(case=case)
    error = None
    if request.method == "POST" and evaluation is not None:
        return redirect("supervision:evaluate", number=case.number)  # rated meanwhile (a double click)
    if request.method == "POST":
        form_token = request.POST.get("form_token", "")
        key = _form_token_key(str(request.user.public_id), form_token)
        if form_token and cache.get(key):
            return redirect("supervision:evaluate", number=case.number)  # a double click: already done
        try:
            evaluations.evaluate(actor=request.user, case=case, **_posted_rating(request))
        except (NotFound, PermissionDenied) as refused:
            return _error_page(request, refused)
        except DomainError as invalid:
            error = invalid.message
        else:
            if form_token:
                cache.set(key, True, FORM_TOKEN_SECONDS)
            return redirect("supervision:evaluate", number=case.number)
    context = _rating_context(case=case, evaluation=evaluation, error=error, posted=request.POST)
    return render(request, "supervision/evaluations/evaluate.html", context, status=400 if error else 200)


@login_required
@require_POST
def add(request: HttpRequest, number: str) -> HttpResponse:
    try:
        evaluation = selectors.access_own_evaluation(actor=request.user, number=number)
        evaluations.add_to_evaluation(
            actor=request.user,
            evaluation=evaluation,
            comment=request.POST.get("comment", ""),
            level=request.POST.get("level") or None,
        )
    except (NotFound, PermissionDenied) as refused:
        return _error_page(request, refused)
    except DomainError as invalid:
        case = evaluation.case
        context = _rating_context(
            case=case, evaluation=selectors.evaluation_of(case=case), addition_error=invalid.message
        )
        return render(request, "supervision/evaluations/evaluate.html", context, status=400)
    return redirect("supervision:evaluate", number=evaluation.case.number)


@require_http_methods(["GET", "POST"])
def by_token(request: HttpRequest, token: str, channel: str = EvaluationChannel.SMS) -> HttpResponse:
    """The SMS link and the window device: whoever holds the token rates for the applicant."""
    try:
        invitation = evaluations.invitation_for_token(token)
    except NotFound:
        return render(request, "supervision/evaluations/token_done.html", {"expired": True}, status=404)
    if invitation.channel != channel:
        raise Http404
    error = None
    if request.method == "POST":
        try:
            evaluations.evaluate(
                actor=request.user,
                case=invitation.case,
                channel=channel,
                token=token,
                **_posted_rating(request),
            )
        except (NotFound, PermissionDenied) as refused:
            return _error_page(request, refused)
        except DomainError as invalid:
            error = invalid.message
        else:
            return render(request, "supervision/evaluations/token_done.html", {"expired": False})
    context = _rating_context(
        case=invitation.case, invitation=invitation, error=error, posted=request.POST, device=channel != "sms"
    )
    return render(request, "supervision/evaluations/token.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def window_device(request: HttpRequest, token: str) -> HttpResponse:
    return by_token(request, token, channel=EvaluationChannel.WINDOW_DEVICE)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    page = selectors.list_my_evaluations(actor=request.user, cursor=request.GET.get("cursor"), limit=20)
    return render(request, "supervision/evaluations/mine.html", {"page": page})


@login_required
def my_rectification(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        ticket = selectors.rectification_for_rater(actor=request.user, rectification_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    return render(request, "supervision/evaluations/follow.html", {"ticket": ticket})


# Staff --------------------------------------------------------------------------------------------------


@staff_verified_required
def queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    try:
        page = selectors.list_rectifications(
            actor=request.user, status=status, cursor=request.GET.get("cursor"), limit=50
        )
    except DomainError as error:
        return _error_page(request, error)
    context = {"page": page, "status": status, "statuses": RectificationStatus.choices}
    return render(request, "supervision/evaluations/queue.html", context)


def _ticket_page(
    request: HttpRequest, pk: int, *, error: str | None = None, status: int = 200
) -> HttpResponse:
    try:
        ticket = selectors.access_rectification(actor=request.user, rectification_id=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    context = {
        "ticket": ticket,
        "error": error,
        "is_head": selectors.may_respond(actor=request.user, rectification=ticket),
        "is_supervisor": selectors.may_oversee(actor=request.user, rectification=ticket),
        "results": RevisitResult.choices,
        "decisions": AppealDecision.choices,
        "appeal": getattr(ticket, "appeal", None),
    }
    return render(request, "supervision/evaluations/ticket.html", context, status=status)


@staff_verified_required
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    return _ticket_page(request, pk)


def _ticket_action(action):
    @staff_verified_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        try:
            found = selectors.access_rectification(actor=request.user, rectification_id=pk)
        except NotFound as missing:
            raise Http404(missing.message) from missing
        try:
            action(request, found)
        except DomainError as error:
            return _ticket_page(request, pk, error=error.message, status=error.status)
        return redirect("supervision:rectification", pk=pk)

    return view


measures = _ticket_action(
    lambda request, ticket: rectifications.record_measures(
        actor=request.user, rectification=ticket, measures=request.POST.get("measures", "")
    )
)
revisit = _ticket_action(
    lambda request, ticket: rectifications.record_revisit(
        actor=request.user,
        rectification=ticket,
        result=request.POST.get("result", ""),
        note=request.POST.get("note", ""),
    )
)
appeal = _ticket_action(
    lambda request, ticket: rectifications.appeal(
        actor=request.user, rectification=ticket, reason=request.POST.get("reason", "")
    )
)
decide = _ticket_action(
    lambda request, ticket: rectifications.decide_appeal(
        actor=request.user,
        rectification=ticket,
        decision=request.POST.get("decision", ""),
        reason=request.POST.get("reason", ""),
    )
)


@staff_verified_required
@require_POST
def window_start(request: HttpRequest, number: str) -> HttpResponse:
    """The clerk starts the window device for the visiting applicant (一次一评)."""
    try:
        case = access_case_for_staff(actor=request.user, number=number)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    try:
        _invitation, token = evaluations.start_window_evaluation(actor=request.user, case=case)
    except DomainError as error:
        return _error_page(request, error)
    device_url = request.build_absolute_uri(reverse("supervision:window_device", args=[token]))
    return render(
        request, "supervision/evaluations/window_started.html", {"case": case, "device_url": device_url}
    )


urlpatterns = [
    path("evaluate/<str:number>/", evaluate, name="evaluate"),
    path("evaluate/<str:number>/additions/", add, name="evaluation_add"),
    path("e/<str:token>/", by_token, name="sms_evaluate"),
    path("device/<str:token>/", window_device, name="window_device"),
    path("window/<str:number>/start/", window_start, name="window_start"),
    path("evaluations/", mine, name="my_evaluations"),
    path("evaluations/rectifications/<int:pk>/", my_rectification, name="my_rectification"),
    path("rectifications/", queue, name="rectification_list"),
    path("rectifications/<int:pk>/", ticket, name="rectification"),
    path("rectifications/<int:pk>/measures/", measures, name="rectification_measures"),
    path("rectifications/<int:pk>/revisits/", revisit, name="rectification_revisit"),
    path("rectifications/<int:pk>/appeal/", appeal, name="rectification_appeal"),
    path("rectifications/<int:pk>/appeal/decision/", decide, name="rectification_decide"),
]
