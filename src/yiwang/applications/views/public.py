"""The public status query (办件查询): a case number and its query code, without login.

It shows where the case stands, its dates and its public timeline, and nothing personal (no name, no
ID number, no reasons: ``selectors.public_status``). A wrong number or code answers alike. Guessing is
slowed like the login (identity.login_throttle): failures are counted per address and per case number
in the shared cache, and past the limit the page refuses for the cool-off window.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import NotFound

from .. import selectors
from ..services.numbers import normalize_case_number

_PREFIX = "case-query-failures"
DEFAULT_IP_LIMIT = 20
DEFAULT_NUMBER_LIMIT = 5
DEFAULT_WINDOW_SECONDS = 15 * 60


def _window() -> int:
    return int(getattr(settings, "APPLICATIONS_QUERY_WINDOW_SECONDS", DEFAULT_WINDOW_SECONDS))


def _keys(ip_address: str | None, number: str) -> dict[str, str]:
    keys = {"number": f"{_PREFIX}:number:{number}"}
    if ip_address:
        keys["ip"] = f"{_PREFIX}:ip:{ip_address}"
    return keys


def _limits() -> dict[str, int]:
    return {
        "ip": int(getattr(settings, "APPLICATIONS_QUERY_IP_FAILURE_LIMIT", DEFAULT_IP_LIMIT)),
        "number": int(getattr(settings, "APPLICATIONS_QUERY_NUMBER_FAILURE_LIMIT", DEFAULT_NUMBER_LIMIT)),
    }


def is_throttled(*, ip_address: str | None, number: str) -> bool:
    """Whether this address, or this case number, failed too often within the window."""
    keys = _keys(ip_address, number)
    counts = cache.get_many(list(keys.values()))
    limits = _limits()
    return any(counts.get(key, 0) >= limits[kind] for kind, key in keys.items())


def count_failure(*, ip_address: str | None, number: str) -> None:
    for key in _keys(ip_address, number).values():
        cache.add(key, 0, timeout=_window())
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_window())


@never_cache
@require_http_methods(["GET", "POST"])
def status_query(request: HttpRequest) -> HttpResponse:
    """The query form (the receipt's QR fills in the number) and its answer; the code is POSTed only."""
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()[:40]
    context: dict = {"number": number, "result": None, "error": ""}
    status = 200
    if request.method == "POST":
        code = (request.POST.get("query_code") or "").strip()[:40]
        ip_address = request.META.get("REMOTE_ADDR") or None
        normalized = normalize_case_number(number) or number.upper()
        if not number or not code:
            context["error"], status = _("请填写办件编号和查询码"), 400
        elif is_throttled(ip_address=ip_address, number=normalized):
            minutes = max(1, _window() // 60)
            context["error"] = _("查询失败次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes}
            status = 429
        else:
            try:
                context["result"] = selectors.public_status(number=number, query_code=code)
            except NotFound:
                count_failure(ip_address=ip_address, number=normalized)
                context["error"], status = _("办件编号或查询码不正确"), 404
    return render(request, "applications/public/query.html", context, status=status)


urlpatterns = [
    path("query/", status_query, name="query"),
]
