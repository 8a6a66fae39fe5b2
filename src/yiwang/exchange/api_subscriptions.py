"""/api/v1/exchange/subscriptions: a consuming system subscribes its own live grants to change notices.

Client credentials with scope ``exchange``, as the other exchange calls; every answer, a refusal included
(a missing token, a bad body), is the signed envelope ``{"payload", "signature"}`` of ``exchange.api``
(see ``/exchange/signing-key``). The notices themselves arrive as signed webhooks (docs/notifications.md),
topic ``exchange.change``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from yiwang.core.api_auth import system_scope
from yiwang.core.errors import DomainError
from yiwang.core.pagination import paginate
from yiwang.core.schemas import PageQuery, render_page

from .api import SIGNED, SignedAnswerOut, _refusal, _signed_errors
from .constants import EXCHANGE_SCOPE
from .selectors.subscriptions import describe_subscription, list_system_subscriptions
from .services.subscriptions import MAX_URL_LENGTH, cancel_system_subscription, subscribe_system
from .signing import signed

router = Router(tags=["exchange"])
_ANSWERS = {**SIGNED, 409: SignedAnswerOut}  # every status signed, as on the other exchange routes


class SubscriptionIn(Schema):
    grant: int = Field(description="本系统的有效授权编号（见 /exchange/methods 的 grant）")
    url: str = Field(
        min_length=1, max_length=MAX_URL_LENGTH, description="接收推送的 https 地址（本部门业务系统）"
    )
    kinds: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="变更类型，如 death_registered、address_changed、enterprise_deregistered、"
        "record_corrected、license_revoked；不传为该资源的全部类型",
    )


class SubscriptionsQuery(PageQuery):
    include_cancelled: bool = Field(False, description="是否包含已取消的订阅")


def _answer(call: Callable[[], dict[str, Any]], *, status: int = 200) -> Status:
    """The call's payload, or its refusal, signed either way (as every exchange answer)."""
    try:
        return Status(status, signed(call()))
    except DomainError as error:
        return Status(error.status, signed(_refusal(error.code, error.message, error.details)))


def _page(request, query: SubscriptionsQuery) -> dict[str, Any]:
    rows = list_system_subscriptions(system=request.auth_client, include_cancelled=query.include_cancelled)
    page = paginate(rows, ordering=("-created_at", "-id"), cursor=query.cursor, limit=query.limit)
    return {
        "system": request.auth_client.client_id,
        **render_page(page, describe_subscription),
        "answered_at": timezone.now().isoformat(),
    }


@router.get(
    "/exchange/subscriptions",
    response=_ANSWERS,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="本系统的变更订阅（分页：items、next_cursor）",
)
@decorate_view(_signed_errors)
def list_subscriptions(request, query: Query[SubscriptionsQuery]):
    return _answer(lambda: _page(request, query))


@router.post(
    "/exchange/subscriptions",
    response={201: SignedAnswerOut, **_ANSWERS},
    auth=system_scope(EXCHANGE_SCOPE),
    summary="订阅本系统某项有效授权所涉资源的变更通知",
)
@decorate_view(_signed_errors)
def create_subscription(request, payload: SubscriptionIn):
    """Only the system's own live grants (404 grant_not_found otherwise, 409 grant_not_live); the URL is
    checked as every webhook address (no private, loopback or link-local addresses)."""

    def subscribe() -> dict[str, Any]:
        subscription = subscribe_system(
            system=request.auth_client, grant_id=payload.grant, url=payload.url, kinds=payload.kinds
        )
        return {**describe_subscription(subscription), "answered_at": timezone.now().isoformat()}

    return _answer(subscribe, status=201)


@router.delete(
    "/exchange/subscriptions/{subscription_id}",
    response=_ANSWERS,
    auth=system_scope(EXCHANGE_SCOPE),
    summary="取消本系统的一项变更订阅",
)
@decorate_view(_signed_errors)
def delete_subscription(request, subscription_id: int):
    def cancel() -> dict[str, Any]:
        subscription = cancel_system_subscription(system=request.auth_client, subscription_id=subscription_id)
        return {**describe_subscription(subscription), "answered_at": timezone.now().isoformat()}

    return _answer(cancel)
