"""The visitor's portal preferences kept in cookies: the chosen region and the elder-friendly mode."""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from yiwang.core.errors import NotFound
from yiwang.regions.models import Region
from yiwang.regions.selectors import get_region

REGION_COOKIE = "region"
ELDER_COOKIE = "elder"
_ONE_YEAR = 365 * 24 * 60 * 60
_REGION_CODE = re.compile(r"^\d{12}$")


def is_region_code(value: str | None) -> bool:
    return bool(value) and bool(_REGION_CODE.match(value))


def chosen_region_code(request: HttpRequest) -> str:
    """The region code the visitor chose (cookie), or the platform default."""
    value = request.COOKIES.get(REGION_COOKIE, "")
    return value if is_region_code(value) else settings.DEFAULT_REGION_CODE


def remember_region(response: HttpResponse, *, code: str) -> None:
    response.set_cookie(REGION_COOKIE, code, max_age=_ONE_YEAR, samesite="Lax", httponly=True)


def is_elder_mode(request: HttpRequest) -> bool:
    return request.COOKIES.get(ELDER_COOKIE) == "1"


def remember_elder_mode(response: HttpResponse, *, enabled: bool) -> None:
    if enabled:
        response.set_cookie(ELDER_COOKIE, "1", max_age=_ONE_YEAR, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")


def current_region(request: HttpRequest) -> Region | None:
    """The chosen region (falling back to the default region), looked up once per request."""
    if not hasattr(request, "_portal_region"):
        region = None
        for code in dict.fromkeys([chosen_region_code(request), settings.DEFAULT_REGION_CODE]):
            try:
                region = get_region(code=code)
                break
            except NotFound:
                continue
        request._portal_region = region
    return request._portal_region
