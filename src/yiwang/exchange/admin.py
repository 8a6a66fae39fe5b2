"""Admin: the exchange read-only, for data administrators, each list scoped like the API.

Resources are the public catalog (what exists and on what terms); requests and grants show only those
of the departments where the user holds ``exchange.manage`` (as provider or consumer). Changes go
through the services (request, decide, revoke), not through these pages.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import DataItem, Grant, Resource, ShareRequest
from .selectors import list_grants_for, list_requests_for


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class DataItemInline(admin.TabularInline):
    model = DataItem
    fields = ["code", "name", "data_type", "length", "grade", "is_personal", "is_sensitive_personal"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "provider", "sharing_type", "update_cycle", "version", "published_on"]
    list_filter = ["sharing_type", "update_cycle"]
    search_fields = ["code", "name"]
    inlines = [DataItemInline]


@admin.register(ShareRequest)
class ShareRequestAdmin(ReadOnlyAdmin):
    list_display = ["resource", "consumer", "system", "status", "submitted_at", "decision_due"]
    list_filter = ["status"]
    exclude = ["masks"]
    readonly_fields = ["item_masks"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return list_requests_for(actor=request.user)

    @admin.display(description=_("信息项及提供方式"))
    def item_masks(self, obj: ShareRequest) -> str:
        return "、".join(f"{code}（{mask}）" for code, mask in sorted(obj.masks.items()))


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["resource", "consumer", "system", "ends_on", "granted_at", "revoked_at"]
    list_filter = ["revoked_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return list_grants_for(actor=request.user)
