"""Reads of the catalog: guides, situations, bundles, topics and the lists the portal shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from yiwang.core.errors import NotFound
from yiwang.regions.models import Department
from yiwang.regions.selectors import ancestor_codes

from . import guide_cache
from .bundle_guides import BundleGuide, build_bundle_guide
from .guide_cache import HEAD_RELATED, GuideStamp
from .models import Bundle, BundleItem, Implementation, Material, ServiceItem, SituationQuestion, Topic
from .situations import (  # re-exported: the situation wizard is part of the catalog's read surface
    Answers,
    FeeNeed,
    MaterialNeed,
    RemovedMaterial,
    SituationResult,
    evaluate_situation,
)

T = TypeVar("T")

__all__ = [
    "Answers",
    "BundleGuide",
    "FeeNeed",
    "GuideStamp",
    "MaterialNeed",
    "RemovedMaterial",
    "SituationResult",
    "TopicEntries",
    "cached_guide_rendering",
    "count_department_implementations",
    "evaluate_bundle_situation",
    "evaluate_situation",
    "get_bundle_guide",
    "get_guide_head",
    "get_guide_stamp",
    "get_implementation_guide",
    "get_service_item",
    "get_topic",
    "list_department_implementations",
    "list_incomplete_implementations",
    "list_popular_bundles",
    "list_popular_implementations",
    "list_searchable_bundles",
    "list_searchable_implementations",
    "list_service_items",
    "list_topic_entries",
    "list_topics",
    "load_guide",
    "region_has_implementations",
    "region_scope",
]


def region_scope(region_code: str) -> list[str]:
    """The region and its ancestors, most specific first (codes are prefixes, so no query is needed)."""
    return ancestor_codes(region_code)


def list_service_items(*, codes: list[str]) -> list[ServiceItem]:
    """The items of these codes; an unknown code is a NotFound naming the missing codes."""
    items = list(ServiceItem.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {item.code for item in items})
    if missing:
        raise NotFound(f"未找到事项：{'、'.join(missing)}", code="item_not_found", missing=missing)
    return items


def get_service_item(*, code: str) -> ServiceItem:
    return list_service_items(codes=[code])[0]


def _audience_filter(audience: str, *, prefix: str = "item__") -> Q:
    # JSON `contains` is not available on SQLite; an item has at most two audiences, so look at both slots.
    return Q(**{f"{prefix}audiences__0": audience}) | Q(**{f"{prefix}audiences__1": audience})


def _guide_prefetches() -> list[Prefetch | str]:
    return [
        "materials",
        "fees",
        "steps",
        "special_steps",
        "faqs",
        Prefetch("questions", queryset=SituationQuestion.objects.order_by("order", "id")),
        "questions__options",
        "questions__options__adds_materials",
        "questions__options__removes_materials",
        "questions__options__adds_fees",
        Prefetch("bundles", queryset=Bundle.objects.filter(is_active=True).order_by("code")),
    ]


def _implementation_of_item(
    implementations: QuerySet[Implementation], *, item_code: str, region_code: str | None
) -> Implementation | None:
    """The item's implementation nearest the region (then the default region), else its first by code.

    Only the few implementations of the regions in scope are loaded: an item may be implemented in every
    county of the country.
    """
    of_item = implementations.filter(item__code=item_code)
    scope = [*(region_scope(region_code) if region_code else []), *region_scope(settings.DEFAULT_REGION_CODE)]
    by_region: dict[str, Implementation] = {}
    for candidate in of_item.filter(region_id__in=scope).order_by("code"):
        by_region.setdefault(candidate.region_id, candidate)
    for code in scope:
        if code in by_region:
            return by_region[code]
    return of_item.order_by("code").first()


def get_guide_head(*, code: str, region_code: str | None = None) -> Implementation:
    """The implementation a guide request names, with its item, department and region (what the head of a
    guide shows), not yet its parts (``load_guide``); an item code picks the region's implementation."""
    active = Implementation.objects.filter(is_active=True).select_related(*HEAD_RELATED)
    # Two indexed look-ups, not one OR across the join: that OR scans every implementation. The code is
    # unique: no ORDER BY to compile and run.
    implementation = next(iter(active.filter(code=code).order_by()[:1]), None)
    if implementation is None:
        implementation = _implementation_of_item(active, item_code=code, region_code=region_code)
    if implementation is None:
        raise NotFound(_("未找到编码为“%(code)s”的事项") % {"code": code}, code="unknown_item")
    return implementation


def get_guide_stamp(*, code: str, region_code: str | None = None) -> GuideStamp:
    """What the renderings of the guide a request names depend on (``stamp.key(...)`` is their cache key):
    one indexed query for an implementation code; an item code is first resolved like ``get_guide_head``."""
    stamp = guide_cache.get_guide_stamp(code=code)
    if stamp is None:
        stamp = guide_cache.get_guide_stamp(code=get_guide_head(code=code, region_code=region_code).code)
    if stamp is None:  # deactivated between the two queries
        raise NotFound(_("未找到编码为“%(code)s”的事项") % {"code": code}, code="unknown_item")
    return stamp


def load_guide(*, implementation: Implementation) -> Implementation:
    """Fetch the rest of a guide from ``get_guide_head`` (materials, fees, steps, situations, bundles)."""
    prefetch_related_objects([implementation], *_guide_prefetches())
    return implementation


def get_implementation_guide(*, code: str, region_code: str | None = None) -> Implementation:
    """The implementation with its whole guide prefetched; an item code picks the region's implementation."""
    return load_guide(implementation=get_guide_head(code=code, region_code=region_code))


def cached_guide_rendering(*, key: str, render: Callable[[], T]) -> T:
    """The rendering cached under a stamp's key, else ``render()`` (then kept for every process)."""
    return guide_cache.cached_rendering(key=key, render=render)


