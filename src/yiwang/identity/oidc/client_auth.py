"""private_key_jwt (RFC 7523 §2.2, OIDC Core §9): a system proves itself with an assertion signed by its key.

The assertion is a JWT with iss = sub = the client id, aud = the token endpoint (or the issuer), a short
``exp`` (at most five minutes ahead) and a ``jti`` used once. It is checked only with the keys registered
for that system (``ClientKey``), under each key's own algorithm. A ``jti`` is remembered in the Django
cache (Redis in production, shared by every worker) until the assertion expires, so a replay is refused.
Every refusal is the same ``invalid_client`` to the caller; the reason goes to the log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from oauth2_provider.settings import oauth2_settings

from ..constants import TokenAuthMethod
from .jose import JoseError, PublicKey, UnverifiedToken, parse_public_key, split_token, verify_signature
from .models import ClientKey, ClientProfile

log = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME_SECONDS = 300
LEEWAY_SECONDS = 30
MAX_JTI_LENGTH = 200
# An assertion may be tried against at most this many keys when it names no kid (rotation overlap).
MAX_KEYS_WITHOUT_KID = 5


class AssertionRefused(Exception):
    """Why an assertion was not accepted (logged, never shown: the caller gets invalid_client)."""


def uses_assertion(request) -> bool:
    """Whether the token request carries a client assertion (of any type)."""
    return (
        getattr(request, "client_assertion_type", None) is not None
        or getattr(request, "client_assertion", None) is not None
    )


def auth_method_of(application) -> str:
    method = (
        ClientProfile.objects.filter(application=application)
        .values_list("token_endpoint_auth_method", flat=True)
        .first()
    )
    return method or TokenAuthMethod.CLIENT_SECRET


def accepted_audiences() -> set[str]:
    """The token endpoint's URL and the issuer, each with and without a trailing slash."""
    issuer = (oauth2_settings.OIDC_ISS_ENDPOINT or settings.SITE_URL).rstrip("/")
    token_url = issuer + reverse("oauth2_provider:token")
    return {issuer, issuer + "/", token_url, token_url.rstrip("/")}


def client_id_of_assertion(request) -> str:
    """The client the assertion claims to come from (iss = sub), before anything is verified."""
    if getattr(request, "client_assertion_type", None) != JWT_BEARER:
        raise AssertionRefused("client_assertion_type is not jwt-bearer")
    for name in ("client_assertion", "client_assertion_type", "client_id"):
        if name in request.duplicate_params:
            raise AssertionRefused(f"{name} given twice")
    if getattr(request, "client_secret", None) or request.headers.get("Authorization"):
        # RFC 6749 §2.3: a client uses one authentication method per request.
        raise AssertionRefused("assertion given together with another client authentication")
    token = _split(getattr(request, "client_assertion", None))
    issuer, subject = token.claims.get("iss"), token.claims.get("sub")
    if not isinstance(issuer, str) or not issuer or issuer != subject:
        raise AssertionRefused("iss and sub must both be the client id")
    given = getattr(request, "client_id", None)
    if given and given != issuer:
        raise AssertionRefused("client_id differs from the assertion's iss")
    request._client_assertion = token
    return issuer


def verify_assertion(request, application) -> None:
    """Check the assertion ``client_id_of_assertion`` loaded, for ``application``; raises AssertionRefused."""
    token: UnverifiedToken = request._client_assertion
    if auth_method_of(application) != TokenAuthMethod.PRIVATE_KEY_JWT:
        raise AssertionRefused("the client is not registered for private_key_jwt")
    _check_signature(token, application)
    now = time.time()
    expires_at = _check_times(token.claims, now)
    _check_audience(token.claims.get("aud"))
    _use_jti(application.client_id, token.claims.get("jti"), ttl=expires_at - now + LEEWAY_SECONDS)


def _split(assertion: Any) -> UnverifiedToken:
    if not isinstance(assertion, str) or not assertion:
        raise AssertionRefused("no client_assertion")
    try:
        return split_token(assertion)
    except JoseError as error:
        raise AssertionRefused(str(error)) from error


def _check_signature(token: UnverifiedToken, application) -> None:
    keys = ClientKey.objects.filter(application=application, revoked_at__isnull=True)
    kid = token.header.get("kid")
    if kid is not None:
        if not isinstance(kid, str):
            raise AssertionRefused("kid is not a string")
        keys = keys.filter(kid=kid)
    candidates = [_public_key(row) for row in keys.order_by("-created_at")[:MAX_KEYS_WITHOUT_KID]]
    if not candidates:
        raise AssertionRefused(f"no active key {kid!r} registered for the client")
    errors = []
    for key in candidates:
        try:
            verify_signature(token, key)
            return
        except JoseError as error:
            errors.append(str(error))
    raise AssertionRefused("; ".join(errors))


def _public_key(row: ClientKey) -> PublicKey:
    key = parse_public_key(json.dumps(row.public_jwk))
    if key.algorithm != row.algorithm:  # the stored row was edited by hand
        raise AssertionRefused(f"key {row.kid!r} does not match its algorithm")
    return key


def _check_times(claims: dict[str, Any], now: float) -> float:
    expires_at = claims.get("exp")
    if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
        raise AssertionRefused("exp missing or not a number")
    if expires_at <= now - LEEWAY_SECONDS:
        raise AssertionRefused("assertion expired")
    if expires_at > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise AssertionRefused(f"exp more than {MAX_LIFETIME_SECONDS} s ahead")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool) or value > now + LEEWAY_SECONDS:
            raise AssertionRefused(f"{name} is in the future or not a number")
    issued_at = claims.get("iat")
    if issued_at is not None and expires_at - issued_at > MAX_LIFETIME_SECONDS:
        raise AssertionRefused(f"lifetime longer than {MAX_LIFETIME_SECONDS} s")
    return float(expires_at)


def _check_audience(audience: Any) -> None:
    values = audience if isinstance(audience, list) else [audience]
    if not any(isinstance(value, str) and value in accepted_audiences() for value in values):
        raise AssertionRefused(f"aud {audience!r} is not this token endpoint")


def _use_jti(client_id: str, jti: Any, *, ttl: float) -> None:
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise AssertionRefused("jti missing or too long")
    digest = hashlib.sha256(f"{client_id}\x00{jti}".encode()).hexdigest()
    # cache.add is atomic (SET NX on Redis): of two concurrent uses exactly one wins.
    if not cache.add(f"oauth:client-assertion-jti:{digest}", 1, timeout=max(1, int(ttl) + 1)):
        raise AssertionRefused("jti already used")
