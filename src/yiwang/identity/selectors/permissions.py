"""May this staff member do this here: the one answer, from the role table and the role's region.

A staff role (``StaffAssignment``) grants the permissions ``ROLE_PERMISSIONS`` lists, within its
department and within its region (the department's region by default). Every app asks here; none keeps
its own copy of the table.
"""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.regions.models import Department
from yiwang.regions.selectors import region_covers

from ..constants import ROLE_PERMISSIONS
from ..models import StaffAssignment, User


def _is_acting_staff(actor: User | None) -> bool:
    return bool(
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and actor.is_active
        and actor.is_staff_member
    )


def role_grants(role: str, permission: str) -> bool:
    """Whether the role's permissions include ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def roles_with_permission(permission: str) -> list[str]:
    return sorted(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def _assignments(actor: User | None) -> QuerySet[StaffAssignment]:
    if not _is_acting_staff(actor):
        return StaffAssignment.objects.none()
    return StaffAssignment.objects.filter(user=actor)


def staff_permissions(
    *, user: User, department: Department | None = None, region_code: str | None = None
) -> set[str]:
    """The permissions a staff member holds for a department (and a region inside its scope)."""
    assignments = _assignments(user).select_related("region")
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


def assignment_with_permission(
    *, actor: User | None, permission: str, department_id: int, region_code: str | None = None
) -> StaffAssignment | None:
    """The actor's staff role that grants ``permission`` in the department (and region), or None.

    Callers record the returned role, department and region in the audit log: they say on what
    authority the actor acted.
    """
    assignments = (
        _assignments(actor)
        .filter(department_id=department_id, role__in=roles_with_permission(permission))
        .select_related("region", "department")
        .order_by("pk")
    )
    for assignment in assignments:
        if region_code is None or region_covers(outer=assignment.region, inner_code=region_code):
            return assignment
    return None


def assignment_covering_region(
    *, actor: User | None, permission: str, region_code: str
) -> StaffAssignment | None:
    """The actor's staff role granting ``permission`` whose region covers ``region_code``, in any department.

    For the permissions a role holds over a whole region rather than one department (a supervisor's
    ``supervision.oversee``): the caller records the returned role in the audit log.
    """
    assignments = (
        _assignments(actor)
        .filter(role__in=roles_with_permission(permission))
        .select_related("region", "department")
        .order_by("pk")
    )
    for assignment in assignments:
        if region_covers(outer=assignment.region, inner_code=region_code):
            return assignment
    return None


def region_codes_with_permission(actor: User | None, permission: str) -> set[str]:
    """The region codes of the actor's roles granting ``permission``: the tops of what they oversee."""
    return set(
        _assignments(actor)
        .filter(role__in=roles_with_permission(permission))
        .values_list("region_id", flat=True)
    )


def has_permission_in(
    *, actor: User | None, permission: str, department_id: int, region_code: str | None = None
) -> bool:
    """Whether the actor holds ``permission`` in the department (and, if given, for that region)."""
    found = assignment_with_permission(
        actor=actor, permission=permission, department_id=department_id, region_code=region_code
    )
    return found is not None


def department_ids_with_permission(actor: User | None, permission: str) -> set[int]:
    """The departments in which the actor holds ``permission`` (through any of its roles)."""
    return set(
        _assignments(actor)
        .filter(role__in=roles_with_permission(permission))
        .values_list("department_id", flat=True)
    )


def list_holders_of_permission(*, permission: str, region_code: str | None = None) -> list[StaffAssignment]:
    """The active staff roles granting ``permission`` (within ``region_code`` when given): whom to alert."""
    assignments = (
        StaffAssignment.objects.filter(
            role__in=roles_with_permission(permission), user__is_active=True, user__is_staff_member=True
        )
        .select_related("user", "department", "region")
        .order_by("pk")
    )
    return [
        assignment
        for assignment in assignments
        if region_code is None or region_covers(outer=assignment.region, inner_code=region_code)
    ]


def staff_department_ids(actor: User | None) -> set[int]:
    """The departments in which the actor has any staff role."""
    return set(_assignments(actor).values_list("department_id", flat=True))
