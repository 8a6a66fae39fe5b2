"""Reads of 好差评: the gates (whose case, whose ticket), the lists, the rates and the public scorecard.

A rating counts at its latest level (an addition's new level replaces the first one from then on) and
only while ``counted`` (an upheld appeal takes it out). Satisfaction = good (非常满意, 满意) / all counted;
the negative rate = bad (不满意, 非常不满意) / all counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.applications.models import Case, CaseTask
from yiwang.applications.selectors import is_applicant_side
from yiwang.applications.services.numbers import normalize_case_number
from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.pagination import DEFAULT_LIMIT, Page, paginate
from yiwang.core.workdays import load_calendar
from yiwang.identity.selectors import assignment_covering_region, has_permission_in, staff_department_ids
from yiwang.regions.selectors import get_region, region_exists, region_prefix

from ..constants import BAD_LEVELS, GOOD_LEVELS, EvaluationLevel, EvaluationStage, RectificationStatus
from ..models import Evaluation, EvaluationAddition, Rectification
from .scope import OVERSEE, RESPOND, supervision_scope_for

SCORECARD_SECONDS = 600
GROUPS = {"item": "item_code", "department": "department_id", "region": "region_id"}


def scorecard_cache_key(item_code: str) -> str:
    return f"supervision:scorecard:{item_code}"


def _is_user(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active)


def _rectification_not_found() -> NotFound:
    return NotFound(_("未找到该整改工单"), code="rectification_not_found")


# Gates --------------------------------------------------------------------------------------------------


def handled_case(*, user: Any, case: Case) -> bool:
    """Whether ``user`` handled the case (claimed or completed a stage, took it in at the window, decided
    it) or is staff of its department: never a rater of it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.pk in (case.window_clerk_id, case.decided_by_id):
        return True
    if CaseTask.objects.filter(Q(claimed_by=user) | Q(completed_by=user), case=case).exists():
        return True
    return case.department_id in staff_department_ids(user)


def case_to_rate(*, actor: Any, number: str) -> Case:
    """The case a logged-in actor asks to rate: its applicant side, or staff who handled it (whom the
    service then refuses with a clear, audited error); NotFound for everybody else, alike."""
    value = normalize_case_number(number or "")
    case = (
        Case.objects.select_related("implementation__item", "department", "applicant")
        .filter(number=value)
        .first()
        if _is_user(actor) and value
        else None
    )
    if case is None or not (is_applicant_side(actor=actor, case=case) or handled_case(user=actor, case=case)):
        raise NotFound(_("未找到该办件，请核对办件编号"), code="case_not_found")
    return case


def evaluation_of(*, case: Case, stage: str = EvaluationStage.SERVICE) -> Evaluation | None:
    return (
        Evaluation.objects.filter(case=case, stage=stage)
        .select_related("rectification")
        .prefetch_related("additions")
        .first()
    )


def access_own_evaluation(*, actor: Any, number: str, stage: str = EvaluationStage.SERVICE) -> Evaluation:
    """The rater's own rating of the case (for additions); NotFound for everybody else."""
    if not _is_user(actor):
        raise NotFound(_("未找到该评价"), code="evaluation_not_found")
    evaluation = (
        Evaluation.objects.select_related("case__department", "case__implementation__item")
        .filter(case__number=(number or "").strip().upper(), stage=stage, rater=actor)
        .first()
    )
    if evaluation is None:
        raise NotFound(_("未找到该评价"), code="evaluation_not_found")
    return evaluation


def list_my_evaluations(
    *, actor: Any, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Evaluation]:
    queryset = Evaluation.objects.none()
    if _is_user(actor):
        queryset = (
            Evaluation.objects.filter(rater=actor)
            .select_related("case__implementation", "case__department", "rectification")
            .prefetch_related("additions", "rectification__revisits")
        )
    return paginate(queryset, ordering=("-created_at", "-id"), cursor=cursor, limit=limit)


def list_rectifications(
    *, actor: Any, status: str | None = None, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Rectification]:
    """The tickets in the actor's supervision scope (a head: their department; a supervisor: their
    region), soonest due first; empty for everybody else."""
    if status and status not in RectificationStatus.values:
        raise InvalidInput(_("未知的工单状态"), code="invalid_status")
    scope = supervision_scope_for(actor)
    queryset = Rectification.objects.none()
    if not scope.is_empty:
        queryset = Rectification.objects.filter(scope.q()).select_related(
            "evaluation__case__implementation", "department"
        )
        if status:
            queryset = queryset.filter(status=status)
    return paginate(queryset, ordering=("due_on", "id"), cursor=cursor, limit=limit)


def access_rectification(*, actor: Any, rectification_id: int) -> Rectification:
    """A ticket in the actor's supervision scope; NotFound for anybody else (missing alike)."""
    scope = supervision_scope_for(actor)
    if scope.is_empty:
        raise _rectification_not_found()
    rectification = (
        Rectification.objects.filter(scope.q(), pk=rectification_id)
        .select_related("evaluation__case__implementation", "department", "region", "appeal")
        .prefetch_related("revisits__revisited_by", "evaluation__additions")
        .first()
    )
    if rectification is None:
        raise _rectification_not_found()
    return rectification


def rectification_for_rater(*, actor: Any, rectification_id: int) -> Rectification:
    """The citizen follows the ticket of their own rating (status, measures, revisits)."""
    if not _is_user(actor):
        raise _rectification_not_found()
    rectification = (
        Rectification.objects.filter(pk=rectification_id, evaluation__rater=actor)
        .select_related("evaluation__case__implementation", "department")
        .prefetch_related("revisits")
        .first()
    )
    if rectification is None:
        raise _rectification_not_found()
    return rectification


