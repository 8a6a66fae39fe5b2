"""Admin: webhook endpoints (saved through services), deliveries with replay, the notices of a department, and
the SMS/email copies of messages to people with their status (read-only).

Notices are shown to the department's data administrators (部门数据管理员) and to their recipient.
notifications sits below identity and may not import it, so the administrator's departments are read
through the user's ``staff_assignments`` reverse relation, as the audit admin does.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import selectors, services
from .models import Delivery, Dispatch, Notice, WebhookEndpoint, WebhookKey
from .services.endpoints import CHANGEABLE_FIELDS
from .signing import public_key_pem

DATA_ADMIN_ROLE = "data_admin"  # identity.constants.StaffRole.DATA_ADMIN


def administered_department_ids(request: HttpRequest) -> list[int]:
    user = request.user
    if not (user.is_authenticated and user.is_active and getattr(user, "is_staff_member", False)):
        return []
    return list(user.staff_assignments.filter(role=DATA_ADMIN_ROLE).values_list("department_id", flat=True))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "url", "topics", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    raw_id_fields = ("department", "application")
    fields = ("department", "application", "name", "url", "topics", "is_active")
    actions = ["replay_dead"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "url":
            kwargs["assume_scheme"] = "https"  # a bare host name means https (Django 6's default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.create_endpoint(
                created_by=request.user,
                **{
                    name: form.cleaned_data[name]
                    for name in ("department", "application", *CHANGEABLE_FIELDS)
                },
            )
            obj.pk = created.pk
            return
        current = WebhookEndpoint.objects.get(pk=obj.pk)
        services.update_endpoint(
            endpoint=current,
            changed_by=request.user,
            **{name: form.cleaned_data[name] for name in CHANGEABLE_FIELDS if name in form.changed_data},
        )

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: deliveries keep their history

    @admin.action(description=_("重新投递所选地址的死信"))
    def replay_dead(self, request, queryset):
        count = sum(
            services.replay_deliveries(actor=request.user, endpoint=endpoint) for endpoint in queryset
        )
        self.message_user(request, gettext("已重新投递 %(count)d 条。") % {"count": count})


@admin.register(WebhookKey)
class WebhookKeyAdmin(admin.ModelAdmin):
    """The platform's webhook keys, read-only: the PEM is what receivers verify signatures with."""

    list_display = ("key_id", "backend", "is_active", "created_at")
    fields = ("key_id", "backend", "is_active", "created_at", "pem")
    readonly_fields = fields
    actions = None

    @admin.display(description=_("公钥（PEM）"))
    def pem(self, obj: WebhookKey) -> str:
        return public_key_pem(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    )
    list_filter = ("status",)
    search_fields = ("event__event_id", "event__topic")
    list_select_related = ("event", "endpoint")
    actions = ["replay"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新投递所选记录"))
    def replay(self, request, queryset):
        ids = list(queryset.values_list("id", flat=True))
        count = services.replay_deliveries(actor=request.user, delivery_ids=ids, include_delivered=True)
        self.message_user(request, gettext("已重新投递 %(count)d 条。") % {"count": count}, messages.SUCCESS)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "department", "title", "read_at")
    list_filter = ("kind",)
    actions = ["mark_read"]

    @admin.action(description=_("标记为已读"))
    def mark_read(self, request, queryset):
        count = services.mark_notices_read(notices=queryset)
        self.message_user(
            request, gettext("已标记 %(count)d 条为已读。") % {"count": count}, messages.SUCCESS
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.list_notices(
            department_ids=administered_department_ids(request), recipient=request.user
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _masked(address: str) -> str:
    """A phone as 138****5678, an email as z***@example.cn: enough to tell which, not to copy."""
    if "@" in address:
        name, _at, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    if len(address) >= 7:
        return f"{address[:3]}****{address[-4:]}"
    return "*" * len(address)


@admin.register(Dispatch)
class DispatchAdmin(admin.ModelAdmin):
    """How each message's SMS and email copy ended, for the departments that sent it (and to its own
    recipient): read-only, addresses masked. Retries happen by themselves; a dead copy stays dead."""

    list_display = (
        "created_at",
        "topic",
        "channel",
        "masked_address",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "channel")
    search_fields = ("notice__topic",)
    list_select_related = ("notice",)
    fields = (
        "notice",
        "channel",
        "masked_address",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "sent_at",
        "last_error",
        "digest",
        "created_at",
    )
    readonly_fields = fields
    actions = None
    show_full_result_count = False

    @admin.display(description=_("事项类别"))
    def topic(self, obj: Dispatch) -> str:
        return obj.notice.topic

    @admin.display(description=_("地址"))
    def masked_address(self, obj: Dispatch) -> str:
        return _masked(obj.address)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        notices = selectors.list_notices(
            department_ids=administered_department_ids(request), recipient=request.user
        )
        return Dispatch.objects.filter(notice__in=notices.values("id")).select_related("notice")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_authenticated and request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
