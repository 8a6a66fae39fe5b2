"""Reads of terminal logins: what the terminal's polling asks, what the approving phone shows."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.errors import NotFound

from .models import TerminalLoginChallenge
from .services import token_digest

PENDING, APPROVED, EXPIRED = "pending", "approved", "expired"


def qr_login_status(*, terminal_id: str, challenge_id: int | None) -> str:
    """``pending`` until a phone approves, then ``approved``; ``expired`` once out of time or used."""
    challenge = (
        TerminalLoginChallenge.objects.filter(pk=challenge_id, terminal_id=terminal_id).first()
        if challenge_id
        else None
    )
    if challenge is None or challenge.consumed_at or challenge.expires_at <= timezone.now():
        return EXPIRED
    return APPROVED if challenge.approved_at else PENDING


def get_challenge_for_approval(*, token: str) -> TerminalLoginChallenge:
    """The open (unexpired, unapproved) challenge of a scanned token; else NotFound."""
    challenge = TerminalLoginChallenge.objects.filter(
        token_digest=token_digest(token), expires_at__gt=timezone.now(), approved_at__isnull=True
    ).first()
    if challenge is None:
        raise NotFound(_("二维码已失效或已使用，请在终端上重新获取"), code="terminal_qr_invalid")
    return challenge