def may_respond(*, actor: Any, rectification: Rectification) -> bool:
    """The department head of the ticket (measures, appeal)."""
    return has_permission_in(
        actor=actor,
        permission=RESPOND,
        department_id=rectification.department_id,
        region_code=rectification.region_id,
    )


def may_oversee(*, actor: Any, rectification: Rectification) -> bool:
    """A supervisor over the ticket's region (revisit, the appeal's decision)."""
    return (
        assignment_covering_region(actor=actor, permission=OVERSEE, region_code=rectification.region_id)
        is not None
    )


# Rates --------------------------------------------------------------------------------------------------


def current_level() -> Coalesce:
    """The expression of a rating's current level: the latest addition's new level, else the first one."""
    latest = (
        EvaluationAddition.objects.filter(evaluation=OuterRef("pk"), level__isnull=False)
        .order_by("-created_at", "-pk")
        .values("level")[:1]
    )
    return Coalesce(Subquery(latest), "level", output_field=IntegerField())


@dataclass(frozen=True)
class Rate:
    key: str
    total: int
    good: int
    bad: int

    @property
    def satisfaction(self) -> float | None:
        return round(self.good / self.total, 4) if self.total else None

    @property
    def negative_rate(self) -> float | None:
        return round(self.bad / self.total, 4) if self.total else None


def _period(start: dt.date | None, end: dt.date | None) -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(created_at__gte=_midnight(start))
    if end is not None:
        condition &= Q(created_at__lt=_midnight(end + dt.timedelta(days=1)))
    return condition


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def rates(
    *, by: str, start: dt.date | None = None, end: dt.date | None = None, region_code: str | None = None
) -> list[Rate]:
    """Positive and negative rates per item, department or region over [start, end] (counted ratings)."""
    if by not in GROUPS:
        raise InvalidInput(_("统计维度须为 item、department 或 region"), code="invalid_group")
    field_name = GROUPS[by]
    queryset = Evaluation.objects.filter(_period(start, end), counted=True).annotate(
        current_level=current_level()
    )
    if region_code:
        if not region_exists(code=region_code):
            raise InvalidInput(_("未知的行政区划"), code="invalid_region")
        region = get_region(code=region_code)
        queryset = queryset.filter(region__pk__startswith=region_prefix(code=region.code, level=region.level))
    rows = (
        queryset.values(field_name)
        .annotate(
            total=Count("pk"),
            good=Count("pk", filter=Q(current_level__in=[int(level) for level in GOOD_LEVELS])),
            bad=Count("pk", filter=Q(current_level__in=[int(level) for level in BAD_LEVELS])),
        )
        .order_by(field_name)
    )
    return [
        Rate(key=str(row[field_name]), total=row["total"], good=row["good"], bad=row["bad"]) for row in rows
    ]


# The public scorecard -----------------------------------------------------------------------------------


@dataclass
class Scorecard:
    item_code: str
    total: int = 0
    distribution: list[tuple[int, str, int]] = field(default_factory=list)  # (level, label, count)
    satisfaction: float | None = None
    rectifications_done: int = 0
    rectifications_open: int = 0
    average_days_to_close: float | None = None

    @property
    def satisfaction_percent(self) -> str:
        return f"{self.satisfaction * 100:.1f}" if self.satisfaction is not None else ""


def _closed_on(rectification: Rectification) -> dt.date | None:
    revisits = [revisit.revisited_at for revisit in rectification.revisits.all()]
    moment = max(revisits) if revisits else rectification.rectified_at
    return timezone.localdate(moment) if moment else None


def _compute_scorecard(item_code: str) -> Scorecard:
    evaluations = Evaluation.objects.filter(item_code=item_code, counted=True).annotate(
        current_level=current_level()
    )
    counts = {
        row["current_level"]: row["n"] for row in evaluations.values("current_level").annotate(n=Count("pk"))
    }
    total = sum(counts.values())
    good = sum(counts.get(int(level), 0) for level in GOOD_LEVELS)
    card = Scorecard(
        item_code=item_code,
        total=total,
        distribution=[(int(level), str(level.label), counts.get(int(level), 0)) for level in EvaluationLevel],
        satisfaction=round(good / total, 4) if total else None,
    )
    tickets = Rectification.objects.filter(evaluation__item_code=item_code)
    card.rectifications_open = tickets.filter(
        status__in=[RectificationStatus.OPEN, RectificationStatus.RECTIFIED, RectificationStatus.APPEALED]
    ).count()
    closed = list(tickets.filter(status=RectificationStatus.CLOSED).prefetch_related("revisits"))
    card.rectifications_done = len(closed)
    if closed:
        calendar = load_calendar()
        spans = []
        for ticket in closed:
            closed_on = _closed_on(ticket)
            if closed_on is not None:
                spans.append(calendar.working_days_between(timezone.localdate(ticket.created_at), closed_on))
        card.average_days_to_close = round(sum(spans) / len(spans), 1) if spans else None
    return card


def item_scorecard(*, item_code: str) -> Scorecard:
    """The public scorecard of a service item (its guide page): cached; dropped when a rating or a
    ticket of the item changes."""
    key = scorecard_cache_key(item_code)
    card = cache.get(key)
    if card is None:
        card = _compute_scorecard(item_code)
        cache.set(key, card, SCORECARD_SECONDS)
    return card
