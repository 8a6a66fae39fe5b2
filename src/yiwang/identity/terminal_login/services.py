"""Terminal logins: enrol a device, the QR a phone approves, a card put on the reader; each one audited.

The view opens the session (``django.contrib.auth.login``) once a service here returned the person;
refusals are recorded in their own transaction and then raised, so the refusal stays in the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import NoReturn

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from ..masking import mask_id_number
from ..models import User
from .base import CardReading
from .constants import QR_CHALLENGE_SECONDS, TerminalAction
from .devices import cookie_value, key_matches
from .models import TerminalLoginChallenge


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refuse(
    *, action: str, error: DomainError, actor: User | None = None, ip: str | None = None, **details: str
) -> NoReturn:
    with transaction.atomic():
        record_event(
            action=action,
            actor=actor,
            outcome=Outcome.REFUSED,
            reason=error.code,
            details=details,
            ip_address=ip,
        )
    raise error


def _may_use_terminal(user: User | None) -> bool:
    # Staff sign in with a second factor at their desks; a terminal is for citizens and agents.
    return bool(user and user.is_active and not user.is_staff_member and not user.is_staff)


def enrol_terminal(*, terminal_id: str, key: str, ip_address: str | None = None) -> str:
    """The signed cookie that makes this browser the terminal ``terminal_id``; a wrong key is refused."""
    terminal_id = terminal_id.strip()[:64]
    if not key_matches(terminal_id=terminal_id, key=key):
        _refuse(
            action=TerminalAction.TERMINAL_ENROL_REFUSED,
            error=PermissionDenied(_("终端编号或登记密钥不正确"), code="terminal_key_invalid"),
            ip=ip_address,
            terminal=terminal_id,
        )
    with transaction.atomic():
        record_event(
            action=TerminalAction.TERMINAL_ENROLLED,
            object_type="terminal",
            object_id=terminal_id,
            details={"terminal": terminal_id},
            ip_address=ip_address,
        )
    return cookie_value(terminal_id=terminal_id)


@transaction.atomic
def start_qr_login(*, terminal_id: str) -> tuple[TerminalLoginChallenge, str]:
    """A new QR challenge for the terminal and its secret token (only the token's digest is stored)."""
    token = secrets.token_urlsafe(32)
    challenge = TerminalLoginChallenge.objects.create(
        token_digest=token_digest(token),
        terminal_id=terminal_id,
        expires_at=timezone.now() + dt.timedelta(seconds=QR_CHALLENGE_SECONDS),
    )
    return challenge, token


def _open_challenge(token: str) -> TerminalLoginChallenge | None:
    return (
        TerminalLoginChallenge.objects.select_for_update()
        .filter(token_digest=token_digest(token), expires_at__gt=timezone.now(), approved_at__isnull=True)
        .first()
    )


def approve_qr_login(*, user: User, token: str, ip_address: str | None = None) -> TerminalLoginChallenge:
    """The person logged in on their phone lets the terminal that shows this QR log in as them, once."""
    if not _may_use_terminal(user):
        _refuse(
            action=TerminalAction.TERMINAL_LOGIN_REFUSED,
            error=PermissionDenied(_("该账号不能在自助终端登录"), code="terminal_account_refused"),
            actor=user,
            ip=ip_address,
            method="qr",
        )
    with transaction.atomic():
        challenge = _open_challenge(token)
        if challenge is not None:
            challenge.approved_by = user
            challenge.approved_at = timezone.now()
            challenge.save(update_fields=["approved_by", "approved_at"])
            record_event(
                action=TerminalAction.TERMINAL_LOGIN_APPROVED,
                actor=user,
                target=user,
                details={"terminal": challenge.terminal_id, "challenge": challenge.pk},
                ip_address=ip_address,
            )
            return challenge
    _refuse(
        action=TerminalAction.TERMINAL_LOGIN_REFUSED,
        error=NotFound(_("二维码已失效或已使用，请在终端上重新获取"), code="terminal_qr_invalid"),
        actor=user,
        ip=ip_address,
        method="qr",
    )


def complete_qr_login(*, terminal_id: str, challenge_id: int, ip_address: str | None = None) -> User:
    """The person who approved the terminal's QR; the QR is consumed, so it cannot log in twice."""
    with transaction.atomic():
        challenge = (
            # Lock the challenge row only (PostgreSQL refuses to lock the nullable side of the join).
            TerminalLoginChallenge.objects.select_for_update(of=("self",))
            .select_related("approved_by")
            .filter(pk=challenge_id, terminal_id=terminal_id, consumed_at__isnull=True)
            .filter(approved_at__isnull=False, expires_at__gt=timezone.now())
            .first()
        )
        user = challenge.approved_by if challenge is not None else None
        if challenge is not None and user is not None and _may_use_terminal(user):
            challenge.consumed_at = timezone.now()
            challenge.save(update_fields=["consumed_at"])
            record_event(
                action=TerminalAction.TERMINAL_LOGGED_IN,
                actor=user,
                target=user,
                details={"terminal": terminal_id, "method": "qr", "challenge": challenge.pk},
                ip_address=ip_address,
            )
            return user
    _refuse(
        action=TerminalAction.TERMINAL_LOGIN_REFUSED,
        error=Conflict(_("二维码已失效或已使用，请重新扫码"), code="terminal_qr_invalid"),
        ip=ip_address,
        method="qr",
        terminal=terminal_id,
    )


def card_login(
    *, terminal_id: str, reading: CardReading, reader_id: str, ip_address: str | None = None
) -> User:
    """The account of the ID card the terminal's reader read; no account (or a staff one) is refused alike."""
    user = User.objects.filter(id_number=reading.id_number).first()
    if not _may_use_terminal(user):
        _refuse(
            action=TerminalAction.TERMINAL_LOGIN_REFUSED,
            error=NotFound(
                _("未找到该身份证对应的账号，请先在网上或手机上注册"), code="terminal_card_unknown"
            ),
            ip=ip_address,
            method=f"card:{reader_id}",
            terminal=terminal_id,
            card=mask_id_number(reading.id_number),
        )
    assert user is not None  # for mypy: _may_use_terminal(None) is False
    with transaction.atomic():
        record_event(
            action=TerminalAction.TERMINAL_LOGGED_IN,
            actor=user,
            target=user,
            details={"terminal": terminal_id, "method": f"card:{reader_id}", "reference": reading.reference},
            ip_address=ip_address,
        )
    return user


@transaction.atomic
def record_terminal_logout(
    *, user: User, terminal_id: str, reason: str, ip_address: str | None = None
) -> None:
    """Log the end of a terminal session: the person's logout button, or the idle or session time-out."""
    record_event(
        action=TerminalAction.TERMINAL_LOGGED_OUT,
        actor=user,
        target=user,
        details={"terminal": terminal_id, "reason": reason},
        ip_address=ip_address,
    )
