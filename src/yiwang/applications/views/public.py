"""The public status query (办件查询): a case number and its query code, without login.

It shows where the case stands, its dates and its public timeline, and nothing personal (no name, no
ID number, no reasons: ``selectors.public_status``). A wrong number or code answers alike. Guessing is
slowed (status_throttle, shared with the API).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from yiwang.core.errors import NotFound

from .. import selectors
from ..services.numbers import normalize_case_number
from ..status_throttle import count_failure, is_throttled, window_seconds


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
            minutes = max(1, window_seconds() // 60)
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
