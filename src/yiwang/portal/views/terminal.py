"""Self-service terminal mode (自助终端): big tiles, card or QR login, printed receipts, an idle time-out.

A kiosk browser is a terminal once enrolled with the key the settings list for its id (``TERMINAL_KEYS``,
docs/terminal.md). A terminal login is a session marked with the terminal's id that ends after
``TERMINAL_IDLE_SECONDS`` without a request (the session store expires it even off these pages) or
``TERMINAL_SESSION_SECONDS`` in all; the page's script counts the idle time down and logs out.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from functools import wraps

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.applications.constants import CaseStatus, MaterialSource
from yiwang.applications.selectors import access_case_by_number, list_cases_for_applicant
from yiwang.applications.services.receipts import masked_holder, status_query_url
from yiwang.core.errors import DomainError, InvalidInput, NotFound
from yiwang.identity.selectors import mask_name
from yiwang.identity.terminal_login import selectors as terminal_selectors
from yiwang.identity.terminal_login import services as terminal_services
from yiwang.identity.terminal_login.base import get_card_reader
from yiwang.identity.terminal_login.devices import COOKIE_MAX_AGE, COOKIE_NAME, terminal_from_cookie
from yiwang.licenses.selectors import effective_status, list_licenses_for_actor
from yiwang.search.selectors import search_catalog

SESSION_KEY = "terminal_session"  # {"terminal": id, "started": epoch s, "seen": epoch s, "method": …}
QR_SESSION_KEY = "terminal_qr_challenge"
LIST_LIMIT = 20
ENDED_REASONS = {"idle", "session", "device", "button"}


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def terminal_id_of(request: HttpRequest) -> str | None:
    """The enrolled terminal this browser is, or None."""
    return terminal_from_cookie(request.COOKIES.get(COOKIE_NAME))


def _end_session(request: HttpRequest, reason: str) -> None:
    state = request.session.get(SESSION_KEY) or {}
    if request.user.is_authenticated:
        terminal_services.record_terminal_logout(
            user=request.user, terminal_id=state.get("terminal", ""), reason=reason, ip_address=_ip(request)
        )
    logout(request)


def ended_reason(request: HttpRequest) -> str | None:
    """End a terminal session that has been idle or open too long, or moved to another device; the reason."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    now = time.time()
    if state.get("terminal") != terminal_id_of(request):
        reason = "device"
    elif now - state["seen"] > settings.TERMINAL_IDLE_SECONDS:
        reason = "idle"
    elif now - state["started"] > settings.TERMINAL_SESSION_SECONDS:
        reason = "session"
    else:
        request.session[SESSION_KEY] = {**state, "seen": now}
        request.session.set_expiry(
            settings.TERMINAL_IDLE_SECONDS
        )  # the store forgets it even off these pages
        return None
    _end_session(request, reason)
    return reason


def terminal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Apply the terminal session's time-outs before the view; an ended session goes back home."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        reason = ended_reason(request)
        if reason is not None:
            return redirect(f"{reverse('portal:terminal_home')}?ended={reason}")
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Cache-Control", "no-store")  # a shared screen: nothing kept back
        return response

    return wrapped


def person_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A terminal page about the logged-in person; others are sent to the terminal's login."""

    @terminal_page
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect("portal:terminal_login")
        return view(request, *args, **kwargs)

    return wrapped


def _render(
    request: HttpRequest, template: str, context: dict | None = None, status: int = 200
) -> HttpResponse:
    state = request.session.get(SESSION_KEY) or {}
    base = {
        "terminal_id": terminal_id_of(request),
        "terminal_session": bool(state),
        "idle_seconds": settings.TERMINAL_IDLE_SECONDS,
        # A shared screen: the person's name masked, as on a printed receipt.
        "person_label": mask_name(f"{request.user.surname}{request.user.given_name}" or request.user.username)
        if request.user.is_authenticated
        else "",
    }
    return render(request, f"portal/terminal/{template}", {**base, **(context or {})}, status=status)


