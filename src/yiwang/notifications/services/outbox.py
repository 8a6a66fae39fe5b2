"""The outbox: an event and its deliveries are rows written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.crypto import canonicalize
from yiwang.core.errors import InvalidInput

from .. import selectors
from ..models import Delivery, OutboxEvent, WebhookEndpoint


def _endpoints_for(topic: str, endpoints: Iterable[WebhookEndpoint] | None) -> list[WebhookEndpoint]:
    if endpoints is not None:
        unique = {endpoint.pk: endpoint for endpoint in endpoints if endpoint.is_active}  # named twice: once
        return list(unique.values())
    return list(selectors.list_endpoints(topic=topic))


@transaction.atomic
def enqueue_event(
    *,
    topic: str,
    payload: dict[str, Any],
    endpoints: Iterable[WebhookEndpoint] | None = None,
    event_id: uuid.UUID | str | None = None,
    occurred_at: dt.datetime | None = None,
) -> OutboxEvent:
    """Write ``payload`` under ``topic`` with one pending delivery per active endpoint, in this transaction.

    ``endpoints`` names the receivers (the caller's business rules chose them); without it, every active
    endpoint whose topics include ``topic``. An ``event_id`` already written returns that event unchanged,
    so a retried caller does not announce its change twice.
    """
    if not topic or len(topic) > 100:
        raise InvalidInput(_("事件主题不能为空，且不超过 100 个字符。"))
    if event_id is not None:
        existing = OutboxEvent.objects.filter(event_id=event_id).first()
        if existing is not None:
            return existing
    try:
        canonicalize(payload)  # refuse now what could never be signed later (NaN, non-JSON values)
    except (TypeError, ValueError):
        raise InvalidInput(_("事件内容不是可签名的 JSON。")) from None
    now = timezone.now()
    event = OutboxEvent.objects.create(
        event_id=event_id or uuid.uuid4(),
        topic=topic,
        payload=payload,
        occurred_at=occurred_at or now,
    )
    Delivery.objects.bulk_create(
        Delivery(event=event, endpoint=endpoint, next_attempt_at=now)
        for endpoint in _endpoints_for(topic, endpoints)
    )
    return event
