"""Reads of notifications: the platform's webhook public key, deliveries, the notices of departments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.errors import NotFound
from yiwang.core.pagination import DEFAULT_LIMIT, Page, paginate

from .constants import NoticeKind
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


# --- a person's inbox (messages sent with notifications.services.notify) ---------------------------

INBOX_ORDERING = ("-created_at", "-id")


def _inbox(user: Any) -> QuerySet[Notice]:
    if not getattr(user, "is_authenticated", False):
        return Notice.objects.none()
    return Notice.objects.filter(recipient=user, kind=NoticeKind.MESSAGE)


def list_inbox(
    *, user: Any, unread_only: bool = False, cursor: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Notice]:
    """The person's messages, newest first, one keyset page at a time."""
    rows = _inbox(user).prefetch_related("dispatches")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return paginate(rows, ordering=INBOX_ORDERING, cursor=cursor, limit=limit)


def list_unread_messages(*, user: Any) -> QuerySet[Notice]:
    """The person's unread messages (for marking them all read)."""
    return _inbox(user).filter(read_at__isnull=True)


def unread_count(*, user: Any) -> int:
    """How many of the person's messages are unread (one COUNT on the inbox index)."""
    return _inbox(user).filter(read_at__isnull=True).count()


def access_message_by_id(*, user: Any, message_id: int) -> Notice:
    """One of the person's messages with its channel copies; NotFound alike for missing and another's."""
    found = _inbox(user).filter(pk=message_id).prefetch_related("dispatches").first()
    if found is None:
        raise NotFound(_("未找到该消息"), code="message_not_found")
    return found
