"""Delivering due webhooks: claim a batch, POST each outside any transaction, record each outcome.

Claiming (``leasing.claim``, shared with the message deliverer) moves a delivery's ``next_attempt_at`` a
lease ahead and counts the attempt, under ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent
workers take disjoint batches; on SQLite one process delivers. A worker that dies mid-POST leaves the
delivery to be claimed again when its lease ends: delivery is at least once, and receivers deduplicate by
event id.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event

from .. import backoff, constants
from ..constants import AuditAction, DeliveryStatus, NoticeKind
from ..models import Delivery, Notice
from ..signing import body_of, platform_key, sign_body, timestamp
from ..transports import TransportResult, WebhookTransport, webhook_transports
from . import leasing


@dataclass
class DeliveryRun:
    """What one pass did: deliveries claimed, delivered, to be retried, dead-lettered."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "NOTIFICATIONS_WEBHOOK_LEASE", 60)))


def _claim(*, limit: int, now: dt.datetime) -> list[int]:
    due = Delivery.objects.filter(
        status__in=constants.DUE_STATUSES, next_attempt_at__lte=now, endpoint__is_active=True
    ).order_by("next_attempt_at", "id")
    return leasing.claim(due, limit=limit, now=now, lease=_lease())


def _release(ids: list[int]) -> None:
    """Hand back claimed deliveries not tried before the lease would run out: due now, attempt uncounted."""
    leasing.release(Delivery, ids)


def _sending_deadline() -> float:
    """When (monotonic) to stop starting POSTs: one timeout before the lease ends, so none outlives it."""
    timeout = float(getattr(settings, "NOTIFICATIONS_WEBHOOK_TIMEOUT", 10))
    return leasing.sending_deadline(lease=_lease(), timeout=timeout)


def _headers(delivery: Delivery, *, signature: str, key_id: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        constants.HEADER_EVENT_ID: str(delivery.event.event_id),
        constants.HEADER_TOPIC: delivery.event.topic,
        constants.HEADER_TIMESTAMP: timestamp(delivery.event.occurred_at),
        constants.HEADER_SIGNATURE: signature,
        constants.HEADER_SIGNATURE_KEY: key_id,
        constants.HEADER_ATTEMPT: str(delivery.attempts),
    }


def _dead_letter(delivery: Delivery) -> None:
    endpoint = delivery.endpoint
    application = endpoint.application
    Notice.objects.create(
        kind=NoticeKind.DELIVERY_DEAD,
        department=endpoint.department,
        recipient=getattr(application, "user", None),
        title=_("推送失败：%(name)s") % {"name": endpoint.name},
        body=_(
            "事件 %(event)s（%(topic)s）向 %(url)s 投递 %(attempts)d 次均失败，"
            "最后错误：%(error)s。可在排查后重新投递。"
        )
        % {
            "event": delivery.event.event_id,
            "topic": delivery.event.topic,
            "url": endpoint.url,
            "attempts": delivery.attempts,
            "error": delivery.last_error or "-",
        },
        delivery=delivery,
    )
    record_event(
        action=AuditAction.DELIVERY_DEAD,
        target=delivery,
        department=endpoint.department,
        details={
            "event_id": str(delivery.event.event_id),
            "topic": delivery.event.topic,
            "endpoint_id": endpoint.pk,
            "attempts": delivery.attempts,
            "last_error": delivery.last_error,
        },
    )


@transaction.atomic
def _record_delivered(delivered: dict[int, list[int]], *, now: dt.datetime) -> None:
    """Mark the batch's delivered ones in one statement per status code (a commit each would cost more)."""
    for status_code, ids in delivered.items():
        Delivery.objects.filter(id__in=ids).update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=now,
            next_attempt_at=None,
            last_status_code=status_code,
            last_error="",
        )


@transaction.atomic
def _record_failure(*, delivery_id: int, result: TransportResult, now: dt.datetime) -> str:
    delivery = Delivery.objects.select_for_update().select_related("event", "endpoint").get(id=delivery_id)
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:500]
    if delivery.attempts >= backoff.max_attempts():
        delivery.status, delivery.next_attempt_at = DeliveryStatus.DEAD, None
        _dead_letter(delivery)
    else:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = now + dt.timedelta(seconds=backoff.retry_delay(delivery.attempts))
    delivery.save(update_fields=["status", "next_attempt_at", "last_status_code", "last_error"])
    return delivery.status


def _send(transport: WebhookTransport, *, url: str, body: bytes, headers: dict[str, str]) -> TransportResult:
    try:
        return transport.send(url=url, body=body, headers=headers)
    except Exception as error:  # a transport's bug must not wedge the batch: it fails and backs off
        return TransportResult(error=f"{type(error).__name__}: {error}"[:500])


def deliver_due(*, limit: int = 100, now: dt.datetime | None = None) -> DeliveryRun:
    """Claim up to ``limit`` due deliveries and attempt each once (safe to run in several workers)."""
    ids = _claim(limit=limit, now=now or timezone.now())
    run = DeliveryRun(claimed=len(ids))
    if not ids:
        return run
    transport = webhook_transports.configured()
    key = platform_key()
    signed: dict[int, tuple[bytes, str]] = {}  # one signature per event, however many endpoints
    delivered: dict[int, list[int]] = defaultdict(list)
    deliveries = list(Delivery.objects.select_related("event", "endpoint").filter(id__in=ids).order_by("id"))
    deadline = _sending_deadline()
    for position, delivery in enumerate(deliveries):
        if time.monotonic() > deadline:  # slow receivers: leave the rest to the next pass, untried
            _release([later.id for later in deliveries[position:]])
            run.claimed = position
            break
        if delivery.event_id not in signed:
            body = body_of(delivery.event)
            signed[delivery.event_id] = (body, sign_body(body, key=key))
        body, signature = signed[delivery.event_id]
        headers = _headers(delivery, signature=signature, key_id=key.key_id)
        result = _send(transport, url=delivery.endpoint.url, body=body, headers=headers)
        if result.is_delivered and result.status_code is not None:
            delivered[result.status_code].append(delivery.id)
            continue
        status = _record_failure(delivery_id=delivery.id, result=result, now=timezone.now())
        run.retrying += status == DeliveryStatus.FAILED
        run.dead += status == DeliveryStatus.DEAD
    # A worker dying before this line leaves its sent deliveries leased: they go again (at least once).
    _record_delivered(delivered, now=timezone.now())
    run.delivered = sum(len(batch) for batch in delivered.values())
    return run
