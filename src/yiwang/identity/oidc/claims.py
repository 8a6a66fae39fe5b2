"""Claims the platform releases: pairwise subjects per client, name, acr from the assurance level."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from yiwang.identity.models import User

ACR_PREFIX = "urn:yiwang:loa:"
# Which scope releases each claim; a claim absent here is never released.
CLAIM_SCOPES = {
    "sub": "openid",
    "acr": "openid",
    "sid": "openid",
    "name": "profile",
    "family_name": "profile",
    "given_name": "profile",
    "assurance_level": "profile",
    "phone_number": "phone",
    "phone_number_verified": "phone",
    "id_number": "id_number",
}


def pairwise_subject(*, user: User, client_id: str) -> str:
    """A stable UUID for this user at this client that no other client can link to it."""
    key = settings.IDENTITY_PAIRWISE_SECRET.encode()
    digest = hmac.new(key, f"{client_id}|{user.public_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def acr_for(*, user: User) -> str:
    return f"{ACR_PREFIX}{user.assurance_level}"


def user_claims(*, user: User, client_id: str) -> dict[str, object]:
    """Every claim the platform can release for this user at this client, before scope filtering."""
    return {
        "sub": pairwise_subject(user=user, client_id=client_id),
        "acr": acr_for(user=user),
        "name": user.full_name,
        "family_name": user.surname,
        "given_name": user.given_name,
        "assurance_level": user.assurance_level,
        "phone_number": user.phone if user.phone_verified_at else "",
        "phone_number_verified": user.phone_verified_at is not None,
        "id_number": user.id_number or "",
    }
