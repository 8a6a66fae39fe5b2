"""Reads of efficiency supervision: card lists and gates, card counts per department, predictions, anomalies.

Who sees a card: its recipients (the handler sees only the cards that reach them), and whoever's
supervision scope covers its department and region (department heads: their department; supervisors:
every department within their region). Anyone else gets the same 404 as for a card that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from yiwang.core.errors import InvalidInput, NotFound
from yiwang.core.pagination import Page, paginate

from ..constants import CardColor
from ..models import Anomaly, Card, CardRecipient, OverduePrediction
from .scope import OVERSEE, SupervisionScope, supervision_scope_for

CARD_STATES = ("open", "acknowledged")


def _is_staff(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_staff_member)


def visible_cards(*, actor: Any, mine: bool = False) -> QuerySet[Card]:
    """The cards the actor may see: those reaching them, and (unless ``mine``) those in their scope."""
    if not _is_staff(actor):
        return Card.objects.none()
    reaching = Q(Exists(CardRecipient.objects.filter(card=OuterRef("pk"), user=actor)))
    if mine:
        return Card.objects.filter(reaching)
    scope = supervision_scope_for(actor)
    return Card.objects.filter(reaching | scope.q())


def list_cards(
    *,
    actor: Any,
    mine: bool = False,
    color: str = "",
    department_id: int | None = None,
    state: str = "",
    cursor: str | None = None,
    limit: int = 20,
) -> Page[Card]:
    """One page of the actor's cards, newest first; filtered by color, department and state."""
    if color and color not in CardColor.values:
        raise InvalidInput("颜色只能是 yellow 或 red", code="invalid_color")
    if state and state not in CARD_STATES:
        raise InvalidInput("状态只能是 open 或 acknowledged", code="invalid_state")
    cards = visible_cards(actor=actor, mine=mine).select_related("case", "department", "task")
    if color:
        cards = cards.filter(color=color)
    if department_id is not None:
        cards = cards.filter(department_id=department_id)
    if state == "open":
        cards = cards.filter(acknowledged_at__isnull=True)
    elif state == "acknowledged":
        cards = cards.filter(acknowledged_at__isnull=False)
    return paginate(cards, ordering=["-raised_on", "-id"], cursor=cursor, limit=limit)


def access_card(*, actor: Any, card_id: int) -> Card:
    """The card if the actor may see it, else 404 ``card_not_found`` (as for one that does not exist)."""
    card = (
        visible_cards(actor=actor)
        .select_related("case", "case__implementation", "department", "region", "task")
        .filter(pk=card_id)
        .first()
    )
    if card is None:
        raise NotFound("未找到该黄红牌", code="card_not_found")
    return card


def card_recipients(*, card: Card) -> list[CardRecipient]:
    return list(CardRecipient.objects.filter(card=card).select_related("user").order_by("role", "pk"))


def pending_roles_of(*, card: Card, actor: Any) -> list[str]:
    """The roles in which the actor still has to acknowledge the card (empty: nothing to do)."""
    if not _is_staff(actor):
        return []
    return list(
        CardRecipient.objects.filter(card=card, user=actor, acknowledged_at__isnull=True).values_list(
            "role", flat=True
        )
    )


@dataclass(frozen=True)
class DepartmentCardCount:
    department_id: int
    department_name: str
    yellow: int
    red: int
    unacknowledged: int


def card_counts(*, scope: SupervisionScope, since: dt.date | None = None) -> list[DepartmentCardCount]:
    """Cards per department within ``scope`` raised on or after ``since`` (all, when None): yellow, red,
    and not yet acknowledged by every recipient; departments with most red cards first. For dashboards."""
    cards = Card.objects.filter(scope.q())
    if since is not None:
        cards = cards.filter(raised_on__gte=since)
    rows = (
        cards.values("department_id", "department__name")
        .annotate(
            yellow=Count("pk", filter=Q(color=CardColor.YELLOW)),
            red=Count("pk", filter=Q(color=CardColor.RED)),
            unacknowledged=Count("pk", filter=Q(acknowledged_at__isnull=True)),
        )
        .order_by("-red", "-yellow", "department_id")
    )
    return [
        DepartmentCardCount(
            department_id=row["department_id"],
            department_name=row["department__name"],
            yellow=row["yellow"],
            red=row["red"],
            unacknowledged=row["unacknowledged"],
        )
        for row in rows
    ]


def list_predictions(
    *, actor: Any, department_id: int | None = None, cursor: str | None = None, limit: int = 20
) -> Page[OverduePrediction]:
    """The predicted overdue cases in the actor's scope, soonest predicted date first."""
    if not _is_staff(actor):
        predictions = OverduePrediction.objects.none()
    else:
        predictions = OverduePrediction.objects.filter(supervision_scope_for(actor).q())
    if department_id is not None:
        predictions = predictions.filter(department_id=department_id)
    predictions = predictions.select_related("case", "department")
    return paginate(predictions, ordering=["predicted_on", "id"], cursor=cursor, limit=limit)


def list_anomalies(
    *, actor: Any, reviewed: bool | None = None, cursor: str | None = None, limit: int = 20
) -> Page[Anomaly]:
    """The anomalies in the actor's scope (an anomaly without a department: supervisors only)."""
    if not _is_staff(actor):
        anomalies = Anomaly.objects.none()
    else:
        scope = supervision_scope_for(actor)
        condition = scope.q()
        if scope.region_prefixes:
            condition |= Q(department__isnull=True, region__isnull=True)
        anomalies = Anomaly.objects.filter(condition)
    if reviewed is not None:
        anomalies = anomalies.filter(reviewed_at__isnull=not reviewed)
    anomalies = anomalies.select_related("department", "implementation", "case")
    return paginate(anomalies, ordering=["-found_at", "-id"], cursor=cursor, limit=limit)


def access_anomaly_for_review(*, actor: Any, anomaly_id: int) -> Anomaly:
    """An anomaly a supervisor (``supervision.oversee`` over its region) may review, else 404."""
    scope = supervision_scope_for(actor, permission=OVERSEE) if _is_staff(actor) else None
    if scope is None or not scope.region_prefixes:
        raise NotFound("未找到该异常", code="anomaly_not_found")
    condition = Q(department__isnull=True, region__isnull=True)
    for prefix in scope.region_prefixes:
        condition |= Q(region__code__startswith=prefix)
    anomaly = Anomaly.objects.filter(condition, pk=anomaly_id).first()
    if anomaly is None:
        raise NotFound("未找到该异常", code="anomaly_not_found")
    return anomaly
