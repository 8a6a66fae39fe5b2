"""The guide page of one implementation (办事指南) and its situation wizard (情形引导)."""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from yiwang.catalog.models import Implementation
from yiwang.catalog.selectors import (
    cached_guide_rendering,
    evaluate_situation,
    get_guide_head,
    get_guide_stamp,
    load_guide,
)
from yiwang.catalog.services import record_view
from yiwang.supervision.services import demand

from ..forms import SituationForm
from ..preferences import current_region
from ..region_notices import other_region_guide_notice
from .responses import not_found_as_404, render_page_or_fragment, wants_fragment

# The page's catalog sections, each rendered from the guide alone (no visitor, no request data).
_SECTIONS = {
    "toc": "portal/includes/guide_toc.html",
    "top": "portal/includes/guide_sections_top.html",
    "bottom": "portal/includes/guide_sections_bottom.html",
}
# A rendered CSRF token is masked anew on every render: left out of the page's ETag (the cookie is in).
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _wizard_context(request: HttpRequest, implementation: Implementation, *, with_result: bool) -> dict:
    form = SituationForm(implementation=implementation, data=request.GET)
    result = evaluate_situation(implementation=implementation, answers=form.answers)
    form.show_only(result.visible_questions)
    return {"wizard": form, "result": result if with_result or form.is_bound else None}


def _render_sections(request: HttpRequest, context: dict) -> dict[str, str]:
    return {name: render_to_string(path, context, request=request) for name, path in _SECTIONS.items()}


def _head(request: HttpRequest, code: str) -> Implementation:
    region = current_region(request)
    return get_guide_head(code=code, region_code=region.code if region else None)


def _guide_context(request: HttpRequest, implementation: Implementation, *, with_result: bool) -> dict:
    """Everything the page shows. The catalog sections come from the cache unless the query string holds
    wizard answers (then they depend on the request)."""
    region = current_region(request)
    context = {
        "implementation": implementation,
        "item": implementation.item,
        "region_notice": other_region_guide_notice(region=region, implementation=implementation),
    }
    if request.GET or with_result:
        load_guide(implementation=implementation)
        context |= _wizard_context(request, implementation, with_result=with_result)
        rendered = _render_sections(request, context) if not wants_fragment(request) else {}
    else:

        def render_sections() -> dict[str, str]:
            load_guide(implementation=implementation)
            wizard = _wizard_context(request, implementation, with_result=False)
            return _render_sections(request, {**context, **wizard})

        stamp = get_guide_stamp(code=implementation.code)
        key = stamp.key(variant="page", language=get_language() or "")
        rendered = cached_guide_rendering(key=key, render=render_sections)
    # Our own templates' output, escaped when it was rendered.
    context["guide_sections"] = {name: mark_safe(html) for name, html in rendered.items()}  # noqa: S308
    return context


def _conditional(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A logged-in person's page (their name and messages in the header) is never stored; an anonymous
    visitor's carries an ETag of exactly what it shows, so an unchanged page is answered 304."""
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
        return response
    digest = hashlib.blake2b(_CSRF_INPUT.sub(b"", response.content), digest_size=16)
    digest.update(request.COOKIES.get(settings.CSRF_COOKIE_NAME, "").encode())
    response["ETag"] = f'"{digest.hexdigest()}"'
    response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Cookie"])
    return get_conditional_response(request, etag=response["ETag"], response=response)


@require_GET
@not_found_as_404
def guide(request: HttpRequest, code: str) -> HttpResponse:
    implementation = _head(request, code)
    if implementation.code != code:
        # An item code was given: send the visitor to the chosen region's implementation.
        return redirect("portal:guide", code=implementation.code)
    context = _guide_context(request, implementation, with_result=False)
    record_view(implementation=implementation)
    region = current_region(request)
    region_code = region.code if region else implementation.region_id
    demand.record_view(item_id=implementation.item_id, region_code=region_code)
    return _conditional(request, render(request, "portal/guide.html", context))


@require_GET
@not_found_as_404
def situation(request: HttpRequest, code: str) -> HttpResponse:
    """The wizard's answer: the result region for htmx, the whole guide page with the result otherwise."""
    context = _guide_context(request, _head(request, code), with_result=True)
    return render_page_or_fragment(
        request, page="portal/guide.html", fragment="portal/includes/situation_result.html", context=context
    )
