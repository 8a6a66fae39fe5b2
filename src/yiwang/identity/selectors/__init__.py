"""Reads of the identity domain: permissions within scope, mandates, the staff directory, gates."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.regions.models import Department
from yiwang.regions.selectors import region_prefix

from ..constants import AssuranceLevel
from ..masking import mask_id_number, mask_name, mask_phone
from ..models import Enterprise, Mandate, StaffAssignment, User
from .holders import (
    MIN_HOLDER_ASSURANCE,
    LicenseScope,
    holder_codes_for,
    license_scope_for,
    license_type_codes_for_items,
    license_type_codes_for_mandates,
    list_users_holding,
    mandate_grounds,
    mandated_holder_codes,
    may_act_on_license,
    own_holder_codes,
)
from .permissions import (
    assignment_covering_region,
    assignment_with_permission,
    department_ids_with_permission,
    has_permission_in,
    list_holders_of_permission,
    region_codes_with_permission,
    role_grants,
    staff_department_ids,
    staff_has_permission,
    staff_permissions,
)

__all__ = [
    "MIN_HOLDER_ASSURANCE",
    "LicenseScope",
    "access_mandate_by_id",
    "assignment_covering_region",
    "assignment_with_permission",
    "department_ids_with_permission",
    "get_user_by_public_id",
    "has_assurance",
    "has_permission_in",
    "holder_codes_for",
    "license_scope_for",
    "license_type_codes_for_items",
    "license_type_codes_for_mandates",
    "list_active_mandates_received",
    "list_enterprises_represented",
    "list_holders_of_permission",
    "list_mandates_given",
    "list_mandates_received",
    "list_staff_directory",
    "list_users_holding",
    "mandate_grounds",
    "mandated_holder_codes",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "may_act_on_license",
    "own_holder_codes",
    "region_codes_with_permission",
    "required_level_label",
    "role_grants",
    "staff_department_ids",
    "staff_has_permission",
    "staff_permissions",
]


def get_user_by_public_id(*, public_id: str) -> User:
    try:
        return User.objects.get(public_id=public_id, is_active=True)
    except (User.DoesNotExist, ValueError, ValidationError):
        raise NotFound("未找到该用户", code="user_not_found") from None


def has_assurance(*, user: User, level: int) -> bool:
    return user.is_authenticated and user.assurance_level >= level


def list_staff_directory(*, actor: User, department: Department | None = None) -> QuerySet[StaffAssignment]:
    """Staff roles the actor may see: their own departments', or all within region for staff.view holders."""
    if not actor.is_authenticated or not actor.is_staff_member:
        raise PermissionDenied("仅政府工作人员可以查看工作人员通讯录", code="staff_only")
    own = actor.staff_assignments.select_related("region")
    visible = Q(department_id__in=[assignment.department_id for assignment in own])
    for assignment in own:
        if role_grants(assignment.role, "staff.view"):
            prefix = region_prefix(code=assignment.region.code, level=assignment.region.level)
            visible |= Q(department__region__code__startswith=prefix)
    rows = StaffAssignment.objects.filter(visible).select_related("user", "department", "region")
    if department is not None:
        rows = rows.filter(department=department)
    return rows.order_by("department__name", "user__surname", "user__given_name", "role")


def list_enterprises_represented(*, user: User) -> QuerySet[Enterprise]:
    return Enterprise.objects.filter(representative=user)


def list_mandates_given(*, user: User) -> QuerySet[Mandate]:
    """Mandates the user granted, or that bind an enterprise the user now represents."""
    return (
        Mandate.objects.filter(Q(granted_by=user) | Q(enterprise__representative=user))
        .select_related("enterprise", "agent", "granted_by")
        .prefetch_related("items")
        .distinct()
    )


def list_mandates_received(*, user: User) -> QuerySet[Mandate]:
    return (
        Mandate.objects.filter(agent=user)
        .select_related("enterprise", "agent", "granted_by")
        .prefetch_related("items")
    )


def list_active_mandates_received(*, user: User) -> QuerySet[Mandate]:
    today = timezone.localdate()
    return list_mandates_received(user=user).filter(
        revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today
    )


def access_mandate_by_id(*, actor: User, mandate_id: int) -> Mandate:
    """The mandate if the actor is its principal, the enterprise's representative or its agent."""
    if actor.is_authenticated:
        mandate = (
            Mandate.objects.filter(pk=mandate_id)
            .filter(Q(granted_by=actor) | Q(enterprise__representative=actor) | Q(agent=actor))
            .select_related("enterprise", "agent", "granted_by")
            .first()
        )
        if mandate is not None:
            return mandate
    raise NotFound("未找到该授权委托", code="mandate_not_found")


def required_level_label(level: int) -> str:
    return str(AssuranceLevel(level).label)
