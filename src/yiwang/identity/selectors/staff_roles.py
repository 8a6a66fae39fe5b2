"""A staff member's roles as the account page shows them (岗位), instead of a citizen's assurance level."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import StaffAssignment, User


def list_own_staff_roles(*, user: User) -> QuerySet[StaffAssignment]:
    """The user's own staff roles with their departments, by department and role."""
    return (
        StaffAssignment.objects.filter(user=user)
        .select_related("department", "region")
        .order_by("department__name", "role")
    )
