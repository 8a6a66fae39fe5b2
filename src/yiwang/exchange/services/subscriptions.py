"""Subscriptions: a consuming system is told of changes to a resource it holds a live grant for.

A register (or the license library) announces a change with ``core.changes.announce_now`` inside its
transaction; ``notify_register_change`` / ``notify_license_revoked`` (subscribed in ``ExchangeConfig.ready``)
find the live subscriptions of the resources published from that source and write, for each, one outbox
event (topic ``exchange.change``) carrying the record's key and the changed items only as far as the
grant covers them, masked as the grant says. Each such disclosure is a data use: it is logged as a read
of the data subject (ground: the grant, channel: webhook), so the resident's tracker shows it. The event
id is derived from the change and the subscription, so announcing the same change again writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import Application

from yiwang.audit.constants import GroundKind
from yiwang.audit.selectors import system_has_read_subject
from yiwang.audit.services import record_event, record_read
from yiwang.core import call_context
from yiwang.core.changes import ChangeKind
from yiwang.core.errors import Conflict, InvalidInput, NotFound
from yiwang.identity.selectors import assignment_with_permission
from yiwang.notifications.models import OutboxEvent, WebhookEndpoint
from yiwang.notifications.selectors import list_endpoints
from yiwang.notifications.services import create_endpoint, enqueue_event
from yiwang.registers.constants import RegisterCode

from ..constants import MANAGE_PERMISSION, DataType, Mask
from ..masking import mask_value
from ..models import Grant, Subscription
from ..selectors.sources import LICENSE_LIBRARY_SOURCE

if TYPE_CHECKING:
    from yiwang.identity.models import User

CHANGE_TOPIC = "exchange.change"
SUBSCRIBED = "exchange.subscribed"
SUBSCRIPTION_CANCELLED = "exchange.subscription_cancelled"
CHANGE_NOTIFIED = "exchange.change_notified"
# Resource.source of the e-license library (published by the exchange's catalog, licenses' data).
LICENSE_SOURCE = LICENSE_LIBRARY_SOURCE
# What each source announces; a subscription names some of them, or none for all.
CHANGE_KINDS: dict[str, tuple[str, ...]] = {
    RegisterCode.POPULATION: (
        ChangeKind.DEATH_REGISTERED,
        ChangeKind.ADDRESS_CHANGED,
        ChangeKind.RECORD_CORRECTED,
    ),
    RegisterCode.LEGAL_PERSON: (ChangeKind.ENTERPRISE_DEREGISTERED, ChangeKind.RECORD_CORRECTED),
    RegisterCode.REAL_ESTATE: (ChangeKind.RECORD_CORRECTED,),
    LICENSE_SOURCE: (ChangeKind.LICENSE_REVOKED,),
}
# The item that names the record in a notice; a grant without it could never be told anything.
KEY_ITEMS: dict[str, str] = {
    RegisterCode.POPULATION: "id_number",
    RegisterCode.LEGAL_PERSON: "credit_code",
    RegisterCode.REAL_ESTATE: "certificate_number",
    LICENSE_SOURCE: "identifier",
}
# Event ids are uuid5(namespace, change reference / subscription): the same change, the same event.
_EVENT_NAMESPACE = uuid.UUID("6b3f1d1e-6a0c-4c53-9a51-2f1c0e6e0b07")
_SHOWN = (Mask.FULL, Mask.PARTIAL)
MAX_URL_LENGTH = 500


def change_kinds_of(source: str) -> tuple[str, ...]:
    """The change kinds a resource published from ``source`` announces (none: it cannot be subscribed)."""
    return CHANGE_KINDS.get(source, ())


# Subscribing and cancelling -----------------------------------------------------------------------


def _checked_kinds(grant: Grant, kinds: Iterable[str]) -> str:
    offered = change_kinds_of(grant.resource.source)
    if not offered:
        raise InvalidInput("该资源暂不提供变更通知", code="resource_not_subscribable")
    key_item = KEY_ITEMS.get(grant.resource.source, "")
    if grant.masks.get(key_item) not in _SHOWN:
        raise InvalidInput(
            "该授权不含记录的主键信息项，无法接收变更通知；请先申请含该信息项的授权",
            code="key_item_not_granted",
            key_item=key_item,
        )
    wanted = sorted({kind for kind in kinds if kind})
    unknown = [kind for kind in wanted if kind not in offered]
    if unknown:
        raise InvalidInput(
            "该资源不提供这些变更类型：" + "、".join(unknown), code="unknown_change_kind", kinds=list(offered)
        )
    return " ".join(wanted)


def _endpoint_for(grant: Grant, url: str, *, actor: User | None) -> WebhookEndpoint:
    """The consuming system's active endpoint at ``url``, registered (SSRF-checked) when there is none."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"推送地址不能为空，且不超过 {MAX_URL_LENGTH} 个字符", code="invalid_url")
    for endpoint in list_endpoints(department=grant.consumer, application=grant.system):
        if endpoint.url == url:
            return endpoint
    return create_endpoint(
        department=grant.consumer,
        application=grant.system,
        name=f"{grant.system.name}（变更通知）"[:100],
        url=url,
        created_by=actor,
        topics=[CHANGE_TOPIC],
    )


