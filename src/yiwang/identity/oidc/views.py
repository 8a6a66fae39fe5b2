"""OIDC endpoints the platform adapts: consent with a level check, sign-in recording, logout everywhere."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.http import JsonResponse
from django.shortcuts import redirect
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_access_token_model, get_application_model
from oauth2_provider.views import AuthorizationView, IntrospectTokenView, RPInitiatedLogoutView

from ..stepup import step_up_url
from .claims import pairwise_subject
from .models import ClientProfile
from .sessions import record_client_sign_in, session_sid, sign_out_everywhere


class PlatformAuthorizationView(AuthorizationView):
    """Authorization endpoint: asks for a higher assurance level when the client needs one."""

    template_name = "identity/oidc/authorize.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            client_id = request.GET.get("client_id") or request.POST.get("client_id") or ""
            profile = ClientProfile.objects.filter(application__client_id=client_id).first()
            if profile is not None and request.user.assurance_level < profile.min_assurance_level:
                if self._is_silent():
                    return self._silent_error("interaction_required")
                return redirect(
                    step_up_url(level=profile.min_assurance_level, next_url=request.get_full_path())
                )
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        # The consent form (not an error page) is reached only when the user would have to approve:
        # prompt=none forbids asking (OIDC Core 3.1.2.6).
        if self.request.method == "GET" and self._is_silent() and "error" not in context:
            return self._silent_error("consent_required")
        return super().render_to_response(context, **response_kwargs)

    def _is_silent(self) -> bool:
        return "none" in self.request.GET.get("prompt", "").split()

    def _silent_error(self, error: str):
        """Send a prompt=none request back to the client's registered redirect_uri with ``error``."""
        try:
            _scopes, credentials = self.validate_authorization_request(self.request)
        except OAuthToolkitError as invalid:
            return self.error_response(invalid, application=None)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        parameters = {"error": error}
        if credentials.get("state"):
            parameters["state"] = credentials["state"]
        redirect_uri = credentials["redirect_uri"]
        separator = "&" if "?" in redirect_uri else "?"
        return self.redirect(redirect_uri + separator + urlencode(parameters), application)

    def redirect(self, redirect_to, application):
        code = dict(parse_qsl(urlsplit(redirect_to).query)).get("code", "")
        if application is not None and self.request.user.is_authenticated and code:
            record_client_sign_in(
                user=self.request.user,
                application=application,
                sid=session_sid(self.request.session),
                code=code,
            )
        return super().redirect(redirect_to, application)


class PlatformLogoutView(RPInitiatedLogoutView):
    """RP-initiated logout that also ends the user's sessions at every other client (back-channel)."""

    template_name = "identity/oidc/logout_confirm.html"

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        user = token_user or self.request.user
        if user.is_authenticated:
            sign_out_everywhere(user=user)
        return super().do_logout(application, post_logout_redirect_uri, state, token_user)


class PlatformIntrospectTokenView(IntrospectTokenView):
    """RFC 7662 introspection that names the user by the token's pairwise ``sub``, never the username."""

    @staticmethod
    def get_token_response(token_value=None):
        response = IntrospectTokenView.get_token_response(token_value)
        data = json.loads(response.content)
        if not data.get("active"):
            return response
        data.pop("username", None)
        checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
        token = (
            get_access_token_model()
            .objects.select_related("user", "application")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is not None and token.user is not None and token.application is not None:
            data["sub"] = pairwise_subject(user=token.user, client_id=token.application.client_id)
        return JsonResponse(data, status=response.status_code)
