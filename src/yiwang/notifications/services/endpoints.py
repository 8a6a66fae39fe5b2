"""Webhook endpoints: registered and changed with an audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput

from ..constants import AuditAction
from ..models import WebhookEndpoint
from ..transports import check_url

CHANGEABLE_FIELDS = ("name", "url", "topics", "is_active")


def _topics_text(topics: Iterable[str] | str) -> str:
    words = topics.split() if isinstance(topics, str) else [str(topic).strip() for topic in topics]
    text = " ".join(sorted({word for word in words if word}))
    if len(text) > 500:
        raise InvalidInput(_("订阅主题过多。"))
    return text


@transaction.atomic
def create_endpoint(
    *,
    department: Any,
    name: str,
    url: str,
    created_by: Any = None,
    application: Any = None,
    topics: Iterable[str] | str = (),
    is_active: bool = True,
) -> WebhookEndpoint:
    """Register where ``department`` (and its system ``application``) receives events."""
    check_url(url, resolve=False)  # resolved again at every attempt: DNS may change after registration
    endpoint = WebhookEndpoint.objects.create(
        department=department,
        application=application,
        name=name,
        url=url,
        topics=_topics_text(topics),
        is_active=is_active,
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    record_event(
        action=AuditAction.ENDPOINT_CREATED,
        actor=created_by,
        target=endpoint,
        department=department,
        details={"url": url, "topics": endpoint.topics, "application_id": application and application.pk},
    )
    return endpoint


@transaction.atomic
def update_endpoint(*, endpoint: WebhookEndpoint, changed_by: Any, **changes: Any) -> WebhookEndpoint:
    """Change an endpoint's name, URL, topics or whether it is active; records the changed fields."""
    unknown = set(changes) - set(CHANGEABLE_FIELDS)
    if unknown:
        raise InvalidInput(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "url" in changes:
        check_url(changes["url"], resolve=False)
    if "topics" in changes:
        changes["topics"] = _topics_text(changes["topics"])
    changed = [name for name, value in changes.items() if getattr(endpoint, name) != value]
    if not changed:
        return endpoint
    for name in changed:
        setattr(endpoint, name, changes[name])
    endpoint.save(update_fields=[*changed, "updated_at"])
    record_event(
        action=AuditAction.ENDPOINT_CHANGED,
        actor=changed_by,
        target=endpoint,
        department=endpoint.department,
        fields=changed,
        details={name: changes[name] for name in changed},
    )
    return endpoint
