"""Admin: license types editable; keys, licenses and logs read-only (writes go through the services)."""

from __future__ import annotations

from django.contrib import admin

from .models import Consent, ImportJob, License, LicenseAuditEvent, LicenseType, LicenseUse, SigningKey


class ReadOnlyAdmin(admin.ModelAdmin):
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


@admin.register(SigningKey)
class SigningKeyAdmin(ReadOnlyAdmin):
    list_display = ("key_id", "department", "backend", "status", "activated_at", "retired_at")
    exclude = ("sealed_private_key",)  # sealed anyway; never shown


@admin.register(License)
class LicenseAdmin(ReadOnlyAdmin):
    list_display = ("identifier", "license_type", "issuer", "status", "issued_on", "valid_until")
    list_filter = ("status", "license_type")
    search_fields = ("identifier",)
    exclude = ("holder_code", "surface", "payload", "signature")  # personal data stays behind the access gate


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("id", "requester", "purpose", "channel", "expires_at", "revoked_at")
    exclude = ("holder_code",)


@admin.register(LicenseUse)
class LicenseUseAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "license", "requester", "outcome")
    exclude = ("holder_code",)


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ("id", "file_name", "department", "license_type", "status", "imported_count", "created_at")


@admin.register(LicenseAuditEvent)
class LicenseAuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor", "action", "target")
    list_filter = ("action",)
