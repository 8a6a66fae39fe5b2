"""Reads of subscriptions: a data administrator's (both sides of the grant), and a system's own.

The consuming department's data administrators subscribe and cancel; the provider's see who is told of
changes to their data. Missing and forbidden answer alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.core.errors import NotFound
from yiwang.identity.selectors import department_ids_with_permission

from ..constants import MANAGE_PERMISSION
from ..models import Grant, Subscription
from ..services.subscriptions import CHANGE_KINDS, change_kinds_of

if TYPE_CHECKING:
    from yiwang.identity.models import User

__all__ = [
    "access_subscription_by_id",
    "describe_subscription",
    "is_live",
    "list_subscribable_grants",
    "list_subscriptions_for",
    "list_system_subscriptions",
]


def _rows() -> QuerySet[Subscription]:
    return Subscription.objects.select_related(
        "grant__resource__provider", "grant__consumer", "grant__system", "endpoint"
    )


def list_subscriptions_for(*, actor: User | None) -> QuerySet[Subscription]:
    """Subscriptions of the grants the actor's departments consume or provide (as data administrator)."""
    departments = department_ids_with_permission(actor, MANAGE_PERMISSION)
    return _rows().filter(
        Q(grant__consumer_id__in=departments) | Q(grant__resource__provider_id__in=departments)
    )


def access_subscription_by_id(*, actor: User | None, subscription_id: int) -> Subscription:
    subscription = list_subscriptions_for(actor=actor).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound("未找到该订阅", code="subscription_not_found")
    return subscription


def list_system_subscriptions(
    *, system: Application, include_cancelled: bool = False
) -> QuerySet[Subscription]:
    """A consuming system's own subscriptions (live ones unless asked for the cancelled too)."""
    rows = _rows().filter(grant__system=system)
    return rows if include_cancelled else rows.filter(cancelled_at__isnull=True)


def list_subscribable_grants(*, actor: User | None) -> QuerySet[Grant]:
    """Live grants the actor's departments consume, of resources that announce changes."""
    departments = department_ids_with_permission(actor, MANAGE_PERMISSION)
    return (
        Grant.objects.filter(
            consumer_id__in=departments,
            revoked_at__isnull=True,
            ends_on__gte=timezone.localdate(),
            resource__source__in=list(CHANGE_KINDS),
        )
        .select_related("resource", "consumer", "system")
        .order_by("resource__code", "pk")
    )


def is_live(subscription: Subscription) -> bool:
    grant = subscription.grant
    return (
        subscription.cancelled_at is None
        and grant.revoked_at is None
        and grant.ends_on >= timezone.localdate()
        and subscription.endpoint.is_active
    )


def describe_subscription(subscription: Subscription) -> dict[str, Any]:
    """A subscription as its system reads it (plain JSON, for the signed answers)."""
    grant = subscription.grant
    return {
        "id": subscription.pk,
        "grant": grant.pk,
        "resource": grant.resource.code,
        "url": subscription.endpoint.url,
        "kinds": subscription.kinds.split() or list(change_kinds_of(grant.resource.source)),
        "is_live": is_live(subscription),
        "created_at": subscription.created_at.isoformat(),
        "cancelled_at": subscription.cancelled_at.isoformat() if subscription.cancelled_at else None,
    }