def _locked_grant(grant_id: int) -> Grant:
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("resource__provider", "consumer", "system")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise NotFound("未找到该共享授权", code="grant_not_found")
    return grant


def _subscribe(
    grant: Grant, *, url: str, kinds: Iterable[str], actor: User | None, role: Any
) -> Subscription:
    if grant.revoked_at is not None or grant.ends_on < timezone.localdate():
        raise Conflict("该授权已撤销或已过期，不能订阅", code="grant_not_live")
    kinds_text = _checked_kinds(grant, kinds)
    endpoint = _endpoint_for(grant, url, actor=actor)
    if Subscription.objects.filter(grant=grant, endpoint=endpoint, cancelled_at__isnull=True).exists():
        raise Conflict("该授权已订阅到此推送地址", code="already_subscribed")
    subscription = Subscription.objects.create(
        grant=grant,
        endpoint=endpoint,
        kinds=kinds_text,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        action=SUBSCRIBED,
        actor=actor,
        target=subscription,
        department=grant.consumer,
        system=grant.system.client_id,
        details={"grant": grant.pk, "endpoint": endpoint.pk, "kinds": kinds_text, "url": endpoint.url},
        **_role_facts(role),
    )
    return subscription


def _role_facts(role: Any) -> dict[str, Any]:
    if role is None:
        return {}
    return {"actor_role": role.role, "actor_department": role.department, "actor_region_code": role.region_id}


@transaction.atomic
def subscribe_grant(*, actor: User, grant_id: int, url: str, kinds: Iterable[str] = ()) -> Subscription:
    """The consumer's data administrator subscribes a live grant's system to changes, pushed to ``url``.

    The endpoint is registered for the consuming department and its system (or reused when it is
    already registered at that URL). ``kinds`` narrows the change kinds; none means all the resource has.
    """
    grant = _locked_grant(grant_id)
    role = assignment_with_permission(
        actor=actor, permission=MANAGE_PERMISSION, department_id=grant.consumer_id
    )
    if role is None:  # the provider and strangers alike: only the consumer subscribes its grants
        raise NotFound("未找到该共享授权", code="grant_not_found")
    return _subscribe(grant, url=url, kinds=kinds, actor=actor, role=role)


@transaction.atomic
def subscribe_system(
    *, system: Application, grant_id: int, url: str, kinds: Iterable[str] = ()
) -> Subscription:
    """A consuming system subscribes one of its own live grants (client credentials, no person)."""
    grant = _locked_grant(grant_id)
    if grant.system_id != system.pk:
        raise NotFound("未找到该共享授权", code="grant_not_found")
    return _subscribe(grant, url=url, kinds=kinds, actor=None, role=None)


def _cancel(subscription: Subscription, *, actor: User | None, role: Any) -> Subscription:
    if subscription.cancelled_at is not None:
        raise Conflict("该订阅已取消", code="subscription_already_cancelled")
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["cancelled_at"])
    record_event(
        action=SUBSCRIPTION_CANCELLED,
        actor=actor,
        target=subscription,
        department=subscription.grant.consumer,
        system=subscription.grant.system.client_id,
        details={"grant": subscription.grant_id, "endpoint": subscription.endpoint_id},
        **_role_facts(role),
    )
    return subscription


def _locked_subscription(subscription_id: int) -> Subscription:
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("grant__consumer", "grant__system")
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None:
        raise NotFound("未找到该订阅", code="subscription_not_found")
    return subscription


@transaction.atomic
def cancel_subscription(*, actor: User, subscription_id: int) -> Subscription:
    """The consumer's data administrator ends a subscription; events already written still go out."""
    subscription = _locked_subscription(subscription_id)
    role = assignment_with_permission(
        actor=actor, permission=MANAGE_PERMISSION, department_id=subscription.grant.consumer_id
    )
    if role is None:
        raise NotFound("未找到该订阅", code="subscription_not_found")
    return _cancel(subscription, actor=actor, role=role)


@transaction.atomic
def cancel_system_subscription(*, system: Application, subscription_id: int) -> Subscription:
    """A consuming system ends one of its own subscriptions."""
    subscription = _locked_subscription(subscription_id)
    if subscription.grant.system_id != system.pk:
        raise NotFound("未找到该订阅", code="subscription_not_found")
    return _cancel(subscription, actor=None, role=None)


# Telling the subscribers (in the change's transaction) --------------------------------------------


def _typed(value: Any, data_type: str | None) -> Any:
    """A plain JSON value back to what masking expects: dates as dates, amounts as decimals."""
    try:
        if data_type == DataType.DATE and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if data_type == DataType.NUMBER and isinstance(value, str):
            return Decimal(value)
    except (ValueError, InvalidOperation):
        return value
    return value


