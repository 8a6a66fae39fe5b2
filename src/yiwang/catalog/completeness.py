"""How complete a guide is (要素完整度): which of the guide elements an implementation carries."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from .consistency import ERROR, FACTS_PREFETCH, implementation_problems
from .constants import GUIDE_ELEMENTS
from .guide_cache import bump_guide_versions
from .models import FAQ, Fee, Implementation, Material, ProcessStep

_BATCH = 500


def _annotated(implementations: QuerySet[Implementation]) -> QuerySet[Implementation]:
    """Add one EXISTS per related guide part, so the whole catalog is scored in one query."""
    own = OuterRef("pk")
    return (
        implementations.select_related("item")
        .prefetch_related(*FACTS_PREFETCH)
        .annotate(
            has_materials=Exists(Material.objects.filter(implementation=own)),
            has_steps=Exists(ProcessStep.objects.filter(implementation=own)),
            has_faqs=Exists(FAQ.objects.filter(implementation=own)),
            has_fees=Exists(Fee.objects.filter(implementation=own)),
            has_fee_with_basis=Exists(Fee.objects.filter(implementation=own).exclude(basis="")),
        )
    )


def _present(implementation: Implementation, problems: list[dict[str, str]]) -> dict[str, bool]:
    item = implementation.item
    has_fees = implementation.has_fees
    return {
        "legal_basis": bool(item.legal_basis.strip() or item.implementation_basis.strip()),
        "conditions": bool(implementation.conditions.strip()),
        "materials": implementation.has_materials,
        "process": implementation.has_steps or bool(implementation.process_description.strip()),
        "time_limits": implementation.statutory_limit_days is not None
        and implementation.promised_limit_days is not None,
        "consistency": not any(problem["severity"] == ERROR for problem in problems),
        "fees": implementation.is_free
        or implementation.has_fee_with_basis
        or (has_fees and bool(implementation.fee_basis.strip())),
        "place": bool(implementation.place.strip()),
        "hours": bool(implementation.hours.strip()),
        "phone": bool(implementation.phone.strip()),
        "online_depth": implementation.online_depth is not None,
        "visits": implementation.visits is not None,
        "complaint": bool(implementation.complaint_channel.strip()),
        "faq": implementation.has_faqs,
        "result": bool(implementation.result_name.strip()),
    }


def score(
    implementation: Implementation, problems: list[dict[str, str]] | None = None
) -> tuple[int, list[str]]:
    """Completeness in percent and the missing element keys, for an implementation from ``_annotated``;
    a guide whose consistency checks find an error misses the element "consistency"."""
    if problems is None:
        problems = implementation_problems(implementation)
    present = _present(implementation, problems)
    missing = [key for key in GUIDE_ELEMENTS if not present[key]]
    return round(100 * (len(GUIDE_ELEMENTS) - len(missing)) / len(GUIDE_ELEMENTS)), missing


def _state(implementation: Implementation) -> tuple[int, list[str], list[dict[str, str]]]:
    problems = implementation_problems(implementation)
    return (*score(implementation, problems), problems)


def _stored(implementation: Implementation) -> tuple[int, list[str], list[dict[str, str]]]:
    return (implementation.completeness, implementation.missing_elements, implementation.consistency_problems)


def _changed(implementations: Iterable[Implementation]) -> list[Implementation]:
    changed = []
    for implementation in implementations:
        state = _state(implementation)
        if state != _stored(implementation):
            (
                implementation.completeness,
                implementation.missing_elements,
                implementation.consistency_problems,
            ) = state
            changed.append(implementation)
    return changed


@transaction.atomic
def update_completeness(*, implementation: Implementation) -> Implementation:
    """Recompute one implementation's completeness and missing elements, and store them."""
    scored = _annotated(Implementation.objects.filter(pk=implementation.pk)).get()
    state = _state(scored)
    if state != _stored(implementation):
        (
            implementation.completeness,
            implementation.missing_elements,
            implementation.consistency_problems,
        ) = state
        implementation.save(
            update_fields=["completeness", "missing_elements", "consistency_problems", "updated_at"]
        )
        bump_guide_versions(implementation_ids=[implementation.pk])  # the guide shows its completeness
    return implementation


@transaction.atomic
def recompute_completeness(*, implementation_ids: Iterable[int] | None = None) -> int:
    """Recompute completeness of the given implementations (all when None); return how many changed."""
    implementations = Implementation.objects.all()
    if implementation_ids is not None:
        implementations = implementations.filter(pk__in=list(implementation_ids))
    fields = [
        "id",
        "completeness",
        "missing_elements",
        "consistency_problems",
        "conditions",
        "process_description",
        "statutory_limit_days",
        "statutory_limit_unit",
        "promised_limit_days",
        "promised_limit_unit",
        "is_free",
        "fee_basis",
        "place",
        "hours",
        "phone",
        "online_depth",
        "visits",
        "complaint_channel",
        "result_name",
        "item__legal_basis",
        "item__implementation_basis",
    ]
    changed = _changed(_annotated(implementations).only(*fields).iterator(chunk_size=2000))
    Implementation.objects.bulk_update(
        changed, ["completeness", "missing_elements", "consistency_problems"], batch_size=_BATCH
    )
    bump_guide_versions(implementation_ids=[implementation.pk for implementation in changed])
    return len(changed)
