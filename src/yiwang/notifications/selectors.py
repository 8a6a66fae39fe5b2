"""Reads of notifications: the platform's webhook public key, deliveries, the notices of departments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from .models import Delivery, Notice, WebhookEndpoint
from .signing import platform_key, public_key_pem


def get_webhook_public_key() -> dict[str, str]:
    """The key id and PEM public key receivers check webhook signatures with."""
    key = platform_key()
    return {"key_id": key.key_id, "public_key_pem": public_key_pem(key)}


def list_endpoints(
    *,
    department: Any = None,
    application: Any = None,
    topic: str | None = None,
    is_active: bool | None = True,
) -> QuerySet[WebhookEndpoint]:
    """Endpoints of a department and/or a system (OIDC client), optionally only those taking ``topic``."""
    rows = WebhookEndpoint.objects.select_related("department").order_by("id")
    if department is not None:
        rows = rows.filter(department=department)
    if application is not None:
        rows = rows.filter(application=application)
    if is_active is not None:
        rows = rows.filter(is_active=is_active)
    if topic is not None:
        # a prefilter; topic_set decides (a longer topic containing this one is another topic)
        matching = [row.pk for row in rows.filter(topics__contains=topic) if topic in row.topic_set]
        rows = rows.filter(pk__in=matching)
    return rows


def list_deliveries(*, event_id: str | None = None, endpoint_id: int | None = None) -> QuerySet[Delivery]:
    rows = Delivery.objects.select_related("event", "endpoint").order_by("-id")
    if event_id is not None:
        rows = rows.filter(event__event_id=event_id)
    if endpoint_id is not None:
        rows = rows.filter(endpoint_id=endpoint_id)
    return rows


def list_notices(*, department_ids: Iterable[int], recipient: Any = None) -> QuerySet[Notice]:
    """The notices to the administrators of ``department_ids`` and those addressed to ``recipient``."""
    condition = Q(department_id__in=sorted(department_ids))
    if recipient is not None and getattr(recipient, "is_authenticated", False):
        condition |= Q(recipient=recipient)
    return Notice.objects.filter(condition).select_related("department").order_by("-created_at", "-id")
