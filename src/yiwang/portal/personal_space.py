"""我的空间: the reads behind the personal space, each through the owning app's selectors and gates.

Nothing here decides access on its own: cases are those ``applications.selectors.applicant_side_q`` lets the
person see (applicant, holder or mandated agent: the gate ``list_cases_for_applicant`` filters with),
licenses and consents come from ``licenses.selectors`` (the holder's scope), mandates and enterprises from
``identity.selectors``. The vault is read by holder code, the codes being those
``identity.selectors.own_holder_codes`` grants (level 3 and the enterprises represented).

The page's cost does not grow with the person's records: counts are ``COUNT`` queries, what needs the
person's action is one query (supplements, results to collect, invited ratings, decided in SQL) cut at
``ACTIONS_SHOWN``, the newest cases at ``CASES_SHOWN``; the case rows are read without their form data
and workflow state. ``tests/test_me_queries.py`` holds the page to a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models import Case as Choose
from django.utils import timezone

from yiwang.applications.constants import CLOSED_STATUSES, OPEN_STATUSES, CaseStatus
from yiwang.applications.models import Case, VaultItem
from yiwang.applications.selectors import applicant_side_q
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
ACTIONS_SHOWN = 20  # the page lists at most this many cases needing action, then links to all cases
FAVOURITES_SHOWN = 50
# What the lists show of a case: its number, status, item or bundle; not the form data or workflow state.
_HEAVY_CASE_FIELDS = ("situation", "data", "prefilled", "state_json", "decision_reason", "decision_basis")


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
    more_actions: bool = False


def my_cases(*, actor: User, holder_code: str | None = None) -> QuerySet[Case]:
    """The person's top-level cases (a bundle's parts stay under their parent), as the applications gate
    lets them see them, without the heavy columns, newest first."""
    cases = Case.objects.filter(applicant_side_q(actor), parent__isnull=True)  # the gate, evaluated once
    if holder_code:
        cases = cases.filter(holder_code=holder_code)
    return (
        cases.select_related("implementation", "bundle")
        .defer(*_HEAVY_CASE_FIELDS)
        .order_by("-submitted_at", "-id")
    )


def action_items(
    *,
    actor: User,
    holder_code: str | None = None,
    cases: QuerySet[Case] | None = None,
    limit: int = ACTIONS_SHOWN,
) -> tuple[list[ActionItem], bool]:
    """What needs the person's action first — supplements requested, then results to collect (approved in
    the last ``RESULT_DAYS``), then ratings invited (an unused, unexpired invitation for the person or for
    anyone, and no rating yet) — in one query; at most ``limit`` cases, and whether there are more."""
    cases = my_cases(actor=actor, holder_code=holder_code) if cases is None else cases
    now = timezone.now()
    invited = EvaluationInvitation.objects.filter(
        Q(invitee=actor) | Q(invitee__isnull=True),
        case=OuterRef("pk"),
        used_at__isnull=True,
        expires_at__gt=now,
    )
    rated = Evaluation.objects.filter(case=OuterRef("pk"))
    to_collect = Q(status=CaseStatus.APPROVED) & (
        Q(closed_at__isnull=True) | Q(closed_at__gte=now - dt.timedelta(days=RESULT_DAYS))
    )
    to_rate = Q(status__in=sorted(CLOSED_STATUSES), invited=True, rated=False)
    rows = list(
        cases.annotate(invited=Exists(invited), rated=Exists(rated))
        .filter(Q(status=CaseStatus.SUPPLEMENT) | to_collect | to_rate)
        .annotate(
            collect=Choose(
                When(to_collect, then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            priority=Choose(
                When(status=CaseStatus.SUPPLEMENT, then=Value(0)),
                When(to_collect, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
        )
        .order_by("priority", "-submitted_at", "-id")[: limit + 1]
    )
    more = len(rows) > limit
    items: list[ActionItem] = []
    for case in rows[:limit]:
        if case.status == CaseStatus.SUPPLEMENT:
            items.append(ActionItem("supplement", case))
        if case.collect:
            items.append(ActionItem("collect", case))
        if case.status in CLOSED_STATUSES and case.invited and not case.rated:
            items.append(ActionItem("rate", case))
    kinds = {"supplement": 0, "collect": 1, "rate": 2}
    items.sort(key=lambda item: kinds[item.kind])  # stable: newest first within each kind
    return items, more


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


VAULT_SHOWN = 50


def vault_page(*, actor: User, holder_code: str | None) -> tuple[list[VaultItem], int]:
    """The newest ``VAULT_SHOWN`` valid materials of one holder code of the person, and how many there are."""
    if not holder_code:
        return [], 0
    items = list_vault_items(actor=actor, holder_code=holder_code)
    shown = list(items.only("name", "created_at", "valid_until")[:VAULT_SHOWN])
    return shown, len(shown) if len(shown) < VAULT_SHOWN else items.count()


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
        for favourite in FavouriteService.objects.filter(user=actor)
        .select_related("implementation")
        .only("implementation__code", "implementation__name")[:FAVOURITES_SHOWN]
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
    """Everything /me/ shows, in a fixed number of queries whatever the number of cases or licenses."""
    person = actor.id_number or None
    cases = my_cases(actor=actor)
    actions, more_actions = action_items(actor=actor, cases=cases)
    open_count = cases.order_by().aggregate(open=Count("pk", filter=Q(status__in=sorted(OPEN_STATUSES))))[
        "open"
    ]
    return MySpace(
        actions=actions,
        more_actions=more_actions,
        recent_cases=list(cases[:CASES_SHOWN]),
        open_count=open_count,
        license_count=list_licenses_for_actor(actor=actor, holder_code=person).count() if person else 0,
        vault_count=list_vault_items(actor=actor, holder_code=person).count() if person else 0,
        consent_count=list_consents_for_actor(actor=actor).count(),
        mandates_given=list_mandates_given(user=actor).count(),
        mandates_received=list_mandates_received(user=actor).count(),
        favourites=list_favourites(actor=actor),
        recently_viewed=_guides(recently_viewed_codes(session)),
        enterprises=enterprises_of(actor=actor),
    )


ENTERPRISE_CASES_SHOWN = 20
ENTERPRISE_ROWS_SHOWN = 50


@dataclass
class EnterpriseSpace:
    enterprise: EnterpriseSummary
    actions: list[ActionItem]
    cases: list[Case]
    licenses: list[Any]
    vault: list[VaultItem]
    mandates: list[Any]
    more_actions: bool = False


def enterprise_space(*, actor: User, credit_code: str) -> EnterpriseSpace | None:
    """一企一档 for an enterprise the person represents or acts for (None for anybody else)."""
    summary = next((item for item in enterprises_of(actor=actor) if item.credit_code == credit_code), None)
    if summary is None:
        return None
    mandates: list[Any] = []
    if summary.role == "representative":
        mandates = list(list_mandates_given(user=actor).filter(enterprise__credit_code=credit_code))
    cases = my_cases(actor=actor, holder_code=credit_code)
    actions, more_actions = action_items(actor=actor, cases=cases)
    return EnterpriseSpace(
        enterprise=summary,
        actions=actions,
        more_actions=more_actions,
        cases=list(cases[:ENTERPRISE_CASES_SHOWN]),
        licenses=list(
            list_licenses_for_actor(actor=actor, holder_code=credit_code)
            .order_by("-issued_on", "-id")
            .only("identifier", "license_type__name", "issuer__name")[:ENTERPRISE_ROWS_SHOWN]
        ),
        vault=list(list_vault_items(actor=actor, holder_code=credit_code)[:ENTERPRISE_ROWS_SHOWN]),
        mandates=mandates,
    )


__all__ = [
    "Enterprise",
    "MySpace",
    "action_items",
    "enterprise_space",
    "list_vault_items",
    "my_cases",
    "my_space",
    "remember_viewed",
    "vault_page",
]
