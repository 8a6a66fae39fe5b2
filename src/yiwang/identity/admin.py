"""Admin: accounts and staff roles (through the services), enterprises, mandates and OIDC clients."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import Application

from .models import ClientProfile, ClientSession, Enterprise, Mandate, StaffAssignment, User
from .services import grant_staff_role, revoke_staff_role, save_user_account


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    autocomplete_fields = ["department"]
    raw_id_fields = ["region"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "assurance_level", "is_staff_member", "is_active", "last_login"]
    list_filter = ["assurance_level", "is_staff_member", "is_active", "is_staff"]
    search_fields = ["username", "surname", "given_name", "phone"]
    readonly_fields = ["public_id", "assurance_verified_at", "phone_verified_at", "last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["username", "password", "public_id"]}),
        (
            _("实名信息"),
            {
                "fields": [
                    "surname",
                    "given_name",
                    "id_number",
                    "phone",
                    "phone_verified_at",
                    "assurance_level",
                    "assurance_verified_at",
                ]
            },
        ),
        (_("权限"), {"fields": ["is_active", "is_staff_member", "is_staff", "is_superuser"]}),
        (_("时间"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["username", "surname", "given_name", "is_staff_member", "password1", "password2"],
            },
        )
    ]
    inlines = [StaffAssignmentInline]

    def get_queryset(self, request):
        # 三员分立: the platform administrator manages staff accounts, not citizens' (ID numbers, phones).
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(is_staff_member=True)

    def get_readonly_fields(self, request, obj=None):
        # Only a superuser makes superusers; a platform administrator cannot raise anyone (or themselves).
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else [*readonly, "is_staff", "is_superuser"]

    def save_model(self, request, obj, form, change):
        save_user_account(saved_by=request.user, user=obj, is_new=not change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not StaffAssignment:
            return super().save_formset(request, form, formset, change)
        assignments = formset.save(commit=False)
        for assignment in formset.deleted_objects:
            revoke_staff_role(revoked_by=request.user, assignment=assignment)
        for assignment in assignments:
            grant_staff_role(
                granted_by=request.user,
                user=form.instance,
                department=assignment.department,
                role=assignment.role,
                region=assignment.region,
            )
        return None


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ["name", "credit_code", "representative", "created_at"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["representative"]


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    list_display = ["principal_label", "agent", "covers_all_items", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["principal_kind", "covers_all_items"]
    raw_id_fields = ["enterprise", "granted_by", "agent", "revoked_by"]
    filter_horizontal = ["items"]

    def has_add_permission(self, request):
        return False  # mandates are granted by principals, not by administrators


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClientSession)
class ClientSessionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "application", "ended_at", "notified_at", "notify_error"]


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    can_delete = False
    autocomplete_fields = ["department"]


class PlatformApplicationAdmin(ApplicationAdmin):
    """Departmental systems are registered here (no self-service registration)."""

    inlines = [ClientProfileInline]


admin.site.unregister(Application)
admin.site.register(Application, PlatformApplicationAdmin)
