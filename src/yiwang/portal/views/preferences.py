"""Views that change the visitor's preferences: region and elder-friendly mode."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from ..preferences import current_region, remember_elder_mode, remember_region
from ..region_picker import build_picker, region_from_picker
from .responses import next_url, vary_on_htmx, wants_fragment


@require_GET
def region_page(request: HttpRequest) -> HttpResponse:
    """The region switcher on a page of its own (also the no-script way to drill down)."""
    selected = region_from_picker(request.GET) or current_region(request)
    return render(
        request,
        "portal/region.html",
        {
            "picker": build_picker(selected=selected),
            # Choosing reloads this page one level deeper (the no-script way down to the village).
            "picker_next": request.get_full_path(),
            "back_url": next_url(request) if request.GET.get("next") else "",
        },
    )


@require_GET
def region_picker(request: HttpRequest) -> HttpResponse:
    """The picker's selects after a change (htmx fragment); other requests get the full page."""
    if not wants_fragment(request):
        return vary_on_htmx(region_page(request))
    context = {
        "picker": build_picker(selected=region_from_picker(request.GET)),
        "picker_next": request.GET.get("next", ""),
    }
    return vary_on_htmx(render(request, "portal/includes/region_picker.html", context))


@require_POST
def choose_region(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(next_url(request))
    region = region_from_picker(request.POST)
    if region is not None:
        remember_region(response, code=region.code)
    return response


@require_POST
def toggle_elder_mode(request: HttpRequest) -> HttpResponse:
    response = HttpResponseRedirect(next_url(request))
    remember_elder_mode(response, enabled=request.POST.get("enabled") == "1")
    return response
