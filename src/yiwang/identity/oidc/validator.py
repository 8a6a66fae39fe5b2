"""django-oauth-toolkit validator: pairwise subjects, scope limits per client, acr and sid in id_tokens,
and client authentication by secret or by a private-key JWT assertion (private_key_jwt)."""

from __future__ import annotations

import hashlib
import logging

from oauth2_provider.models import AbstractApplication, get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator

from yiwang.core import sql

from ..constants import TokenAuthMethod
from .claims import CLAIM_SCOPES, user_claims
from .client_auth import (
    AssertionRefused,
    auth_method_of,
    client_id_of_assertion,
    uses_assertion,
    verify_assertion,
)
from .models import ClientProfile, ClientSession
from .sessions import code_digest

_DEFAULT_CLIENT_SCOPES = {"openid", "profile"}
log = logging.getLogger(__name__)


class YiwangOIDCValidator(OAuth2Validator):
    oidc_claim_scope = CLAIM_SCOPES

    def _load_access_token(self, token):
        """The token by its checksum with its application and user, as the toolkit reads it, in SQL: every
        API call with a bearer token reads it (the ORM's statement was a sixth of a submission's CPU over
        the API; core.sql, ADR 0014)."""
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        found = sql.rows(
            get_access_token_model(),
            "token_checksum = %s",
            [checksum],
            related=("application", "user"),
            limit=1,
        )
        return found[0] if found else None

    def get_claim_dict(self, request):
        return user_claims(user=request.user, client_id=request.client.client_id)

    def get_discovery_claims(self, request):
        return sorted(CLAIM_SCOPES)

    def get_additional_claims(self, request):
        return {}

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        sessions = ClientSession.objects.filter(
            user=request.user, application=request.client, ended_at__isnull=True
        )
        code = getattr(request, "code", None)
        exact = sessions.filter(code_digest=code_digest(code)) if code else sessions.none()
        sid = (
            exact.values_list("sid", flat=True).first()
            or sessions.order_by("-created_at").values_list("sid", flat=True).first()
        )
        if sid:
            claims["sid"] = sid
        return claims, expiration_time

    def _load_application(self, client_id, request):
        # ID tokens are signed only with the platform's RSA key: a client registered for HS256 (signed
        # with its own secret, which the client could forge) is treated as no client at all.
        application = super()._load_application(client_id, request)
        if application is not None and application.algorithm == AbstractApplication.HS256_ALGORITHM:
            request.client = None
            return None
        return application

    def authenticate_client(self, request, *args, **kwargs):
        """A client secret (Basic or body), or a signed assertion (RFC 7523) for private_key_jwt systems.

        A system registered for private_key_jwt is refused when it offers its secret; a system registered
        for secrets is refused when it offers an assertion. Every refusal is ``invalid_client``.
        """
        if uses_assertion(request):
            return self._authenticate_assertion(request)
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        if auth_method_of(request.client) == TokenAuthMethod.PRIVATE_KEY_JWT:
            log.info("client %s offered a secret, not its key (private_key_jwt)", request.client.client_id)
            request.client = None
            return False
        return True

    def _authenticate_assertion(self, request) -> bool:
        try:
            client_id = client_id_of_assertion(request)
            application = self._load_application(client_id, request)
            if application is None:
                raise AssertionRefused("unknown client")
            verify_assertion(request, application)
        except AssertionRefused as refusal:
            log.info("client assertion refused: %s", refusal)
            request.client = None
            return False
        request.client_id = client_id
        return True

    def validate_silent_login(self, request):
        # oauthlib cannot see the browser session; PlatformAuthorizationView answers login_required to an
        # anonymous prompt=none request (and interaction_required when a higher level is needed).
        return True

    def validate_silent_authorization(self, request):
        # Likewise the view answers consent_required when no earlier approval covers the scopes.
        return True

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        """Only the scopes this client was registered for (the ID number needs its own grant)."""
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        profile = ClientProfile.objects.filter(application=client).first()
        allowed = profile.scope_set if profile is not None else _DEFAULT_CLIENT_SCOPES
        return set(scopes) <= allowed
