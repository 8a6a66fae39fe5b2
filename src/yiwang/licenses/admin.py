"""Admin: license types editable; keys and licenses read-only (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from yiwang.identity.selectors import department_ids_with_permission

from .models import Consent, ImportJob, License, LicenseType, SigningKey
from .services import save_license_type_edit


def license_department_ids(request: HttpRequest) -> frozenset[int]:
    """Departments where the user may view licenses (证照管理员), asked of identity once per request."""
    cached = getattr(request, "_license_department_ids", None)
    if cached is None:
        cached = frozenset(department_ids_with_permission(request.user, "license.view"))
        request._license_department_ids = cached  # type: ignore[attr-defined]
    return cached


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only and scoped like the API: only rows of the departments where the user holds license.view.

    Superusers get no exception (三员分立: holding the platform does not open holders' data); a crafted
    change URL for another department's row finds nothing and redirects, as for a missing row.
    """

    department_fields: tuple[str, ...] = ()
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        departments = sorted(license_department_ids(request))
        in_scope = Q(pk__in=[])
        for name in self.department_fields:
            in_scope |= Q(**{f"{name}__in": departments})
        return super().get_queryset(request).filter(in_scope)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if not super().has_view_permission(request, obj):
            return False
        return obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "holder_kind", "validity_kind", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("issuing_departments",)

    def save_model(self, request, obj, form, change) -> None:
        # The admin's change view is one transaction: the edit, its issuers (saved next) and the audit entry.
        save_license_type_edit(actor=request.user, license_type=obj, changed=list(form.changed_data))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # issued licenses refer to their type: retire a type by clearing 启用 instead


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    department_fields = ("department",)
    list_display = ("key_id", "department", "backend", "status", "activated_at", "retired_at")
    exclude = ("sealed_private_key",)  # sealed anyway; never shown


@admin.register(License)
class LicenseAdmin(ReadOnlyAdmin):
    department_fields = ("issuer",)
    list_display = ("identifier", "license_type", "issuer", "status", "issued_on", "valid_until")
    list_filter = ("status", "license_type")
    search_fields = ("identifier",)
    exclude = ("holder_code", "surface", "payload", "signature")  # personal data stays behind the access gate


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    # The department that uses the license sees its consents; the issuer does not need them.
    department_fields = ("requester",)
    list_display = ("id", "requester", "purpose", "channel", "expires_at", "revoked_at")
    exclude = ("holder_code",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    department_fields = ("department",)
    list_display = ("id", "file_name", "department", "license_type", "status", "imported_count", "created_at")
