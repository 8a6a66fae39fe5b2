"""Back-office access follows staff roles: granting or revoking a role updates the admin permissions."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q

from ..constants import ADMIN_ACCESS
from ..models import StaffAssignment, User


def sync_admin_access(*, user: User) -> None:
    """Give the user exactly the admin permissions (and `is_staff`) their current roles carry."""
    wanted = Q(pk__in=[])
    roles = set(StaffAssignment.objects.filter(user=user).values_list("role", flat=True))
    for role in roles:
        for key, actions in ADMIN_ACCESS.get(role, {}).items():
            app_label, _, model = key.partition(".")  # "app" or "app.model"
            scope = Q(content_type__app_label=app_label)
            if model:
                scope &= Q(content_type__model=model)
            prefixes = Q()
            for action in actions:
                prefixes |= Q(codename__startswith=f"{action}_")
            wanted |= scope & prefixes
    permissions = list(Permission.objects.filter(wanted))
    is_staff = bool(permissions) or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.user_permissions.set(permissions)


@transaction.atomic
def sync_all_admin_access() -> int:
    """Re-derive every staff account's admin permissions (after the role table changed in an upgrade)."""
    users = User.objects.filter(Q(is_staff_member=True) | Q(is_staff=True))
    for user in users:
        sync_admin_access(user=user)
    return users.count()
