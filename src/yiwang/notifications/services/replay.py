"""Replaying deliveries: dead (or failed, or even delivered) deliveries go back to the queue, audited."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput
from yiwang.regions.models import Department

from ..constants import AuditAction, DeliveryStatus
from ..models import Delivery, WebhookEndpoint


@transaction.atomic
def replay_deliveries(
    *,
    actor: Any = None,
    event_id: uuid.UUID | str | None = None,
    endpoint: WebhookEndpoint | None = None,
    delivery_ids: list[int] | None = None,
    include_delivered: bool = False,
) -> int:
    """Put the matching dead and failed deliveries (and delivered ones if asked) back as due now.

    Attempts start again from zero; the receiver gets the same event id, body and signature, so a
    receiver that already has the event drops it. Returns how many deliveries were replayed.
    """
    if event_id is None and endpoint is None and delivery_ids is None:
        raise InvalidInput(_("请指定事件、推送地址或投递记录。"))
    statuses = [DeliveryStatus.DEAD, DeliveryStatus.FAILED]
    if include_delivered:
        statuses.append(DeliveryStatus.DELIVERED)
    rows = Delivery.objects.select_for_update(of=("self",)).filter(status__in=statuses)
    if event_id is not None:
        rows = rows.filter(event__event_id=event_id)
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    if delivery_ids is not None:
        rows = rows.filter(id__in=delivery_ids)
    chosen = list(rows.values_list("id", "endpoint__department_id", "event__event_id"))
    if not chosen:
        return 0
    Delivery.objects.filter(id__in=[row[0] for row in chosen]).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
    by_department: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for delivery_id, department_id, chosen_event in chosen:
        by_department[department_id].append((delivery_id, str(chosen_event)))
    departments = Department.objects.in_bulk(list(by_department))
    for department_id, rows_of_department in by_department.items():
        record_event(
            action=AuditAction.DELIVERIES_REPLAYED,
            actor=actor,
            object_type="notifications.delivery",
            object_id=str(rows_of_department[0][0]),
            department=departments.get(department_id),
            details={
                "count": len(rows_of_department),
                "delivery_ids": [delivery_id for delivery_id, _event in rows_of_department][:100],
                "event_ids": sorted({event for _id, event in rows_of_department})[:100],
                "include_delivered": include_delivered,
            },
        )
    return len(chosen)