def get_bundle_guide(*, code: str, answers: Answers | None = None) -> BundleGuide:
    """The bundle with its implementations in order and one de-duplicated set of materials; ``answers``
    to the bundle's situation questions leave out what this applicant does not need."""
    items = BundleItem.objects.select_related(
        "implementation", "implementation__item", "implementation__department", "implementation__region"
    ).prefetch_related("implementation__materials", "implementation__fees")
    bundle = (
        Bundle.objects.filter(code=code, is_active=True)
        .select_related("region", "lead_department")
        .prefetch_related(
            Prefetch("bundle_items", queryset=items.order_by("order", "id")),
            "topics",
            Prefetch("questions", queryset=SituationQuestion.objects.order_by("order", "id")),
            "questions__options",
            "questions__options__adds_materials",
            "questions__options__removes_materials",
            "questions__options__skips_implementations",
        )
        .first()
    )
    if bundle is None:
        raise NotFound(_("未找到编码为“%(code)s”的一件事") % {"code": code}, code="unknown_bundle")
    return build_bundle_guide(bundle=bundle, answers=answers)


def evaluate_bundle_situation(*, bundle: Bundle, answers: Answers) -> BundleGuide:
    """The guide of a bundle fetched by ``get_bundle_guide`` for these answers (no further query)."""
    return build_bundle_guide(bundle=bundle, answers=answers)


def list_popular_implementations(
    *, region_code: str | None = None, audience: str | None = None, limit: int = 10
) -> list[Implementation]:
    """The most viewed active implementations serving the region (the region itself and its ancestors)."""
    implementations = Implementation.objects.filter(is_active=True).select_related(
        "item", "region", "department"
    )
    if region_code:
        implementations = implementations.filter(region_id__in=region_scope(region_code))
    if audience:
        implementations = implementations.filter(_audience_filter(audience))
    # Fresh catalogs have no views yet: complete guides come before bare names.
    return list(implementations.order_by("-view_count", "-completeness", "code")[:limit])


def list_popular_bundles(*, limit: int = 6, region_code: str | None = None) -> list[Bundle]:
    """The most viewed bundles; with a region, only those serving it (the region and its ancestors)."""
    bundles = Bundle.objects.filter(is_active=True).select_related("region", "lead_department")
    if region_code:
        bundles = bundles.filter(region_id__in=region_scope(region_code))
    return list(bundles.order_by("-view_count", "code")[:limit])


def region_has_implementations(*, region_code: str) -> bool:
    """Whether the region implements any service itself (not only through its ancestors)."""
    return Implementation.objects.filter(region_id=region_code, is_active=True).exists()


def list_topics(*, audience: str | None = None) -> list[Topic]:
    topics = Topic.objects.all()
    if audience:
        topics = topics.filter(audience=audience)
    return list(topics.order_by("audience", "order", "code"))


def get_topic(*, code: str) -> Topic:
    try:
        return Topic.objects.get(code=code)
    except Topic.DoesNotExist:
        raise NotFound(_("未找到编码为“%(code)s”的主题") % {"code": code}, code="unknown_topic") from None


@dataclass(frozen=True)
class TopicEntries:
    topic: Topic
    bundles: list[Bundle]
    implementations: list[Implementation]


def list_topic_entries(*, topic: Topic, region_code: str | None = None) -> TopicEntries:
    """Bundles and implementations filed under a topic, for the region when given."""
    bundles = topic.bundles.filter(is_active=True).select_related("region", "lead_department")
    implementations = Implementation.objects.filter(item__topics=topic, is_active=True).select_related(
        "item", "region", "department"
    )
    if region_code:
        scope = region_scope(region_code)
        bundles = bundles.filter(region_id__in=scope)
        implementations = implementations.filter(region_id__in=scope)
    return TopicEntries(
        topic=topic,
        bundles=list(bundles.order_by("-view_count", "code")),
        implementations=list(implementations.distinct().order_by("-view_count", "code")),
    )


def list_department_implementations(
    *, department: Department, limit: int = 50, offset: int = 0
) -> list[Implementation]:
    implementations = Implementation.objects.filter(department=department, is_active=True)
    implementations = implementations.select_related("item", "region").order_by("item__item_type", "code")
    return list(implementations[offset : offset + limit])


def count_department_implementations(*, department: Department) -> int:
    return Implementation.objects.filter(department=department, is_active=True).count()


def list_incomplete_implementations(*, limit: int = 50) -> list[Implementation]:
    """The least complete guides first: what administrators should fill in next."""
    implementations = Implementation.objects.filter(is_active=True, completeness__lt=100)
    implementations = implementations.select_related("item", "region", "department")
    return list(implementations.order_by("completeness", "code")[:limit])


def list_searchable_implementations(
    *, implementation_ids: list[int] | None = None
) -> QuerySet[Implementation]:
    """Implementations (inactive ones too, so the indexer can drop them) with what a search document needs."""
    implementations = Implementation.objects.select_related(
        "item", "item__parent", "region", "department"
    ).prefetch_related(
        "item__topics",
        Prefetch("materials", queryset=Material.objects.only("id", "implementation_id", "name", "order")),
    )
    if implementation_ids is not None:
        implementations = implementations.filter(pk__in=implementation_ids)
    return implementations.order_by("pk")


def list_searchable_bundles(*, bundle_ids: list[int] | None = None) -> QuerySet[Bundle]:
    """Bundles with their topics and implementation names (for the search indexer)."""
    bundles = Bundle.objects.select_related("region", "lead_department").prefetch_related(
        "topics", "implementations"
    )
    if bundle_ids is not None:
        bundles = bundles.filter(pk__in=bundle_ids)
    return bundles.order_by("pk")
