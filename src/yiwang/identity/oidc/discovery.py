"""OpenID discovery at the site root, advertising pairwise subjects, S256 only and the logout support."""

from __future__ import annotations

import json

from oauth2_provider.views import ConnectDiscoveryInfoView

from .claims import ACR_PREFIX
from .jose import ALGORITHMS


class PlatformDiscoveryView(ConnectDiscoveryInfoView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["code_challenge_methods_supported"] = ["S256"]
        # Only the platform's RSA key signs ID tokens; HS256 clients are refused (see the validator).
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["acr_values_supported"] = [f"{ACR_PREFIX}{level}" for level in range(1, 6)]
        data["backchannel_logout_supported"] = True
        data["backchannel_logout_session_supported"] = True
        data["grant_types_supported"] = ["authorization_code", "refresh_token", "client_credentials"]
        # Systems authenticate with their secret or, when registered for it, a signed assertion (RFC 7523).
        data["token_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ]
        data["token_endpoint_auth_signing_alg_values_supported"] = list(ALGORITHMS)
        response.content = json.dumps(data).encode()
        response["Content-Length"] = str(len(response.content))
        return response
