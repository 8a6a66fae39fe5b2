"""Search results with filters, and the suggestions under the search box."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiwang.catalog.selectors import list_topics
from yiwang.core.errors import InvalidInput
from yiwang.regions.selectors import list_departments
from yiwang.search.selectors import search_catalog, suggest

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
                **form.filters(),
            )
        except InvalidInput as error:
            context["error"] = error.message
        else:
            context["page"] = page
            context["page_number"] = form.page_number
            context["page_count"] = max(1, -(-page.count // SEARCH_PAGE_SIZE))
    elif not form.is_valid():
        context["error"] = _first_error(form)
    return render(request, "portal/search.html", context)


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
