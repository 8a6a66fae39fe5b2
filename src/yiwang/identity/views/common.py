"""Small pieces the identity views share: safe redirects, client address, error display."""

from __future__ import annotations

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, default: str = "/") -> str:
    """The ``next`` target if it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host(), *settings.ALLOWED_HOSTS}, require_https=request.is_secure()
    ):
        return target
    return default


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None
