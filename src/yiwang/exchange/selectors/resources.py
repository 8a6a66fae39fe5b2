"""Reads for maintaining the catalog: the resources a data administrator maintains, and their Excel form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from yiwang.core.errors import NotFound
from yiwang.identity.selectors import department_ids_with_permission

from ..constants import MANAGE_PERMISSION
from ..models import Resource
from ..spreadsheets import write_workbook

if TYPE_CHECKING:
    from yiwang.identity.models import User

ITEM_EXPORT_FIELDS = ("code", "name", "data_type", "length", "grade", "is_personal", "is_sensitive_personal")
RESOURCE_EXPORT_FIELDS = (
    "code",
    "name",
    "summary",
    "sharing_type",
    "sharing_conditions",
    "legal_basis",
    "open_type",
    "update_cycle",
    "data_format",
    "published_on",
    "version",
)


def list_maintained_resources(*, actor: User | None) -> QuerySet[Resource]:
    """The resources whose provider department the actor is a data administrator of."""
    departments = department_ids_with_permission(actor, MANAGE_PERMISSION)
    return (
        Resource.objects.filter(provider_id__in=sorted(departments))
        .select_related("provider")
        .prefetch_related("items")
        .order_by("code")
    )


def access_resource_for_maintenance(*, actor: User | None, code: str) -> Resource:
    """A resource the actor maintains; NotFound alike for a missing one and another department's."""
    resource = list_maintained_resources(actor=actor).filter(code=code).first()
    if resource is None:
        raise NotFound("未找到该共享资源", code="resource_not_found")
    return resource


def _rows(resources: list[Resource]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    resource_rows, item_rows = [], []
    for resource in resources:
        resource_rows.append(
            {
                **{name: getattr(resource, name) for name in RESOURCE_EXPORT_FIELDS},
                "provider_credit_code": resource.provider.credit_code,
                "provider_name": resource.provider.name,
            }
        )
        for item in sorted(resource.items.all(), key=lambda item: item.pk):
            item_rows.append(
                {"resource_code": resource.code, **{name: getattr(item, name) for name in ITEM_EXPORT_FIELDS}}
            )
    return resource_rows, item_rows


def export_resources(*, actor: User | None, codes: list[str] | None = None) -> bytes:
    """An .xlsx of the resources the actor maintains (or those of ``codes`` among them), items included."""
    resources = list_maintained_resources(actor=actor)
    if codes:
        resources = resources.filter(code__in=codes)
    return write_workbook(*_rows(list(resources)))
