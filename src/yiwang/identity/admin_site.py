"""The Django admin behind the platform's own login: staff reach it only after their second factor."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse


class PlatformAdminSite(AdminSite):
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
