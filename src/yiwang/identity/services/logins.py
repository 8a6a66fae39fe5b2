"""Sign-in events: successful and failed logins, and a staff member's first TOTP device."""

from __future__ import annotations

from django.db import transaction

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event

from ..constants import AuditAction
from ..models import User


@transaction.atomic
def record_login(*, user: User, second_factor: str = "", ip_address: str | None = None) -> None:
    """Log a completed login (the session itself is opened by the view)."""
    record_event(
        action=AuditAction.LOGGED_IN,
        actor=user,
        target=user,
        ip_address=ip_address,
        details={"second_factor": second_factor},
    )


@transaction.atomic
def record_login_failure(
    *, username: str, reason: str = "bad_credentials", ip_address: str | None = None
) -> None:
    """Log a refused login; only the username typed is kept, never the password."""
    record_event(
        action=AuditAction.LOGIN_FAILED,
        outcome=Outcome.REFUSED,
        reason=reason,
        details={"username": username[:150], "reason": reason},
        ip_address=ip_address,
    )


@transaction.atomic
def confirm_totp_device(*, user: User, device) -> None:
    """Mark a staff member's first TOTP device confirmed once a token from it has been verified."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(action=AuditAction.TOTP_DEVICE_CONFIRMED, actor=user, target=user)
