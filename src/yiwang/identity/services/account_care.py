"""Account care for citizens: forgot password and log in through a verified phone, change the phone,
keep favourite services. Every change and every refusal is audited.

A phone identifies an account only when it was verified (level 3 or a phone change) and belongs to exactly
one active citizen account; staff accounts never log in or reset a password by SMS (they need TOTP). The
caller never learns whether a phone has an account: the start steps answer alike, the audit keeps why.
"""

from __future__ import annotations

import datetime as dt
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.catalog.models import Implementation
from yiwang.core.errors import Conflict, InvalidInput

from ..constants import AuditAction, PhoneCodePurpose
from ..masking import mask_phone
from ..models import FavouriteService, PhoneCode, User
from .accounts import check_phone
from .phone_codes import consume_phone_code, send_phone_code

# At most this many codes per phone and purpose in an hour (the resend delay bounds the rate per minute).
HOURLY_CODES_PER_PHONE = 5
GENERIC_CODE_ERROR = "手机号或验证码不正确"


def _refuse(
    *, action: str, error: InvalidInput | Conflict, phone: str, actor: User | None, ip: str | None
) -> NoReturn:
    with transaction.atomic():
        record_event(
            action=action,
            actor=actor,
            target=actor,
            outcome=Outcome.REFUSED,
            reason=error.code,
            details={"phone": mask_phone(phone or ""), "reason": error.code},
            ip_address=ip,
        )
    raise error


def _check_hourly_limit(*, phone: str, purpose: str) -> None:
    since = timezone.now() - dt.timedelta(hours=1)
    if PhoneCode.objects.filter(phone=phone, purpose=purpose, created_at__gt=since).count() >= (
        getattr(settings, "IDENTITY_PHONE_CODES_PER_HOUR", HOURLY_CODES_PER_PHONE)
    ):
        raise Conflict("该手机号本小时获取验证码次数已达上限，请稍后再试", code="code_hourly_limit")


def citizen_with_verified_phone(phone: str) -> User | None:
    """The one active citizen account whose verified phone this is (None if none or several)."""
    accounts = list(
        User.objects.filter(
            phone=(phone or "").strip(),
            phone_verified_at__isnull=False,
            is_active=True,
            is_staff_member=False,
        )[:2]
    )
    return accounts[0] if len(accounts) == 1 else None


def _send_to_verified_phone(*, phone: str, purpose: str, refused_action: str, ip_address: str | None) -> None:
    try:
        phone = check_phone(phone)
    except InvalidInput as error:
        _refuse(action=refused_action, error=error, phone=phone, actor=None, ip=ip_address)
    user = citizen_with_verified_phone(phone)
    if user is None:
        # Answer as if a code was sent: whether a phone has an account is not told (enumeration).
        with transaction.atomic():
            record_event(
                action=refused_action,
                outcome=Outcome.REFUSED,
                reason="no_verified_account",
                details={"phone": mask_phone(phone), "reason": "no_verified_account"},
                ip_address=ip_address,
            )
        return
    try:
        _check_hourly_limit(phone=phone, purpose=purpose)
    except Conflict as error:
        _refuse(action=refused_action, error=error, phone=phone, actor=user, ip=ip_address)
    send_phone_code(phone=phone, purpose=purpose, user=user)


def _consume_for_verified_phone(
    *, phone: str, code: str, purpose: str, refused_action: str, ip_address: str | None
) -> User:
    phone = (phone or "").strip()
    user = citizen_with_verified_phone(phone)
    if user is None:
        _refuse(
            action=refused_action,
            error=InvalidInput(GENERIC_CODE_ERROR, code="code_mismatch"),
            phone=phone,
            actor=None,
            ip=ip_address,
        )
    consume_phone_code(phone=phone, purpose=purpose, code=code, user=user)
    return user


# --- forgot password ---------------------------------------------------------------------------------


def start_password_reset(*, phone: str, ip_address: str | None = None) -> None:
    """Text a reset code to the phone if it is a citizen's verified phone (the caller is told the same
    either way)."""
    _send_to_verified_phone(
        phone=phone,
        purpose=PhoneCodePurpose.RESET_PASSWORD,
        refused_action=AuditAction.PASSWORD_RESET_REFUSED,
        ip_address=ip_address,
    )


