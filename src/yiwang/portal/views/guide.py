"""The guide page of one implementation (办事指南) and its situation wizard (情形引导)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from yiwang.catalog.selectors import evaluate_situation, get_implementation_guide
from yiwang.catalog.services import record_view
from yiwang.supervision.services import demand

from ..forms import SituationForm
from ..preferences import current_region
from ..region_notices import other_region_guide_notice
from .responses import not_found_as_404, render_page_or_fragment


def _guide_context(request: HttpRequest, code: str, *, with_result: bool) -> dict:
    region = current_region(request)
    implementation = get_implementation_guide(code=code, region_code=region.code if region else None)
    form = SituationForm(implementation=implementation, data=request.GET)
    result = evaluate_situation(implementation=implementation, answers=form.answers)
    form.show_only(result.visible_questions)
    return {
        "implementation": implementation,
        "item": implementation.item,
        "wizard": form,
        "result": result if with_result or form.is_bound else None,
        "region_notice": other_region_guide_notice(region=region, implementation=implementation),
    }


@require_GET
@not_found_as_404
def guide(request: HttpRequest, code: str) -> HttpResponse:
    context = _guide_context(request, code, with_result=False)
    if context["implementation"].code != code:
        # An item code was given: send the visitor to the chosen region's implementation.
        return redirect("portal:guide", code=context["implementation"].code)
    record_view(implementation=context["implementation"])
    region = current_region(request)
    implementation = context["implementation"]
    region_code = region.code if region else implementation.region_id
    demand.record_view(item_id=implementation.item_id, region_code=region_code)
    return render(request, "portal/guide.html", context)


@require_GET
@not_found_as_404
def situation(request: HttpRequest, code: str) -> HttpResponse:
    """The wizard's answer: the result region for htmx, the whole guide page with the result otherwise."""
    context = _guide_context(request, code, with_result=True)
    return render_page_or_fragment(
        request, page="portal/guide.html", fragment="portal/includes/situation_result.html", context=context
    )
