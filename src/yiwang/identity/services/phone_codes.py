"""One-time codes sent by SMS: only a keyed hash is stored; expiry, resend delay and attempts are bounded."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.notifications.services import send_sms_now

from ..constants import AuditAction
from ..masking import mask_phone
from ..models import PhoneCode, User
from .accounts import check_phone

MAX_ATTEMPTS = 5


def _hash(*, phone: str, purpose: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{phone}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def send_phone_code(*, phone: str, purpose: str, user: User | None = None) -> PhoneCode:
    """Create a fresh code for the phone and send it at once through notifications' SMS channel."""
    phone = check_phone(phone)
    now = timezone.now()
    resend_after = dt.timedelta(seconds=settings.IDENTITY_PHONE_CODE_RESEND_SECONDS)
    if PhoneCode.objects.filter(phone=phone, purpose=purpose, created_at__gt=now - resend_after).exists():
        raise Conflict(
            f"验证码发送过于频繁，请{int(resend_after.total_seconds())}秒后再试", code="code_too_frequent"
        )
    code = f"{secrets.randbelow(10**6):06d}"
    lifetime = settings.IDENTITY_PHONE_CODE_SECONDS
    with transaction.atomic():
        phone_code = PhoneCode.objects.create(
            phone=phone,
            purpose=purpose,
            user=user,
            code_hash=_hash(phone=phone, purpose=purpose, code=code),
            expires_at=now + dt.timedelta(seconds=lifetime),
        )
        record_event(
            action=AuditAction.PHONE_CODE_SENT,
            actor=user,
            details={"phone": mask_phone(phone), "purpose": purpose},
        )
    send_sms_now(
        phone=phone,
        message=f"【一网通办】您的验证码为{code}，{lifetime // 60}分钟内有效。请勿泄露给他人。",
    )
    return phone_code


def consume_phone_code(*, phone: str, purpose: str, code: str, user: User | None = None) -> None:
    """Accept the latest code for this phone once; refusals are counted and logged, then raised."""
    error: InvalidInput | None = None
    with transaction.atomic():
        # A code only counts for the account it was sent to (None: codes sent before login).
        latest = (
            PhoneCode.objects.select_for_update()
            .filter(phone=(phone or "").strip(), purpose=purpose, used_at__isnull=True, user=user)
            .order_by("-created_at")
            .first()
        )
        if latest is None:
            error = InvalidInput("请先获取短信验证码", code="code_missing")
        elif latest.expires_at <= timezone.now():
            error = InvalidInput("验证码已过期，请重新获取", code="code_expired")
        elif latest.failed_attempts >= MAX_ATTEMPTS:
            error = InvalidInput("验证码错误次数过多，请重新获取", code="code_locked")
        elif not hmac.compare_digest(
            latest.code_hash, _hash(phone=latest.phone, purpose=purpose, code=(code or "").strip())
        ):
            PhoneCode.objects.filter(pk=latest.pk).update(failed_attempts=F("failed_attempts") + 1)
            error = InvalidInput("验证码不正确", code="code_mismatch")
        else:
            latest.used_at = timezone.now()
            latest.save(update_fields=["used_at"])
        if error is not None:
            record_event(
                action=AuditAction.PHONE_CODE_REFUSED,
                actor=user,
                outcome=Outcome.REFUSED,
                reason=error.code,
                details={"phone": mask_phone(phone), "reason": error.code},
            )
    if error is not None:
        raise error
