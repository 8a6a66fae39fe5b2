"""Housekeeping: events whose every delivery was delivered long enough ago leave the outbox."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event

from ..constants import AuditAction, DeliveryStatus
from ..models import Delivery, OutboxEvent


@transaction.atomic
def prune_outbox(*, older_than: dt.timedelta, batch: int = 10_000) -> int:
    """Delete up to ``batch`` events older than ``older_than`` that have nothing left to deliver.

    An event with a pending, failing or dead delivery stays (a dead letter waits for its replay).
    Returns how many events were deleted; their deliveries go with them.
    """
    cutoff = timezone.now() - older_than
    unfinished = Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).values("event_id")
    ids = list(
        OutboxEvent.objects.filter(occurred_at__lt=cutoff)
        .exclude(pk__in=unfinished)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    Delivery.objects.filter(event_id__in=ids).delete()
    OutboxEvent.objects.filter(pk__in=ids).delete()
    record_event(
        action=AuditAction.OUTBOX_PRUNED,
        object_type="notifications.outboxevent",
        details={"events": len(ids), "older_than_days": older_than.days, "cutoff": cutoff.isoformat()},
    )
    return len(ids)
