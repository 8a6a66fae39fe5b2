"""API authentication: the browser session, or an OAuth bearer token issued by the platform's OIDC provider.

Every router may use ``session_or_bearer``; handlers then read the user from ``request.auth``.
"""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth
from oauth2_provider.oauth2_backends import get_oauthlib_core


class PlatformSessionAuth(SessionAuth):
    """The logged-in browser session (CSRF-checked when unsafe); staff sessions must have passed TOTP."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and getattr(user, "is_staff_member", False) and not _is_verified(user):
            return None
        return user


def _is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


class PlatformBearerAuth(HttpBearer):
    """An access token from /o/token/ in the Authorization header (never in the query string)."""

    def authenticate(self, request, token):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if not valid or not oauth_request.user.is_active:
            return None
        request.user = oauth_request.user
        request.oauth_client = oauth_request.client
        return oauth_request.user


session_or_bearer = [PlatformSessionAuth(), PlatformBearerAuth()]
