"""Citations of the guides (引用依据): which are unchecked, stale or hit by a revised law, and which
guides therefore need review. Writes here run inside the caller's transaction (services, the loader)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from .consistency import CHECKS, ERROR
from .models import Citation, Implementation, LegalInstrument

STALE_AFTER = dt.timedelta(days=365)  # a citation checked more than a year ago is checked again


def mark_citations_for_review(*, instrument: LegalInstrument, revised_on: dt.date) -> int:
    """Mark every citation of ``instrument`` checked before ``revised_on`` for review; return how many."""
    reason = f"{instrument.name}于 {revised_on.isoformat()} 修订，请核对所引条款和表述"
    stale = Q(checked_on__isnull=True) | Q(checked_on__lt=revised_on)
    return Citation.objects.filter(stale, instrument=instrument).update(
        needs_review=True, review_reason=reason
    )


def citation_state(citation: Citation, *, today: dt.date | None = None) -> str:
    """'unchecked', 'revised' (its law changed since), 'stale' (checked over a year ago) or 'ok'."""
    today = today or timezone.localdate()
    if citation.needs_review:
        return "revised"
    if citation.checked_on is None:
        return "unchecked"
    if citation.checked_on < today - STALE_AFTER:
        return "stale"
    return "ok"


CITATION_STATES = {
    "unchecked": "引用未核对",
    "stale": "引用核对已超过一年",
    "revised": "所引法规已修订",
}


@dataclass(frozen=True)
class ReviewItem:
    """One guide needing review and why."""

    implementation: Implementation
    citations: list[tuple[Citation, str]]  # (citation, state) for every citation not "ok"
    problems: list[dict[str, str]]

    @property
    def has_error(self) -> bool:
        return any(problem["severity"] == ERROR for problem in self.problems)

    @property
    def reasons(self) -> list[str]:
        counts: dict[str, int] = {}
        for _citation, state in self.citations:
            counts[state] = counts.get(state, 0) + 1
        reasons = [f"{CITATION_STATES[state]} {count} 条" for state, count in counts.items()]
        reasons += [CHECKS.get(problem["check"], problem["check"]) for problem in self.problems]
        return reasons


def guides_needing_review(
    *, implementations: QuerySet[Implementation] | None = None, today: dt.date | None = None
) -> list[ReviewItem]:
    """Guides with an unchecked, stale or revised citation, or a failed consistency check; errors first."""
    today = today or timezone.localdate()
    queryset = implementations if implementations is not None else Implementation.objects.all()
    flagged = Q(citations__needs_review=True) | Q(citations__checked_on__isnull=True)
    flagged |= Q(citations__checked_on__lt=today - STALE_AFTER) | ~Q(consistency_problems=[])
    candidates = (
        queryset.filter(flagged, is_active=True)
        .distinct()
        .select_related("department")
        .prefetch_related("citations__instrument")
        .order_by("code")
    )
    items = []
    for implementation in candidates:
        citations = [
            (citation, state)
            for citation in implementation.citations.all()
            if (state := citation_state(citation, today=today)) != "ok"
        ]
        if citations or implementation.consistency_problems:
            items.append(ReviewItem(implementation, citations, list(implementation.consistency_problems)))
    return sorted(items, key=lambda item: (not item.has_error, item.implementation.code))
