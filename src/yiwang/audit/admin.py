"""Admin: the audit log, read-only for everyone (superusers too) and shown only to auditors, in scope.

三员分立 (separation of duties): the platform administrator manages staff and clients and cannot open
the log; an auditor (审计员) reads the entries of the departments where they hold the auditor role.
Nobody changes or deletes an entry here: no add, change or delete permission, no bulk actions.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .models import AuditEntry, DataUseAlert, SuspicionReport, TreeHead

# identity.constants.StaffRole.AUDITOR. audit sits below identity in the layers and may not import it,
# so the auditor's departments are read through the user's ``staff_assignments`` reverse relation
# (a plain query on the related manager identity's StaffAssignment gives every user).
AUDITOR_ROLE = "auditor"


def auditor_department_ids(request: HttpRequest) -> frozenset[int]:
    """The departments in which the requesting user holds the auditor role (once per request)."""
    cached = getattr(request, "_audit_department_ids", None)
    if cached is not None:
        return cached
    user = request.user
    ids: frozenset[int] = frozenset()
    if user.is_authenticated and user.is_active and getattr(user, "is_staff_member", False):
        assignments = user.staff_assignments.filter(role=AUDITOR_ROLE)
        ids = frozenset(assignments.values_list("department_id", flat=True))
    request._audit_department_ids = ids  # type: ignore[attr-defined]
    return ids


class AuditorOnlyAdmin(admin.ModelAdmin):
    """Read-only, visible to auditors, and scoped to rows whose ``department_fields`` are theirs."""

    department_fields: tuple[str, ...] = ()
    actions = None  # no "delete selected", no other bulk action
    show_full_result_count = False  # a COUNT(*) over 100M rows per page view is not worth it
    list_per_page = 50

    def _in_scope(self, request: HttpRequest) -> Q:
        departments = sorted(auditor_department_ids(request))
        condition = Q(pk__in=[])
        for name in self.department_fields:
            condition |= Q(**{f"{name}_id__in": departments})
        return condition

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if not auditor_department_ids(request):
            return queryset.none()
        if not self.department_fields:
            return queryset
        return queryset.filter(self._in_scope(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(auditor_department_ids(request)) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not auditor_department_ids(request) or not super().has_view_permission(request, obj):
            return False
        if obj is None or not self.department_fields:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditorOnlyAdmin):
    department_fields = ("department", "actor_department")
    list_display = [
        "occurred_at",
        "seq",
        "action",
        "outcome",
        "actor",
        "actor_role",
        "actor_department",
        "department",
        "object_type",
        "object_id",
        "purpose",
        "channel",
    ]
    list_filter = ["outcome", "kind", "channel", "ground_kind"]
    search_fields = ["=action", "=object_id", "=subject_hash", "=request_id", "=actor__username"]
    list_select_related = ["actor", "actor_department", "department"]


@admin.register(SuspicionReport)
class SuspicionReportAdmin(AuditorOnlyAdmin):
    """Shown for lookup; auditors handle reports in their workbench (audit.handle_report), not here."""

    department_fields = ("department",)
    list_display = ["created_at", "entry", "department", "status", "handled_by", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["entry", "department", "handled_by"]


@admin.register(DataUseAlert)
class DataUseAlertAdmin(AuditorOnlyAdmin):
    department_fields = ("recipient_department",)
    list_display = ["created_at", "reason", "entry", "recipient_department", "read_at"]
    list_filter = ["reason"]
    list_select_related = ["entry", "recipient_department"]


@admin.register(TreeHead)
class TreeHeadAdmin(AuditorOnlyAdmin):
    """Signed tree heads are public (GET /api/v1/audit/tree-head): any auditor sees all of them."""

    list_display = ["tree_size", "root_hash", "issued_at", "key"]
    list_select_related = ["key"]
