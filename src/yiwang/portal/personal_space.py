"""我的空间: the reads behind the personal space, each through the owning app's selectors and gates.

Nothing here decides access on its own: cases come from ``applications.selectors.list_cases_for_applicant``
(applicant, holder or mandated agent), licenses and consents from ``licenses.selectors`` (the holder's
scope), mandates and enterprises from ``identity.selectors``. The vault is read by holder code, the codes
being those ``identity.selectors.own_holder_codes`` grants (level 3 and the enterprises represented).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from yiwang.applications.constants import CaseStatus
from yiwang.applications.models import Case, VaultItem
from yiwang.applications.selectors import list_cases_for_applicant
from yiwang.catalog.models import Implementation
from yiwang.identity.models import Enterprise, FavouriteService, User
from yiwang.identity.selectors import (
    list_active_mandates_received,
    list_enterprises_represented,
    list_mandates_given,
    list_mandates_received,
    own_holder_codes,
)
from yiwang.licenses.selectors import list_consents_for_actor, list_licenses_for_actor
from yiwang.supervision.models import Evaluation, EvaluationInvitation

RECENT_KEY = "portal_recently_viewed"
RECENT_LIMIT = 8
RESULT_DAYS = 30  # an approved case's result is offered for collection this long after it closed
CASES_SHOWN = 5


@dataclass
class ActionItem:
    kind: str  # "supplement", "collect", "rate"
    case: Case


@dataclass
class EnterpriseSummary:
    credit_code: str
    name: str
    role: str  # "representative" or "agent"


@dataclass
class MySpace:
    actions: list[ActionItem]
    recent_cases: list[Case]
    open_count: int
    license_count: int
    vault_count: int
    consent_count: int
    mandates_given: int
    mandates_received: int
    favourites: list[Implementation]
    recently_viewed: list[Implementation]
    enterprises: list[EnterpriseSummary] = field(default_factory=list)


def _cases_of(actor: User, *, status: str | None = None, holder_code: str | None = None, limit: int = 50):
    return list_cases_for_applicant(actor=actor, status=status, holder_code=holder_code, limit=limit).items


def action_items(*, actor: User, holder_code: str | None = None) -> list[ActionItem]:
    """What needs the person's action first: supplements requested, results to collect, ratings invited."""
    items = [
        ActionItem("supplement", case)
        for case in _cases_of(actor, status=CaseStatus.SUPPLEMENT, holder_code=holder_code)
    ]
    since = timezone.now() - dt.timedelta(days=RESULT_DAYS)
    approved = [
        case
        for case in _cases_of(actor, status=CaseStatus.APPROVED, holder_code=holder_code)
        if case.closed_at is None or case.closed_at >= since
    ]
    items += [ActionItem("collect", case) for case in approved]
    closed = _cases_of(actor, status="closed", holder_code=holder_code)
    if closed:
        ids = [case.pk for case in closed]
        invited = set(
            EvaluationInvitation.objects.filter(
                case_id__in=ids, used_at__isnull=True, expires_at__gt=timezone.now()
            )
            .filter(Q(invitee=actor) | Q(invitee__isnull=True))
            .values_list("case_id", flat=True)
        )
        rated = set(Evaluation.objects.filter(case_id__in=ids).values_list("case_id", flat=True))
        items += [ActionItem("rate", case) for case in closed if case.pk in invited - rated]
    return items


def list_vault_items(*, actor: User, holder_code: str | None = None):
    """The materials kept for the person's own holder codes (or one of them), still valid first."""
    codes = own_holder_codes(actor)
    if holder_code is not None:
        codes = codes & {holder_code}
    today = timezone.localdate()
    return (
        VaultItem.objects.filter(holder_code__in=sorted(codes))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-created_at", "-pk")
    )


def recently_viewed_codes(session: Any) -> list[str]:
    value = session.get(RECENT_KEY) or []
    return [code for code in value if isinstance(code, str)][:RECENT_LIMIT]


def remember_viewed(session: Any, code: str) -> None:
    codes = [code] + [other for other in recently_viewed_codes(session) if other != code]
    session[RECENT_KEY] = codes[:RECENT_LIMIT]


def _guides(codes: list[str]) -> list[Implementation]:
    by_code = {item.code: item for item in Implementation.objects.filter(code__in=codes).only("code", "name")}
    return [by_code[code] for code in codes if code in by_code]


def list_favourites(*, actor: User) -> list[Implementation]:
    return [
        favourite.implementation
        for favourite in FavouriteService.objects.filter(user=actor).select_related("implementation")[:50]
    ]


def enterprises_of(*, actor: User) -> list[EnterpriseSummary]:
    """Enterprises the person represents, then those they act for under a mandate in force."""
    seen: dict[str, EnterpriseSummary] = {}
    for enterprise in list_enterprises_represented(user=actor):
        seen[enterprise.credit_code] = EnterpriseSummary(
            enterprise.credit_code, enterprise.name, "representative"
        )
    for mandate in list_active_mandates_received(user=actor):
        if mandate.enterprise is not None and mandate.enterprise.credit_code not in seen:
            seen[mandate.enterprise.credit_code] = EnterpriseSummary(
                mandate.enterprise.credit_code, mandate.enterprise.name, "agent"
            )
    return list(seen.values())


def my_space(*, actor: User, session: Any) -> MySpace:
    person = actor.id_number or None
    recent = list_cases_for_applicant(actor=actor, limit=CASES_SHOWN).items
    open_cases = list_cases_for_applicant(actor=actor, status="open", limit=100).items
    favourites = list_favourites(actor=actor)
    return MySpace(
        actions=action_items(actor=actor),
        recent_cases=list(recent),
        open_count=len(open_cases),
        license_count=list_licenses_for_actor(actor=actor, holder_code=person).count() if person else 0,
        vault_count=list_vault_items(actor=actor, holder_code=person).count() if person else 0,
        consent_count=list_consents_for_actor(actor=actor).count(),
        mandates_given=list_mandates_given(user=actor).count(),
        mandates_received=list_mandates_received(user=actor).count(),
        favourites=favourites,
        recently_viewed=_guides(recently_viewed_codes(session)),
        enterprises=enterprises_of(actor=actor),
    )


@dataclass
class EnterpriseSpace:
    enterprise: EnterpriseSummary
    actions: list[ActionItem]
    cases: list[Case]
    licenses: list[Any]
    vault: list[VaultItem]
    mandates: list[Any]


def enterprise_space(*, actor: User, credit_code: str) -> EnterpriseSpace | None:
    """一企一档 for an enterprise the person represents or acts for (None for anybody else)."""
    summary = next((item for item in enterprises_of(actor=actor) if item.credit_code == credit_code), None)
    if summary is None:
        return None
    mandates: list[Any] = []
    if summary.role == "representative":
        mandates = [
            m
            for m in list_mandates_given(user=actor)
            if m.enterprise_id and m.enterprise.credit_code == credit_code
        ]
    return EnterpriseSpace(
        enterprise=summary,
        actions=action_items(actor=actor, holder_code=credit_code),
        cases=list(list_cases_for_applicant(actor=actor, holder_code=credit_code, limit=20).items),
        licenses=list(list_licenses_for_actor(actor=actor, holder_code=credit_code)[:50]),
        vault=list(list_vault_items(actor=actor, holder_code=credit_code)[:50]),
        mandates=mandates,
    )


__all__ = ["Enterprise", "MySpace", "enterprise_space", "list_vault_items", "my_space", "remember_viewed"]
