"""The Django admin behind the platform's own login: staff reach it only after their second factor.

Everything it shows is in Chinese and readable: apps from outside get a Chinese section name (the OIDC
provider's would read "DJANGO OAUTH TOOLKIT"), and JSON fields are indented with Chinese kept as
characters, both where they are edited and where they are only shown (audit entries, missing elements).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from django.apps import apps
from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.db.models.base import ModelBase
from django.forms import Textarea
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

# Section names of the apps that are not ours, as the admin's index, app page and breadcrumbs show them.
APP_LABELS = {"oauth2_provider": _("统一身份认证（OIDC 业务系统与令牌）")}


class ReadableJSONWidget(Textarea):
    """A JSON field edited indented, Chinese as characters (Django shows one line of compact JSON)."""

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str):
            # What the user typed but is not JSON is shown back unchanged, with the form's error.
            with contextlib.suppress(ValueError):
                value = json.dumps(json.loads(value), ensure_ascii=False, indent=2)
        return super().format_value(value)


def _json_fields(model: type[models.Model]) -> dict[str, models.JSONField]:
    return {f.name: f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)}


def readable_name(name: str) -> str:
    """The admin attribute that shows JSON field ``name`` read-only."""
    return f"{name}_readable"


def _readable_display(field: models.JSONField):
    def display(self, obj: models.Model):
        value = getattr(obj, field.name)
        if value in (None, "", [], {}):
            return "—"
        text = json.dumps(value, ensure_ascii=False, indent=2, cls=field.encoder)
        return format_html('<pre class="readable-json">{}</pre>', text)

    display.short_description = field.verbose_name  # type: ignore[attr-defined]
    return display


class ReadableJSONAdmin(ModelAdmin):
    """Shows read-only JSON fields through ``readable_name`` displays instead of one raw line."""

    def _swapped(self, names, swap: set[str]) -> list[Any]:
        result: list[Any] = []
        for name in names:
            if isinstance(name, (list, tuple)):
                result.append(tuple(self._swapped(name, swap)))
            else:
                result.append(readable_name(name) if isinstance(name, str) and name in swap else name)
        return result

    def _read_only_json(self, request, obj) -> set[str]:
        json_names = set(_json_fields(self.model))
        if obj is not None and not self.has_change_permission(request, obj):
            return json_names  # a view-only page shows every field read-only
        return json_names & {n for n in super().get_readonly_fields(request, obj) if isinstance(n, str)}

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        swap = set(_json_fields(self.model)) & {n for n in names if isinstance(n, str)}
        return self._swapped(names, swap)

    def get_fieldsets(self, request, obj=None):
        swap = self._read_only_json(request, obj)
        return [
            (title, {**options, "fields": self._swapped(options["fields"], swap)})
            for title, options in super().get_fieldsets(request, obj)
        ]


def readable(admin_class: type[ModelAdmin], model: type[models.Model]) -> type[ModelAdmin]:
    """``admin_class`` with readable JSON for ``model``'s JSON fields (unchanged when it has none)."""
    fields = _json_fields(model)
    if not fields:
        return admin_class
    attrs: dict[str, Any] = {readable_name(name): _readable_display(field) for name, field in fields.items()}
    attrs["formfield_overrides"] = {
        models.JSONField: {"widget": ReadableJSONWidget},
        **getattr(admin_class, "formfield_overrides", {}),
    }
    attrs["__module__"] = admin_class.__module__
    return type(admin_class.__name__, (ReadableJSONAdmin, admin_class), attrs)


class PlatformAdminSite(AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or ModelAdmin
        model_list = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in model_list:
            super().register(model, readable(admin_class, model), **options)

    def has_permission(self, request) -> bool:
        is_verified = getattr(request.user, "is_verified", None)
        return super().has_permission(request) and bool(is_verified and is_verified())

    def login(self, request, extra_context=None):
        # One login for everyone: the platform's page asks staff for their TOTP code.
        from django.contrib.auth.views import redirect_to_login  # imports models: not at app loading
        from django.shortcuts import render

        user = request.user
        if user.is_authenticated and not (user.is_active and user.is_staff):
            # Logging in again cannot help: say why instead of showing the login form once more.
            return render(request, "identity/admin_denied.html", status=403)
        # The platform login checks that `next` stays on this site.
        next_url = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(next_url, reverse("identity:login"))


class PlatformAdminConfig(AdminConfig):
    default_site = "yiwang.identity.admin_site.PlatformAdminSite"

    def ready(self) -> None:
        # The section name comes from the app's own config (index, app page, breadcrumbs): rename the
        # outside apps' here rather than override their AppConfig in INSTALLED_APPS.
        for label, name in APP_LABELS.items():
            if apps.is_installed(label) or label in apps.app_configs:
                apps.get_app_config(label).verbose_name = name
        super().ready()