# --- home, enrolment ------------------------------------------------------------------------------


@require_GET
@terminal_page
def home(request: HttpRequest) -> HttpResponse:
    ended = request.GET.get("ended")
    return _render(request, "home.html", {"ended": ended if ended in ENDED_REASONS else ""})


@require_http_methods(["GET", "POST"])
@terminal_page
def enrol(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            value = terminal_services.enrol_terminal(
                terminal_id=request.POST.get("terminal_id", ""),
                key=request.POST.get("key", ""),
                ip_address=_ip(request),
            )
        except DomainError as refused:
            error = refused.message
        else:
            response = redirect("portal:terminal_home")
            response.set_cookie(
                COOKIE_NAME,
                value,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
            return response
    return _render(request, "enrol.html", {"error": error}, status=403 if error else 200)


# --- logging in and out ---------------------------------------------------------------------------


def _open_terminal_session(request: HttpRequest, user, *, terminal_id: str, method: str) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = time.time()
    request.session[SESSION_KEY] = {"terminal": terminal_id, "started": now, "seen": now, "method": method}
    request.session.pop(QR_SESSION_KEY, None)
    request.session.set_expiry(settings.TERMINAL_IDLE_SECONDS)
    return redirect("portal:terminal_home")


@require_GET
@terminal_page
def login_choice(request: HttpRequest) -> HttpResponse:
    terminal_id = terminal_id_of(request)
    if terminal_id is None:
        return _render(request, "not_enrolled.html", status=403)
    if request.user.is_authenticated:
        return redirect("portal:terminal_home")
    return _render(request, "login.html", {"card_reader": get_card_reader()})


@require_POST
@terminal_page
def card_login(request: HttpRequest) -> HttpResponse:
    terminal_id, reader = terminal_id_of(request), get_card_reader()
    if terminal_id is None or reader is None:
        return _render(request, "not_enrolled.html", status=403)
    try:
        reading = reader.read(data=request.POST)
        user = terminal_services.card_login(
            terminal_id=terminal_id,
            reading=reading,
            reader_id=reader.id,
            ip_address=_ip(request),  # type: ignore[attr-defined]
        )
    except DomainError as refused:
        return _render(request, "login.html", {"card_reader": reader, "error": refused.message}, status=400)
    return _open_terminal_session(request, user, terminal_id=terminal_id, method="card")


def _qr_image(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_GET
@terminal_page
def qr_login(request: HttpRequest) -> HttpResponse:
    terminal_id = terminal_id_of(request)
    if terminal_id is None:
        return _render(request, "not_enrolled.html", status=403)
    if request.user.is_authenticated:
        return redirect("portal:terminal_home")
    challenge, token = terminal_services.start_qr_login(terminal_id=terminal_id)
    request.session[QR_SESSION_KEY] = challenge.pk
    approve_url = request.build_absolute_uri(reverse("portal:terminal_approve", args=[token]))
    return _render(
        request, "qr.html", {"qr_image": _qr_image(approve_url), "expires_at": challenge.expires_at}
    )


@never_cache
@require_GET
def qr_status(request: HttpRequest) -> JsonResponse:
    """Polled by the QR page (``terminal.js``): pending, approved or expired."""
    terminal_id = terminal_id_of(request)
    status = terminal_selectors.qr_login_status(
        terminal_id=terminal_id or "", challenge_id=request.session.get(QR_SESSION_KEY)
    )
    return JsonResponse({"status": status})


@require_POST
@terminal_page
def qr_complete(request: HttpRequest) -> HttpResponse:
    terminal_id = terminal_id_of(request)
    if terminal_id is None:
        return _render(request, "not_enrolled.html", status=403)
    try:
        user = terminal_services.complete_qr_login(
            terminal_id=terminal_id,
            challenge_id=int(request.session.get(QR_SESSION_KEY) or 0),
            ip_address=_ip(request),
        )
    except DomainError as refused:
        request.session.pop(QR_SESSION_KEY, None)
        return _render(
            request, "login.html", {"card_reader": get_card_reader(), "error": refused.message}, status=409
        )
    return _open_terminal_session(request, user, terminal_id=terminal_id, method="qr")


@require_POST
def terminal_logout(request: HttpRequest) -> HttpResponse:
    reason = "idle" if request.POST.get("reason") == "idle" else "button"
    if request.session.get(SESSION_KEY) or request.user.is_authenticated:
        _end_session(request, reason)
    return redirect(f"{reverse('portal:terminal_home')}?ended={reason}")


@never_cache
@require_GET
@terminal_page
def keepalive(request: HttpRequest) -> JsonResponse:
    """The person is still touching the screen (``terminal.js`` calls this at most every 30 s)."""
    return JsonResponse({"active": bool(request.session.get(SESSION_KEY))})


@login_required
@require_http_methods(["GET", "POST"])
def approve(request: HttpRequest, token: str) -> HttpResponse:
    """On the person's own phone: let the terminal showing this QR log in as them."""
    if request.session.get(SESSION_KEY):
        return render(
            request,
            "portal/terminal/approve.html",
            {"error": _("请用手机扫码确认，不能在自助终端上确认")},
            status=403,
        )
    try:
        if request.method == "POST":
            terminal_services.approve_qr_login(user=request.user, token=token, ip_address=_ip(request))
            return render(request, "portal/terminal/approve.html", {"approved": True})
        challenge = terminal_selectors.get_challenge_for_approval(token=token)
    except DomainError as refused:
        return render(
            request, "portal/terminal/approve.html", {"error": refused.message}, status=refused.status
        )
    return render(request, "portal/terminal/approve.html", {"challenge": challenge})


# --- what a person does at the terminal -----------------------------------------------------------


@require_GET
@terminal_page
def search(request: HttpRequest) -> HttpResponse:
    query, page, error = (request.GET.get("q") or "").strip(), None, ""
    if query:
        try:
            page = search_catalog(query=query, limit=LIST_LIMIT)
        except InvalidInput as refused:
            error = refused.message
    return _render(request, "search.html", {"query": query, "page": page, "error": error})


@require_GET
@person_page
def my_cases(request: HttpRequest) -> HttpResponse:
    page = list_cases_for_applicant(actor=request.user, limit=LIST_LIMIT)
    return _render(request, "cases.html", {"cases": page.items})


@require_GET
@person_page
def my_licenses(request: HttpRequest) -> HttpResponse:
    licenses = list(list_licenses_for_actor(actor=request.user).order_by("-issued_on", "-pk")[:LIST_LIMIT])
    rows = [(license, effective_status(license)) for license in licenses]
    return _render(request, "licenses.html", {"rows": rows})


@require_GET
@person_page
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    """A print-styled receipt of a case the person may see (the applications' gate; else not found)."""
    try:
        case = access_case_by_number(actor=request.user, number=number)
    except NotFound:
        return _render(request, "not_found.html", status=404)
    name, code = masked_holder(case)
    materials = [
        (material.name, MaterialSource(material.source).label)
        for material in case.materials.filter(superseded=False).order_by("pk")
    ]
    accepted = case.accepted_at is not None and case.status not in (
        CaseStatus.SUBMITTED,
        CaseStatus.NOT_ACCEPTED,
    )
    query_url = status_query_url(case)
    context = {
        "case": case,
        "title": _("受理回执") if accepted else _("申报回执"),
        "holder": f"{name}（{code}）",
        "item_name": case.bundle.name
        if case.bundle
        else (case.implementation.name if case.implementation else ""),
        "status_label": CaseStatus(case.status).label,
        "materials": materials,
        "query_url": query_url,
        "query_qr": _qr_image(query_url),
    }
    return _render(request, "receipt.html", context)
