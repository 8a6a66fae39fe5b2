"""Small response helpers shared by the portal views."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from yiwang.core.errors import NotFound


def not_found_as_404(view: Callable) -> Callable:
    """Turn a selector's NotFound into the portal's 404 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapper


def next_url(request: HttpRequest) -> str:
    """Where to go back to after changing a preference: a same-site path, or the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap asks for a fragment; a history restore (back button) needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Caches must keep the page and the fragment answers of one URL apart."""
    patch_vary_headers(response, ["HX-Request", "HX-History-Restore-Request"])
    return response


def render_page_or_fragment(request: HttpRequest, *, page: str, fragment: str, context: dict) -> HttpResponse:
    return vary_on_htmx(render(request, fragment if wants_fragment(request) else page, context))
