"""Admin: accounts and staff roles (through the services), enterprises, mandates and OIDC clients."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import Application

from .constants import TokenAuthMethod
from .models import ClientKey, ClientProfile, ClientSession, Enterprise, Mandate, StaffAssignment, User
from .oidc.jose import JoseError, parse_public_key
from .services import (
    grant_staff_role,
    register_client_key,
    revoke_client_key,
    revoke_staff_role,
    save_user_account,
    set_token_auth_method,
)


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


class ClientProfileForm(forms.ModelForm):
    class Meta:
        model = ClientProfile
        fields = [
            "department",
            "allowed_scopes",
            "min_assurance_level",
            "backchannel_logout_uri",
            "token_endpoint_auth_method",
        ]

    def clean_token_endpoint_auth_method(self):
        method = self.cleaned_data["token_endpoint_auth_method"]
        application_id = self.instance.application_id
        if method == TokenAuthMethod.PRIVATE_KEY_JWT and not (
            application_id
            and ClientKey.objects.filter(application_id=application_id, revoked_at__isnull=True).exists()
        ):
            raise forms.ValidationError(_("须先登记公钥并保存，再改用私钥签名断言认证。"))
        return method


class ClientProfileInline(admin.StackedInline):
    model = ClientProfile
    form = ClientProfileForm
    can_delete = False
    autocomplete_fields = ["department"]


class ClientKeyForm(forms.ModelForm):
    """A new row takes a public key (JWK or PEM); an existing row can only be revoked."""

    public_key = forms.CharField(
        label=_("公钥（JWK 或 PEM）"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        required=False,
        help_text=_("ES256（P-256）或 RS256（RSA ≥ 2048 位）公钥；切勿粘贴私钥。"),
    )
    revoke = forms.BooleanField(label=_("撤销"), required=False)

    class Meta:
        model = ClientKey
        fields = ["kid"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kid"].required = False
        self.fields["kid"].help_text = _("留空则取公钥的 RFC 7638 指纹")
        if self.instance.pk:
            self.fields["kid"].disabled = True
            self.fields["public_key"].disabled = True
            self.fields["revoke"].disabled = self.instance.revoked_at is not None
        else:
            self.fields["revoke"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            return cleaned
        try:
            parsed = parse_public_key(cleaned.get("public_key", ""))
        except JoseError as error:
            raise forms.ValidationError(_("公钥无法使用：%(reason)s") % {"reason": error}) from error
        kid = (cleaned.get("kid") or "").strip() or parsed.thumbprint
        if ClientKey.objects.filter(application_id=self.instance.application_id, kid=kid).exists():
            raise forms.ValidationError(_("该业务系统已有同一密钥标识（kid）的公钥"))
        return cleaned

    def validate_unique(self):
        pass  # the kid is checked in clean() (it may be derived from the key)


class ClientKeyInline(admin.TabularInline):
    model = ClientKey
    form = ClientKeyForm
    extra = 1
    can_delete = False
    fields = [
        "kid",
        "public_key",
        "algorithm",
        "thumbprint",
        "created_at",
        "registered_by",
        "revoked_at",
        "revoke",
    ]
    readonly_fields = ["algorithm", "thumbprint", "created_at", "registered_by", "revoked_at"]


class PlatformApplicationAdmin(ApplicationAdmin):
    """Departmental systems are registered here (no self-service registration).

    Keys and the token-endpoint authentication method are saved through the identity services, which
    check them and write the audit log.
    """

    inlines = [ClientProfileInline, ClientKeyInline]

    def save_related(self, request, form, formsets, change):
        form.save_m2m()
        # keys first: switching to private_key_jwt needs a registered key
        for formset in sorted(formsets, key=lambda formset: formset.model is not ClientKey):
            if formset.model is ClientKey:
                self._save_keys(request, formset)
            elif formset.model is ClientProfile:
                self._save_profiles(request, form, formset, change)
            else:
                self.save_formset(request, form, formset, change)

    def _save_keys(self, request, formset):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for key_form in formset.forms:
            if not key_form.has_changed():
                continue
            if key_form.instance.pk is None:
                key = register_client_key(
                    application=formset.instance,
                    public_key=key_form.cleaned_data["public_key"],
                    kid=key_form.cleaned_data.get("kid") or "",
                    registered_by=request.user,
                )
                formset.new_objects.append(key)
            elif key_form.cleaned_data.get("revoke"):
                key = revoke_client_key(key=key_form.instance, revoked_by=request.user)
                formset.changed_objects.append((key, ["revoked_at"]))

    def _save_profiles(self, request, form, formset, change):
        """The profile is saved as edited, except the method, which the service changes (and audits)."""
        wanted = {}
        for profile_form in formset.forms:
            profile = profile_form.instance
            if "token_endpoint_auth_method" not in getattr(profile_form, "cleaned_data", {}):
                continue
            wanted[profile_form] = profile_form.cleaned_data["token_endpoint_auth_method"]
            stored = ClientProfile.objects.filter(pk=profile.pk).values_list(
                "token_endpoint_auth_method", flat=True
            )
            profile.token_endpoint_auth_method = stored.first() or TokenAuthMethod.CLIENT_SECRET
        self.save_formset(request, form, formset, change)
        for profile_form, method in wanted.items():
            if profile_form.instance.pk is not None:
                set_token_auth_method(application=formset.instance, method=method, changed_by=request.user)


admin.site.unregister(Application)
admin.site.register(Application, PlatformApplicationAdmin)
