"""Search results with filters, and the suggestions under the search box."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from yiwang.catalog.selectors import list_topics
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.regions.selectors import list_departments
from yiwang.search.constants import ResultKind
from yiwang.search.selectors import search_catalog, suggest
from yiwang.search.services.clicks import record_search_click

from ..forms import SEARCH_PAGE_SIZE, SearchForm
from ..preferences import current_region
from .pages import department_region

SUGGESTION_LIMIT = 8
# What the empty state offers to try: everyday words people use.
EXAMPLE_QUERIES = ["身份证丢了", "开饭店", "生孩子", "户口迁移", "社保卡", "营业执照"]


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    region = current_region(request)
    departments_at = department_region(region)
    form = SearchForm(
        request.GET,
        departments=list_departments(region_code=departments_at.code) if departments_at else [],
        topics=list_topics(),
    )
    context = {"form": form, "query": "", "page": None, "error": "", "examples": EXAMPLE_QUERIES}
    if form.is_valid() and form.cleaned_data["q"]:
        query = form.cleaned_data["q"]
        context["query"] = query
        try:
            page = search_catalog(
                query=query,
                # The chosen region ranks first; other regions' services still show below.
                region_code=region.code if region else None,
                limit=SEARCH_PAGE_SIZE,
                offset=(form.page_number - 1) * SEARCH_PAGE_SIZE,
                count_shown=True,  # the result links count clicks (go below): never-clicked queries
                **form.filters(),
            )
        except InvalidInput as error:
            context["error"] = error.message
        else:
            context["page"] = page
            context["region_code"] = region.code if region else ""
            context["page_number"] = form.page_number
            context["page_count"] = max(1, -(-page.count // SEARCH_PAGE_SIZE))
    elif not form.is_valid():
        context["error"] = _first_error(form)
    return render(request, "portal/search.html", context)


@require_GET
def go(request: HttpRequest) -> HttpResponse:
    """A followed search result: count the click for the query, then go to that guide or bundle.

    Only an active implementation's guide or bundle page is a target (400 for a malformed link, 404 for
    an unknown code): never a redirect to an address the link names.
    """
    try:
        kind, code = record_search_click(
            query=request.GET.get("q", ""),
            region_code=request.GET.get("r", ""),
            kind=request.GET.get("k", ""),
            code=request.GET.get("to", ""),
        )
    except InvalidInput as error:
        return HttpResponseBadRequest(error.message)
    except NotFound as error:
        raise Http404(error.message) from None
    return redirect("portal:bundle" if kind == ResultKind.BUNDLE else "portal:guide", code)


def _first_error(form: SearchForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return ""


@require_GET
def suggestions(request: HttpRequest) -> HttpResponse:
    """Options for the search box's list (htmx partial); empty when the text is empty or too long."""
    text = request.GET.get("q", "").strip()
    try:
        options = suggest(query=text, limit=SUGGESTION_LIMIT) if text else []
    except InvalidInput:
        options = []
    return render(request, "portal/includes/suggestions.html", {"options": options, "text": text})
