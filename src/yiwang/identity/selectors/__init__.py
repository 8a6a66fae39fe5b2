"""Reads of the identity domain: permissions within scope, mandates, the staff directory, gates."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.core.errors import NotFound, PermissionDenied
from yiwang.regions.models import Department

from .constants import ROLE_PERMISSIONS, AssuranceLevel
from .models import Enterprise, Mandate, StaffAssignment, User
from .scopes import region_covers


def get_user_by_public_id(*, public_id: str) -> User:
    try:
        return User.objects.get(public_id=public_id, is_active=True)
    except (User.DoesNotExist, ValueError, ValidationError):
        raise NotFound("未找到该用户", code="user_not_found") from None


def has_assurance(*, user: User, level: int) -> bool:
    return user.is_authenticated and user.assurance_level >= level


def staff_permissions(
    *, user: User, department: Department | None = None, region_code: str | None = None
) -> set[str]:
    """The permissions a staff member holds for a department (and a region inside its scope)."""
    if not user.is_authenticated or not user.is_staff_member or not user.is_active:
        return set()
    assignments = user.staff_assignments.select_related("region")
    if department is not None:
        assignments = assignments.filter(department=department)
    granted: set[str] = set()
    for assignment in assignments:
        if region_code is None or region_covers(outer=assignment.region, inner_code=region_code):
            granted |= ROLE_PERMISSIONS.get(assignment.role, frozenset())
    return granted


def staff_has_permission(
    *, user: User, permission: str, department: Department | None = None, region_code: str | None = None
) -> bool:
    """Whether the user holds ``permission`` in that department and region (any, when omitted)."""
    return permission in staff_permissions(user=user, department=department, region_code=region_code)


def list_staff_directory(*, actor: User, department: Department | None = None) -> QuerySet[StaffAssignment]:
    """Staff roles the actor may see: their own departments', or all within region for staff.view holders."""
    if not actor.is_authenticated or not actor.is_staff_member:
        raise PermissionDenied("仅政府工作人员可以查看工作人员通讯录", code="staff_only")
    own = actor.staff_assignments.select_related("region")
    visible = Q(department_id__in=[assignment.department_id for assignment in own])
    for assignment in own:
        if "staff.view" in ROLE_PERMISSIONS.get(assignment.role, frozenset()):
            prefix = assignment.region.code[: {1: 2, 2: 4, 3: 6, 4: 9}.get(assignment.region.level, 12)]
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
