"""Browsing pages: home, topic, life-event bundle and department."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiwang.catalog.constants import Audience, TopicKind
from yiwang.catalog.models import Topic
from yiwang.catalog.selectors import (
    count_department_implementations,
    evaluate_bundle_situation,
    get_bundle_guide,
    get_topic,
    list_department_implementations,
    list_popular_bundles,
    list_topic_entries,
    list_topics,
    region_has_implementations,
)
from yiwang.catalog.services import record_view
from yiwang.regions.constants import RegionLevel
from yiwang.regions.models import Region
from yiwang.regions.selectors import get_department, list_departments, list_region_ancestors
from yiwang.supervision.selectors.stats import hot_items, order_topics_by_demand

from ..forms import SituationForm
from ..preferences import current_region
from ..region_notices import ancestors_items_notice, other_bundles_notice
from ..region_picker import build_picker
from .responses import not_found_as_404

DEPARTMENT_PAGE_SIZE = 50


def _split_by_kind(topics: list[Topic]) -> dict[str, list[Topic]]:
    return {
        "themes": [topic for topic in topics if topic.kind == TopicKind.THEME],
        "life_events": [topic for topic in topics if topic.kind == TopicKind.LIFE_EVENT],
    }


def _hot_topics(audience: str, region_code: str | None) -> dict[str, list[Topic]]:
    """The audience's topics, those in demand in the region first (supervision's decayed demand)."""
    topics = list_topics(audience=audience)
    return _split_by_kind(order_topics_by_demand(topics=topics, region_code=region_code))


def department_region(region: Region | None) -> Region | None:
    """Departments sit at county level and above: a town or village shows its county's departments."""
    if region is None or region.level <= RegionLevel.COUNTY:
        return region
    ancestors = list_region_ancestors(region=region)
    return next((r for r in reversed(ancestors) if r.level <= RegionLevel.COUNTY), region)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    region = current_region(request)
    region_code = region.code if region else None
    departments_at = department_region(region)
    popular_items = hot_items(region_code=region_code, limit=10)
    local_bundles = list_popular_bundles(limit=6, region_code=region_code)
    # No bundle serves the region: show the others' rather than nothing, and say whose they are.
    bundles = local_bundles or list_popular_bundles(limit=6)
    has_own = region_has_implementations(region_code=region_code) if region_code and popular_items else True
    return render(
        request,
        "portal/home.html",
        {
            "popular_items": popular_items,
            "items_notice": ancestors_items_notice(
                region=region, implementations=popular_items, has_own=has_own
            ),
            "popular_bundles": bundles,
            "bundles_notice": other_bundles_notice(
                region=region, bundles=bundles, are_local=bool(local_bundles)
            ),
            "person_topics": _hot_topics(Audience.PERSON, region_code),
            "enterprise_topics": _hot_topics(Audience.ENTERPRISE, region_code),
            "departments": list(list_departments(region_code=departments_at.code)[:40])
            if departments_at
            else [],
            "departments_region": departments_at,
            "picker": build_picker(selected=region),
        },
    )


@require_GET
@not_found_as_404
def topic(request: HttpRequest, code: str) -> HttpResponse:
    region = current_region(request)
    entries = list_topic_entries(topic=get_topic(code=code), region_code=region.code if region else None)
    has_own = region is None or any(impl.region_id == region.code for impl in entries.implementations)
    notice = ancestors_items_notice(region=region, implementations=entries.implementations, has_own=has_own)
    return render(
        request, "portal/topic.html", {"topic": entries.topic, "entries": entries, "region_notice": notice}
    )


@require_GET
@not_found_as_404
def bundle(request: HttpRequest, code: str) -> HttpResponse:
    found = get_bundle_guide(code=code).bundle
    form = SituationForm(questions=list(found.questions.all()), data=request.GET)
    guide = evaluate_bundle_situation(bundle=found, answers=form.answers)
    form.show_only(guide.situation.questions)
    record_view(bundle=guide.bundle)
    return render(request, "portal/bundle.html", {"guide": guide, "bundle": guide.bundle, "wizard": form})


@require_GET
@not_found_as_404
def department(request: HttpRequest, credit_code: str) -> HttpResponse:
    found = get_department(credit_code=credit_code)
    total = count_department_implementations(department=found)
    pages = max(1, -(-total // DEPARTMENT_PAGE_SIZE))
    try:
        page = min(max(1, int(request.GET.get("page", "1"))), pages)
    except ValueError:
        page = 1
    implementations = list_department_implementations(
        department=found, limit=DEPARTMENT_PAGE_SIZE, offset=(page - 1) * DEPARTMENT_PAGE_SIZE
    )
    return render(
        request,
        "portal/department.html",
        {
            "department": found,
            "implementations": implementations,
            "total": total,
            "page": page,
            "pages": pages,
        },
    )
