"""API authentication: the browser session, or an OAuth bearer token limited to the scopes it carries.

Every app's router uses it, so it lives in core (an app may not import another app's edge modules).

Each endpoint names the scope a token needs: ``auth=bearer_scope("licenses:read")`` accepts the
logged-in session (CSRF-checked on unsafe methods) or a token granted that scope; a valid token without
it is answered 403 ``insufficient_scope``. Handlers read the user from ``request.auth``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from oauth2_provider.oauth2_backends import get_oauthlib_core

from yiwang.core.errors import PermissionDenied

from . import call_context


class InsufficientScope(PermissionDenied):
    code = "insufficient_scope"
    default_message = "访问令牌未获得此接口所需的授权范围"


def has_bearer_header(request: HttpRequest) -> bool:
    return request.headers.get("Authorization", "").split(" ")[0].lower() == "bearer"


class PlatformSessionAuth(SessionAuth):
    """The logged-in browser session (CSRF-checked when unsafe); staff sessions must have passed TOTP."""

    def __call__(self, request):
        # A request that presents a token is judged by the token alone: the cookie a browser may also
        # send neither authenticates it nor subjects it to the session's CSRF check.
        if has_bearer_header(request):
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user and getattr(user, "is_staff_member", False) and not _is_verified(user):
            return None
        return user


def _is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


class PlatformBearerAuth(HttpBearer):
    """An access token from /o/token/ in the Authorization header that carries ``scope``."""

    openapi_description = "OIDC 访问令牌；每个接口所需的授权范围（scope）列在该接口的 security 要求中。"

    def __init__(self, scope: str) -> None:
        if scope not in settings.OAUTH2_PROVIDER["SCOPES"]:
            raise ValueError(f"unknown API scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        # A client-credentials token has no user behind it: it opens only PlatformSystemAuth endpoints.
        if not valid or oauth_request.user is None or not oauth_request.user.is_active:
            return None
        if not oauth_request.access_token.allow_scopes([self.scope]):
            raise InsufficientScope(required_scope=self.scope)
        request.user = oauth_request.user
        request.oauth_client = oauth_request.client
        call_context.set_system(oauth_request.client.client_id)  # the audit log names the calling system
        return oauth_request.user


class PlatformSystemAuth(HttpBearer):
    """A departmental system's own token (OAuth2 client credentials, no person behind it) with ``scope``.

    Handlers read the calling system from ``request.auth_client``; the audit log names it as the system.
    A token issued to a person (authorization code) is not accepted here, nor is the browser session.
    """

    openapi_description = "部门业务系统以客户端凭证（client_credentials）取得的访问令牌，须含所列授权范围。"

    def __init__(self, scope: str) -> None:
        if scope not in settings.OAUTH2_PROVIDER["SCOPES"]:
            raise ValueError(f"unknown API scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request, token):
        valid, oauth_request = get_oauthlib_core().verify_request(request, scopes=[])
        if not valid or oauth_request.user is not None:
            return None
        client = oauth_request.client
        if client is None or client.authorization_grant_type != client.GRANT_CLIENT_CREDENTIALS:
            return None
        if not oauth_request.access_token.allow_scopes([self.scope]):
            raise InsufficientScope(required_scope=self.scope)
        request.auth_client = client
        call_context.set_system(client.client_id)
        return client


def system_scope(scope: str) -> list:
    """The auth list of an endpoint for departmental systems: a client-credentials token with ``scope``."""
    return [PlatformSystemAuth(scope)]


def bearer_scope(scope: str) -> list:
    """The auth list of an endpoint: the session, or a bearer token granted ``scope``."""
    return [PlatformSessionAuth(), PlatformBearerAuth(scope)]


session_only = [PlatformSessionAuth()]
# Kept for code written before scopes: the session alone, so an unscoped endpoint never opens to tokens.
session_or_bearer = session_only
