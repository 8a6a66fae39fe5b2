"""OpenID discovery at the site root, advertising pairwise subjects, S256 only and the logout support."""

from __future__ import annotations

import json

from oauth2_provider.views import ConnectDiscoveryInfoView

from .claims import ACR_PREFIX


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
        data["grant_types_supported"] = ["authorization_code", "refresh_token"]
        response.content = json.dumps(data).encode()
        response["Content-Length"] = str(len(response.content))
        return response
