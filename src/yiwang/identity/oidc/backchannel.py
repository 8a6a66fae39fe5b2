"""OpenID Connect Back-Channel Logout 1.0: a signed logout token POSTed to each client's endpoint."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.utils import timezone
from django_tasks import task
from jwcrypto import jwk, jwt

from .claims import pairwise_subject
from .models import ClientProfile, ClientSession

logger = logging.getLogger("yiwang.identity.oidc")
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def build_logout_token(*, client_session: ClientSession) -> str:
    """The logout token for one client session, signed with the provider's id_token key."""
    key = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
    now = int(time.time())
    client_id = client_session.application.client_id
    claims = {
        "iss": settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"],
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": pairwise_subject(user=client_session.user, client_id=client_id),
        "sid": client_session.sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    token = jwt.JWT(header={"alg": "RS256", "typ": "logout+jwt", "kid": key.thumbprint()}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


@task()
def deliver_backchannel_logout(*, client_session_id: int) -> str:
    """POST the logout token to the client (idempotent: a notified session is not sent again)."""
    client_session = (
        ClientSession.objects.select_related("application", "user")
        .filter(pk=client_session_id, notified_at__isnull=True)
        .first()
    )
    if client_session is None:
        return "already notified"
    profile = ClientProfile.objects.filter(application=client_session.application).first()
    if profile is None or not profile.backchannel_logout_uri:
        return "no back-channel endpoint"
    body = urllib.parse.urlencode(
        {"logout_token": build_logout_token(client_session=client_session)}
    ).encode()
    if not profile.backchannel_logout_uri.startswith(("https://", "http://")):
        return "unsupported back-channel endpoint scheme"
    request = urllib.request.Request(  # noqa: S310 (scheme checked just above)
        profile.backchannel_logout_uri,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 (admin-registered https/http URI)
            status = response.status
        error = "" if status == 200 else f"HTTP {status}"
    except (urllib.error.URLError, OSError) as exc:
        error = str(exc)[:200]
    ClientSession.objects.filter(pk=client_session.pk).update(
        notified_at=timezone.now() if not error else None, notify_error=error
    )
    if error:
        logger.warning("back-channel logout to %s failed: %s", client_session.application.client_id, error)
    return error or "notified"
