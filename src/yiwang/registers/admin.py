"""Admin: the register catalog and the read-only access log.

Register records are deliberately absent: personal data is read only through the logged gate.
"""

from __future__ import annotations

from django.contrib import admin

from .models import AccessLog, Register


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "department"]
    autocomplete_fields = ["department"]


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "register", "subject", "actor", "system", "purpose", "outcome"]
    list_filter = ["register", "outcome"]
    search_fields = ["subject"]
