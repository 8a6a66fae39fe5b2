"""Showing a license (亮证) as a GET page whose QR code renews itself before it expires.

The page is reached by a plain link, so refreshing it never asks to resubmit a form. The token behind the
QR code is kept in the holder's session: a refresh (or the renewal poll) shows the same token while it has
more than ``RENEW_MARGIN_SECONDS`` left, and asks the service for a new one only after that. A token that
has been replaced stays valid for the rest of its own short life (``SHOW_TOKEN_SECONDS``), so a verifier
who scanned it a moment before the renewal is not turned away; after that it is refused.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yiwang.identity.selectors import mask_name

from . import selectors, services
from .constants import HolderKind
from .rendering import qr_svg
from .views import _gate

SESSION_KEY = "licenses.shown"
# Renew this long before the token expires: the new code is on screen before the old one stops working.
RENEW_MARGIN_SECONDS = 60


def _holder_license(request, identifier: str):
    license = _gate(request, identifier)
    if not selectors.is_holder_side(actor=request.user, license=license):
        raise Http404(_("未找到该电子证照"))
    return license


def current_presentation(request, license) -> tuple[str, dt.datetime]:
    """The holder's current show token for this license: reused while fresh enough, else a new one."""
    now = timezone.now()
    shown = {
        identifier: entry
        for identifier, entry in request.session.get(SESSION_KEY, {}).items()
        if (parse_datetime(entry.get("expires_at", "")) or now) > now  # forget expired tokens
    }
    entry = shown.get(license.identifier)
    if entry and entry.get("user") == request.user.pk:
        expires_at = parse_datetime(entry["expires_at"])
        if expires_at and expires_at - now > dt.timedelta(seconds=RENEW_MARGIN_SECONDS):
            return entry["token"], expires_at
    token, expires_at = services.create_show_token(actor=request.user, license=license)
    shown[license.identifier] = {
        "token": token,
        "expires_at": expires_at.isoformat(),
        "user": request.user.pk,
    }
    request.session[SESSION_KEY] = shown
    return token, expires_at


def _presentation(request, license) -> dict:
    token, expires_at = current_presentation(request, license)
    url = request.build_absolute_uri(reverse("licenses:scanned", args=[token]))
    seconds_left = (expires_at - timezone.now()).total_seconds()
    return {
        "qr_svg": qr_svg(url),
        "url": url,
        "expires_at": expires_at.isoformat(),
        "expires_label": date_format(timezone.localtime(expires_at), "H:i:s"),
        "renew_in": max(int(seconds_left) - RENEW_MARGIN_SECONDS + 1, 1),
    }


@never_cache
@require_safe
@login_required
def show_license(request, identifier: str):
    """The 亮证 page: the license's name, the holder's masked name and the current QR code."""
    license = _holder_license(request, identifier)
    holder = license.holder_name
    return render(
        request,
        "licenses/show.html",
        {
            "license": license,
            "holder_name": mask_name(holder) if license.holder_kind == HolderKind.PERSON else holder,
            "presentation": _presentation(request, license),
        },
    )


@never_cache
@require_safe
@login_required
def show_license_state(request, identifier: str):
    """The current QR code as JSON, polled by licenses/show.js to renew the code before it expires."""
    license = _holder_license(request, identifier)
    presentation = _presentation(request, license)
    presentation["message"] = _("二维码已更新，%(time)s 前有效") % {"time": presentation["expires_label"]}
    return JsonResponse(presentation)
