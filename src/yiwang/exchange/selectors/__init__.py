"""Reads of the exchange: the catalog, and the requests and grants a data administrator may see.

A request or grant is visible to the data administrators of both departments (provider and consumer);
requests awaiting the second approval also to whoever may give it. Missing and forbidden answer alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.core.errors import NotFound
from yiwang.identity.selectors import department_ids_with_permission

from ..constants import MANAGE_PERMISSION, SENSITIVE_PERMISSION, RequestStatus
from ..models import Grant, Resource, ShareRequest
from .calls import list_granted_methods, query_resource, verify_assertions

if TYPE_CHECKING:
    from yiwang.identity.models import User

__all__ = [
    "access_grant_by_id",
    "access_request_by_id",
    "get_resource_by_code",
    "list_granted_methods",
    "list_grants_for",
    "list_overdue_requests",
    "list_requests_for",
    "list_resources",
    "managed_department_ids",
    "query_resource",
    "verify_assertions",
]


def list_resources() -> QuerySet[Resource]:
    """The catalog (public to every data administrator: what exists and on what terms, not the data)."""
    return Resource.objects.select_related("provider").prefetch_related("items").order_by("code")


def get_resource_by_code(*, code: str) -> Resource:
    resource = list_resources().filter(code=code).first()
    if resource is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    return resource


def managed_department_ids(actor: User | None) -> set[int]:
    """The departments whose exchange business the actor handles (as data administrator)."""
    return department_ids_with_permission(actor, MANAGE_PERMISSION)


def list_requests_for(*, actor: User | None) -> QuerySet[ShareRequest]:
    departments = managed_department_ids(actor)
    visible = Q(consumer_id__in=departments) | Q(resource__provider_id__in=departments)
    if department_ids_with_permission(actor, SENSITIVE_PERMISSION):
        visible |= Q(needs_second_approval=True, status=RequestStatus.AWAITING_SECOND_APPROVAL)
    return ShareRequest.objects.filter(visible).select_related("resource__provider", "consumer", "system")


def list_overdue_requests(*, today: dt.date | None = None) -> QuerySet[ShareRequest]:
    """Requests still waiting for the provider after their 5-working-day deadline (to be escalated)."""
    today = today or timezone.localdate()
    return ShareRequest.objects.filter(status=RequestStatus.PENDING, decision_due__lt=today).select_related(
        "resource__provider", "consumer"
    )


def list_grants_for(*, actor: User | None) -> QuerySet[Grant]:
    departments = managed_department_ids(actor)
    return Grant.objects.filter(
        Q(consumer_id__in=departments) | Q(resource__provider_id__in=departments)
    ).select_related("resource__provider", "consumer", "system")


def access_request_by_id(*, actor: User | None, request_id: int) -> ShareRequest:
    share = list_requests_for(actor=actor).filter(pk=request_id).first()
    if share is None:
        raise NotFound("未找到该共享申请", code="request_not_found")
    return share


def access_grant_by_id(*, actor: User | None, grant_id: int) -> Grant:
    grant = list_grants_for(actor=actor).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("未找到该共享授权", code="grant_not_found")
    return grant
