"""Who an actor is to a license: its holder, a representative or mandated agent, or staff of a department."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from yiwang.identity.constants import AssuranceLevel, StaffRole
from yiwang.identity.models import Enterprise, Mandate, StaffAssignment

# Licenses are personal data: their holder must have passed a register check (level 3) to see them.
MIN_HOLDER_ASSURANCE = AssuranceLevel.REGISTER_VERIFIED


def own_holder_codes(user) -> set[str]:
    """The codes the user holds licenses under: their ID number and the enterprises they represent."""
    if not getattr(user, "is_authenticated", False) or user.assurance_level < MIN_HOLDER_ASSURANCE:
        return set()
    codes = {user.id_number} if user.id_number else set()
    codes.update(Enterprise.objects.filter(representative=user).values_list("credit_code", flat=True))
    return codes


def mandated_holder_codes(user, *, today: dt.date | None = None) -> set[str]:
    """The holders who gave the user a mandate that is in force today."""
    if not getattr(user, "is_authenticated", False) or user.assurance_level < MIN_HOLDER_ASSURANCE:
        return set()
    today = today or timezone.localdate()
    mandates = Mandate.objects.filter(
        agent=user, revoked_at__isnull=True, valid_from__lte=today, valid_until__gte=today
    ).select_related("granted_by", "enterprise")
    codes: set[str] = set()
    for mandate in mandates:
        code = mandate.enterprise.credit_code if mandate.enterprise_id else mandate.granted_by.id_number
        if code:
            codes.add(code)
    return codes


def holder_codes_for(user) -> set[str]:
    """Every holder the user may act for: themselves, their enterprises, their principals."""
    return own_holder_codes(user) | mandated_holder_codes(user)


def license_admin_department_ids(user) -> set[int]:
    """Departments in which the user is a license administrator (证照管理员)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        StaffAssignment.objects.filter(user=user, role=StaffRole.LICENSE_ADMIN).values_list(
            "department_id", flat=True
        )
    )


def staff_department_ids(user) -> set[int]:
    """Departments in which the user has any staff role."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(StaffAssignment.objects.filter(user=user).values_list("department_id", flat=True))


def is_license_admin(user, department_id: int) -> bool:
    return department_id in license_admin_department_ids(user)


def holder_filter(codes: set[str]) -> Q:
    return Q(holder_code__in=sorted(codes)) if codes else Q(pk__in=[])
