"""Pages of 投诉、咨询、建议: citizens file and follow (logged in, or by number and query code); staff
answer, transfer, publish and offer to the FAQ. Each view parses, calls one service or selector, renders."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.page_auth import staff_verified_required
from yiwang.identity.constants import PhoneCodePurpose
from yiwang.identity.services import send_phone_code
from yiwang.regions.selectors import get_department

from ..constants import FeedbackKind, FeedbackSubject
from ..selectors import feedback as selectors
from ..services import feedback as services

FIELDS = (
    "kind",
    "subject",
    "title",
    "body",
    "item_code",
    "case_number",
    "department_code",
    "region_code",
    "contact_name",
    "phone",
    "phone_code",
)


@never_cache
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The filing form (?item= or ?case= prefill); anonymous filers verify their phone by SMS first."""
    user = request.user if request.user.is_authenticated else None
    values = {name: (request.POST.get(name) or "").strip()[:5000] for name in FIELDS}
    if request.method == "GET":
        values |= {
            "item_code": request.GET.get("item", "")[:64],
            "case_number": request.GET.get("case", "")[:40],
        }
        values["subject"] = FeedbackSubject.CASE if values["case_number"] else FeedbackSubject.ITEM
    context = {
        "values": values,
        "kinds": FeedbackKind.choices,
        "subjects": FeedbackSubject.choices,
        "token": request.POST.get("token") or uuid.uuid4().hex,
        "anonymous": user is None,
        "error": "",
    }
    status = 200
    try:
        if request.method == "POST" and request.POST.get("action") == "send_code":
            send_phone_code(phone=values["phone"], purpose=PhoneCodePurpose.VERIFY_PHONE)
            context["code_sent"] = True
        elif request.method == "POST":
            fields = {name: values[name] for name in FIELDS}
            filing = services.file_feedback(
                actor=user,
                publish_allowed=bool(request.POST.get("publish_allowed")),
                idempotency_key=context["token"][:100],
                **fields,
            )
            codes = request.session.setdefault("feedback_codes", {})
            if filing.query_code:
                codes[filing.feedback.number] = filing.query_code
                request.session.modified = True
            return render(
                request,
                "supervision/feedback/filed.html",
                {"feedback": filing.feedback, "query_code": codes.get(filing.feedback.number, "")},
            )
    except DomainError as error:
        context["error"], status = error.message, error.status
    return render(request, "supervision/feedback/new.html", context, status=status)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    page = selectors.list_my_feedback(actor=request.user, cursor=request.GET.get("cursor"), limit=20)
    return render(request, "supervision/feedback/mine.html", {"page": page})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        feedback = selectors.access_feedback_by_number(actor=request.user, number=number)
    except NotFound:
        return render(request, "supervision/feedback/not_found.html", status=404)
    return _citizen_page(request, feedback)


def _citizen_page(request: HttpRequest, feedback, *, extra: dict | None = None) -> HttpResponse:
    error, status = "", 200
    action = request.POST.get("action") if request.method == "POST" else None
    actor = request.user if request.user.is_authenticated else None
    try:
        if action == "reopen":
            feedback = services.reopen_feedback(
                actor=actor, feedback=feedback, reason=request.POST.get("reason", "")
            )
        elif action == "accept":
            feedback = services.accept_answer(actor=actor, feedback=feedback)
    except DomainError as refused:
        error, status = refused.message, refused.status
    context = {
        "feedback": feedback,
        "events": selectors.public_events(feedback),
        "error": error,
        **(extra or {}),
    }
    return render(request, "supervision/feedback/detail.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest) -> HttpResponse:
    """Anonymous follow-up by number and query code (POSTed only), throttled like the case status query."""
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()[:40]
    if request.method == "GET":
        return render(request, "supervision/feedback/follow.html", {"number": number})
    code = (request.POST.get("query_code") or "").strip()[:40]
    ip_address = request.META.get("REMOTE_ADDR") or None
    context = {"number": number, "error": ""}
    if services.query_throttled(ip_address=ip_address, number=number):
        context["error"] = _("查询失败次数过多，请 %(minutes)s 分钟后再试") % {
            "minutes": services.QUERY_WINDOW_SECONDS // 60
        }
        return render(request, "supervision/feedback/follow.html", context, status=429)
    try:
        feedback = selectors.access_feedback_by_code(number=number, query_code=code)
    except NotFound:
        services.count_query_failure(ip_address=ip_address, number=number)
        context["error"] = _("编号或查询码不正确")
        return render(request, "supervision/feedback/follow.html", context, status=404)
    return _citizen_page(request, feedback, extra={"query_code": code})


@staff_verified_required
def queue(request: HttpRequest) -> HttpResponse:
    page = selectors.list_department_queue(
        actor=request.user,
        include_closed=bool(request.GET.get("all")),
        cursor=request.GET.get("cursor"),
        limit=50,
    )
    offers = selectors.list_pending_faq_offers(actor=request.user)
    return render(request, "supervision/feedback/queue.html", {"page": page, "offers": offers})


@never_cache
@staff_verified_required
@require_http_methods(["GET", "POST"])
def staff_detail(request: HttpRequest, number: str) -> HttpResponse:
    try:
        feedback = selectors.access_feedback_for_staff(actor=request.user, number=number)
    except NotFound:
        return render(request, "supervision/feedback/not_found.html", status=404)
    error, status = "", 200
    action, post = request.POST.get("action"), request.POST
    try:
        if action == "answer":
            feedback = services.answer_feedback(
                actor=request.user, feedback=feedback, answer=post.get("answer", "")
            )
        elif action == "transfer":
            to = get_department(credit_code=post.get("department_code", "")[:18])
            feedback = services.transfer_feedback(
                actor=request.user, feedback=feedback, to_department=to, reason=post.get("reason", "")
            )
        elif action == "publish":
            feedback = services.publish_answer(actor=request.user, feedback=feedback)
        elif action == "offer":
            services.offer_to_faq(actor=request.user, feedback=feedback)
        if action:
            return redirect("supervision:feedback_staff_detail", number=feedback.number)
    except DomainError as refused:
        error, status = refused.message, refused.status
    context = {
        "feedback": feedback,
        "events": feedback.events.select_related("from_department", "to_department"),
        "may_handle": selectors.handling_authority(actor=request.user, feedback=feedback) is not None,
        "error": error,
    }
    return render(request, "supervision/feedback/staff_detail.html", context, status=status)


@staff_verified_required
@require_http_methods(["POST"])
def decide_offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    try:
        offer = selectors.access_faq_offer(actor=request.user, offer_id=offer_id)
        services.decide_faq_offer(actor=request.user, offer=offer, accept=request.POST.get("accept") == "1")
    except NotFound:
        return render(request, "supervision/feedback/not_found.html", status=404)
    except DomainError as refused:
        return HttpResponse(refused.message, status=refused.status)
    return redirect("supervision:feedback_queue")


urlpatterns = [
    path("feedback/new/", new, name="feedback_new"),
    path("feedback/mine/", mine, name="feedback_mine"),
    path("feedback/follow/", follow, name="feedback_follow"),
    path("feedback/mine/<str:number>/", detail, name="feedback_detail"),
    path("feedback/queue/", queue, name="feedback_queue"),
    path("feedback/queue/<str:number>/", staff_detail, name="feedback_staff_detail"),
    path("feedback/offers/<int:offer_id>/", decide_offer, name="feedback_decide_offer"),
]
