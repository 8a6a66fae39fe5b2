"""Security headers Django does not set itself: Permissions-Policy, from the PERMISSIONS_POLICY setting."""

from __future__ import annotations

from django.conf import settings


def permissions_policy_value(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "fullscreen": ["self"]}`` → ``camera=(), fullscreen=(self)`` (RFC 8941 lists)."""
    return ", ".join(f"{feature}=({' '.join(allowed)})" for feature, allowed in policy.items())


class PermissionsPolicyMiddleware:
    """Deny the browser features the platform never uses (camera, microphone, geolocation, payment ...)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = permissions_policy_value(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
