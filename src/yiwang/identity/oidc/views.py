"""OIDC endpoints the platform adapts: consent with a level check, sign-in recording, logout everywhere."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from django.shortcuts import redirect
from oauth2_provider.views import AuthorizationView, RPInitiatedLogoutView

from ..stepup import step_up_url
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
                return redirect(
                    step_up_url(level=profile.min_assurance_level, next_url=request.get_full_path())
                )
        return super().dispatch(request, *args, **kwargs)

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