def reset_password(*, phone: str, code: str, new_password: str, ip_address: str | None = None) -> User:
    """Set a new password once the phone's code is accepted; other sessions end with the old password."""
    user = _consume_for_verified_phone(
        phone=phone,
        code=code,
        purpose=PhoneCodePurpose.RESET_PASSWORD,
        refused_action=AuditAction.PASSWORD_RESET_REFUSED,
        ip_address=ip_address,
    )
    try:
        validate_password(new_password, user)
    except ValidationError as error:
        _refuse(
            action=AuditAction.PASSWORD_RESET_REFUSED,
            error=InvalidInput("；".join(error.messages), code="weak_password"),
            phone=phone,
            actor=user,
            ip=ip_address,
        )
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(new_password)
        locked.save(update_fields=["password"])
        record_event(
            action=AuditAction.PASSWORD_RESET,
            actor=locked,
            target=locked,
            details={"phone": mask_phone(locked.phone)},
            ip_address=ip_address,
        )
    return locked


# --- log in by SMS code ------------------------------------------------------------------------------


def start_sms_login(*, phone: str, ip_address: str | None = None) -> None:
    _send_to_verified_phone(
        phone=phone,
        purpose=PhoneCodePurpose.LOGIN,
        refused_action=AuditAction.SMS_LOGIN_REFUSED,
        ip_address=ip_address,
    )


def sms_login_user(*, phone: str, code: str, ip_address: str | None = None) -> User:
    """The citizen whose verified phone received this code (the view opens the session and records the
    login with ``record_login(second_factor="sms")``)."""
    return _consume_for_verified_phone(
        phone=phone,
        code=code,
        purpose=PhoneCodePurpose.LOGIN,
        refused_action=AuditAction.SMS_LOGIN_REFUSED,
        ip_address=ip_address,
    )


# --- change phone ------------------------------------------------------------------------------------


def start_phone_change(*, user: User, new_phone: str, password: str, ip_address: str | None = None) -> None:
    """Check the account's password, then text a code to the new phone."""
    try:
        new_phone = check_phone(new_phone)
        if not user.check_password(password or ""):
            raise InvalidInput("当前密码不正确", code="bad_password")
        if new_phone == user.phone and user.phone_verified_at:
            raise InvalidInput("新手机号与当前手机号相同", code="same_phone")
        if (
            User.objects.filter(phone=new_phone, phone_verified_at__isnull=False, is_active=True)
            .exclude(pk=user.pk)
            .exists()
        ):
            raise Conflict("该手机号已绑定其他账号，请先在该账号中更换", code="phone_taken")
        _check_hourly_limit(phone=new_phone, purpose=PhoneCodePurpose.CHANGE_PHONE)
    except (InvalidInput, Conflict) as error:
        _refuse(
            action=AuditAction.PHONE_CHANGE_REFUSED, error=error, phone=new_phone, actor=user, ip=ip_address
        )
    send_phone_code(phone=new_phone, purpose=PhoneCodePurpose.CHANGE_PHONE, user=user)


def confirm_phone_change(*, user: User, new_phone: str, code: str, ip_address: str | None = None) -> User:
    """Accept the code sent to the new phone; the account's phone becomes it, verified now."""
    new_phone = (new_phone or "").strip()
    consume_phone_code(phone=new_phone, purpose=PhoneCodePurpose.CHANGE_PHONE, code=code, user=user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        old_phone = locked.phone
        locked.phone, locked.phone_verified_at = new_phone, timezone.now()
        locked.save(update_fields=["phone", "phone_verified_at"])
        record_event(
            action=AuditAction.PHONE_CHANGED,
            actor=locked,
            target=locked,
            details={"old_phone": mask_phone(old_phone), "new_phone": mask_phone(new_phone)},
            ip_address=ip_address,
        )
    return locked


# --- favourites --------------------------------------------------------------------------------------


@transaction.atomic
def add_favourite(*, user: User, implementation_code: str) -> FavouriteService:
    implementation = Implementation.objects.filter(code=(implementation_code or "").strip()).first()
    if implementation is None:
        raise InvalidInput("未找到该办事指南", code="guide_not_found")
    favourite, created = FavouriteService.objects.get_or_create(user=user, implementation=implementation)
    if created:
        record_event(
            action=AuditAction.FAVOURITE_ADDED,
            actor=user,
            target=user,
            details={"guide": implementation.code},
        )
    return favourite


@transaction.atomic
def remove_favourite(*, user: User, implementation_code: str) -> None:
    deleted, _ = FavouriteService.objects.filter(
        user=user, implementation__code=(implementation_code or "").strip()
    ).delete()
    if deleted:
        record_event(
            action=AuditAction.FAVOURITE_REMOVED,
            actor=user,
            target=user,
            details={"guide": implementation_code},
        )