def _disclosure(grant: Grant, *, key_item: str, key: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """The key and the changed items as the grant lets its system see them; None when it covers neither."""
    masks = grant.masks
    changed = sorted(code for code in changes if masks.get(code) in _SHOWN)
    if masks.get(key_item) not in _SHOWN or not changed:
        return None
    types = {item.code: item.data_type for item in grant.resource.items.all()}
    return {
        "key_item": key_item,
        "key": mask_value(key, masks[key_item]),
        "items": {
            code: mask_value(_typed(changes[code]["new"], types.get(code)), masks[code]) for code in changed
        },
        "masks": {code: masks[code] for code in sorted({key_item, *changed})},
    }


def _concerns_system(subscription: Subscription, *, shown: dict[str, Any], subjects: list[str]) -> bool:
    """Personal data is pushed only about people the system already has a case about.

    A grant lets a system read a person's record for a case; it does not make every change of every
    resident its business. So a notice carrying personal items goes only to a system that was allowed
    to read one of the record's subjects before (under any case; the pushed notices do not count).
    Non-personal notices (an enterprise deregistered) go to every subscriber.
    """
    items = {item.code: item for item in subscription.grant.resource.items.all()}
    if not any(items[code].is_personal for code in shown["masks"] if code in items):
        return True
    return system_has_read_subject(
        system=subscription.grant.system.client_id, subjects=subjects, excluding=(CHANGE_NOTIFIED,)
    )


def _live_subscriptions(source: str, kind: str) -> list[Subscription]:
    rows = (
        Subscription.objects.filter(
            cancelled_at__isnull=True,
            endpoint__is_active=True,
            grant__resource__source=source,
            grant__revoked_at__isnull=True,
            grant__ends_on__gte=timezone.localdate(),
        )
        .select_related("grant__resource__provider", "grant__consumer", "grant__system", "endpoint")
        .prefetch_related("grant__resource__items")
        .order_by("pk")
    )
    return [row for row in rows if not row.kinds or kind in row.kinds.split()]


def _log_disclosure(
    subscription: Subscription, *, subjects: list[str], shown: dict[str, Any], event_id: str, kind: str
):
    """A read of each data subject by the consuming system, under its grant, through the webhook."""
    grant = subscription.grant
    with call_context.bound(channel=call_context.Channel.WEBHOOK):
        for subject in subjects:
            record_read(
                action=CHANGE_NOTIFIED,
                subject=subject,
                fields=sorted(shown["masks"]),
                purpose=grant.purpose,
                system=grant.system.client_id,
                on_behalf_of=grant.consumer.name,
                actor_department=grant.consumer,
                department=grant.resource.provider,
                target=subscription,
                ground_kind=GroundKind.GRANT,
                ground_ref=f"#{grant.pk} {grant.purpose}",
                details={"resource": grant.resource.code, "kind": kind, "event_id": event_id},
            )


def _notify(
    *,
    source: str,
    kind: str,
    key_item: str,
    key: str,
    subjects: list[str],
    changes: dict,
    occurred_at: str,
    ref: str,
) -> int:
    """One outbox event per live subscription whose grant covers the change; how many were written."""
    written = 0
    moment = dt.datetime.fromisoformat(occurred_at)
    for subscription in _live_subscriptions(source, kind):
        shown = _disclosure(subscription.grant, key_item=key_item, key=key, changes=changes)
        event_id = str(uuid.uuid5(_EVENT_NAMESPACE, f"{ref}/{subscription.pk}"))
        if shown is None or OutboxEvent.objects.filter(event_id=event_id).exists():
            continue
        if not _concerns_system(subscription, shown=shown, subjects=subjects):
            continue
        payload = {
            "event_id": event_id,
            "resource": subscription.grant.resource.code,
            "kind": kind,
            "occurred_at": occurred_at,
            "grant": subscription.grant_id,
            "subscription": subscription.pk,
            **shown,
        }
        enqueue_event(
            topic=CHANGE_TOPIC,
            payload=payload,
            endpoints=[subscription.endpoint],
            event_id=event_id,
            occurred_at=moment,
        )
        _log_disclosure(subscription, subjects=subjects, shown=shown, event_id=event_id, kind=kind)
        written += 1
    return written


def notify_register_change(
    *,
    register: str,
    key: str,
    key_field: str,
    kind: str,
    changes: dict[str, Any],
    occurred_at: str,
    change_id: int,
    subjects: list[str] | None = None,
    **_more: Any,
) -> None:
    """core.changes REGISTER_CHANGED subscriber: tell the subscribers of the register's resources."""
    _notify(
        source=register,
        kind=kind,
        key_item=key_field,
        key=key,
        subjects=subjects if subjects is not None else [key],
        changes=changes,
        occurred_at=occurred_at,
        ref=f"registers.{register}.{change_id}",
    )


def notify_license_revoked(
    *,
    identifier: str,
    holder_code: str,
    kind: str,
    changes: dict[str, Any],
    occurred_at: str,
    change_id: int,
    **_more: Any,
) -> None:
    """core.changes LICENSE_REVOKED subscriber: tell the subscribers of the e-license library, if any."""
    _notify(
        source=LICENSE_SOURCE,
        kind=kind,
        key_item="identifier",
        key=identifier,
        subjects=[holder_code],
        changes=changes,
        occurred_at=occurred_at,
        ref=f"licenses.{change_id}",
    )
