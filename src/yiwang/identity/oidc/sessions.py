"""Sign-ins to departmental systems and signing out of all of them at once."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from yiwang.audit.services import record_event

from ..constants import AuditAction
from ..models import User
from .models import ClientSession

SESSION_SID_KEY = "oidc_sid"


def session_sid(session) -> str:
    """The OIDC session id of this browser session, created on first use."""
    sid = session.get(SESSION_SID_KEY)
    if not sid:
        sid = secrets.token_urlsafe(18)
        session[SESSION_SID_KEY] = sid
    return sid


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@transaction.atomic
def record_client_sign_in(*, user: User, application, sid: str, code: str = "") -> ClientSession:
    """Remember that this platform session signed in to the client (shown under "systems I've used")."""
    client_session, created = ClientSession.objects.get_or_create(
        user=user,
        application=application,
        sid=sid,
        ended_at__isnull=True,
    )
    if code:
        client_session.code_digest = code_digest(code)
        client_session.save(update_fields=["code_digest"])
    if created:
        record_event(
            action=AuditAction.CLIENT_SIGNED_IN,
            actor=user,
            target=user,
            system=application.client_id,
            details={"client_id": application.client_id, "client": application.name},
        )
    return client_session


@transaction.atomic
def sign_out_everywhere(*, user: User) -> list[int]:
    """End every open client session and token of the user; back-channel notices go out after commit."""
    from .backchannel import deliver_backchannel_logout

    now = timezone.now()
    open_sessions = list(ClientSession.objects.select_for_update().filter(user=user, ended_at__isnull=True))
    ClientSession.objects.filter(pk__in=[row.pk for row in open_sessions]).update(ended_at=now)
    for token in get_access_token_model().objects.filter(user=user):
        token.revoke()
    for refresh in get_refresh_token_model().objects.filter(user=user, revoked__isnull=True):
        refresh.revoke()
    record_event(
        action=AuditAction.SIGNED_OUT_EVERYWHERE,
        actor=user,
        target=user,
        details={"clients": sorted({row.application_id for row in open_sessions})},
    )
    ids = [row.pk for row in open_sessions]
    for session_id in ids:
        transaction.on_commit(
            lambda session_id=session_id: deliver_backchannel_logout.enqueue(client_session_id=session_id)
        )
    return ids
