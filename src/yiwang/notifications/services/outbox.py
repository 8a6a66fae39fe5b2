"""The outbox: an event and its deliveries are rows written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import sql
from yiwang.core.crypto import canonicalize
from yiwang.core.errors import InvalidInput

from ..models import Delivery, OutboxEvent, WebhookEndpoint

_ACTIVE_ENDPOINTS_SQL = (
    "SELECT id, topics FROM notifications_webhookendpoint WHERE is_active = %s ORDER BY id"
)
_ACTIVE_ENDPOINTS_OF_SQL = (
    "SELECT id, topics FROM notifications_webhookendpoint "
    "WHERE is_active = %s AND department_id = %s ORDER BY id"
)


def _endpoint_ids(
    topic: str, endpoints: Iterable[WebhookEndpoint] | None, department_id: int | None
) -> list[int]:
    if endpoints is not None:  # named twice: once
        return list(dict.fromkeys(endpoint.pk for endpoint in endpoints if endpoint.is_active))
    # In SQL: every case action asks (core.sql, ADR 0014). The topic set decides, in Python: a longer
    # topic containing this one is another topic.
    if department_id is None:
        found = sql.values(_ACTIVE_ENDPOINTS_SQL, [True])
    else:
        found = sql.values(_ACTIVE_ENDPOINTS_OF_SQL, [True, department_id])
    return [pk for pk, topics in found if topic in topics.split()]


def enqueue_event(
    *,
    topic: str,
    payload: dict[str, Any],
    endpoints: Iterable[WebhookEndpoint] | None = None,
    department_id: int | None = None,
    event_id: uuid.UUID | str | None = None,
    occurred_at: dt.datetime | None = None,
) -> OutboxEvent:
    """Write ``payload`` under ``topic`` with one pending delivery per active endpoint, in this transaction.

    ``endpoints`` names the receivers (the caller's business rules chose them); without it, every active
    endpoint whose topics include ``topic`` (of the department ``department_id`` if given). An ``event_id``
    already written returns that event unchanged, so a retried caller does not announce its change twice.
    """
    if not topic or len(topic) > 100:
        raise InvalidInput(_("事件主题不能为空，且不超过 100 个字符。"))
    try:
        canonicalize(payload)  # refuse now what could never be signed later (NaN, non-JSON values)
    except (TypeError, ValueError):
        raise InvalidInput(_("事件内容不是可签名的 JSON。")) from None
    receivers = _endpoint_ids(topic, endpoints, department_id)
    now = timezone.now()
    event = OutboxEvent(
        event_id=event_id or uuid.uuid4(), topic=topic, payload=payload, occurred_at=occurred_at or now
    )
    # its text made once (core.sql, ADR 0014): every change writes one. A caller's event_id already
    # written (a retried caller) writes nothing and returns that event; no savepoint is needed for it.
    if event_id is None:
        sql.insert(event)
    elif sql.insert(event, if_absent=True) is None:
        return OutboxEvent.objects.get(event_id=event_id)
    sql.insert_many([Delivery(event=event, endpoint_id=pk, next_attempt_at=now) for pk in receivers])
    return event
