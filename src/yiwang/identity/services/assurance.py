"""Raising a citizen's real-name assurance: level 3 by register check plus phone code, level 4 by face."""

from __future__ import annotations

from typing import NoReturn

from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import InvalidInput, PermissionDenied

from ..constants import AssuranceLevel, AuditAction, PhoneCodePurpose
from ..face import get_face_provider
from ..masking import mask_id_number
from ..models import PhoneCode, User
from .phone_codes import consume_phone_code, send_phone_code
from .register_checks import register_checks


def _refuse(*, user: User, error: InvalidInput | PermissionDenied, target_level: int) -> NoReturn:
    with transaction.atomic():
        record_event(
            action=AuditAction.ASSURANCE_REFUSED,
            actor=user,
            target=user,
            subject=user.id_number or "",
            outcome=Outcome.REFUSED,
            reason=error.code,
            details={
                "reason": error.code,
                "target_level": target_level,
                "id_number": mask_id_number(user.id_number or ""),
            },
        )
    raise error


def start_register_verification(*, user: User, phone: str) -> PhoneCode:
    """Check name and ID number against the population register, then text a code to the phone."""
    if user.assurance_level < AssuranceLevel.FORMAT_CHECKED or not user.id_number:
        _refuse(
            user=user,
            target_level=3,
            error=InvalidInput("请先填写姓名和身份号码（二级实名）", code="level_2_required"),
        )
    matches = register_checks.configured().person_name_matches(
        requested_by=user,
        id_number=user.id_number,
        name=user.full_name,
        purpose="实名认证：三级（人口库比对）",
    )
    if not matches:
        _refuse(
            user=user,
            target_level=3,
            error=InvalidInput(
                "姓名与身份号码和人口库登记信息不一致，请核对后重试", code="register_mismatch"
            ),
        )
    return send_phone_code(phone=phone, purpose=PhoneCodePurpose.STEP_UP, user=user)


def confirm_register_verification(*, user: User, phone: str, code: str) -> User:
    """Accept the phone code and raise the account to level 3."""
    consume_phone_code(phone=phone, purpose=PhoneCodePurpose.STEP_UP, code=code, user=user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        previous = locked.assurance_level
        now = timezone.now()
        locked.phone, locked.phone_verified_at = phone.strip(), now
        locked.assurance_level = max(previous, AssuranceLevel.REGISTER_VERIFIED)
        locked.assurance_verified_at = now
        locked.save(update_fields=["phone", "phone_verified_at", "assurance_level", "assurance_verified_at"])
        record_event(
            action=AuditAction.ASSURANCE_RAISED,
            actor=locked,
            target=locked,
            subject=locked.id_number,
            details={"from": previous, "to": locked.assurance_level, "method": "register+sms"},
        )
    return locked


def verify_face(*, user: User, sample: str) -> User:
    """Raise a level-3 account to level 4 when the configured face provider confirms the person."""
    provider = get_face_provider()
    if provider is None:
        _refuse(
            user=user, target_level=4, error=PermissionDenied("人脸核验服务尚未开通", code="face_unavailable")
        )
    if user.assurance_level < AssuranceLevel.REGISTER_VERIFIED:
        _refuse(
            user=user, target_level=4, error=InvalidInput("请先完成三级实名认证", code="level_3_required")
        )
    result = provider.verify(user=user, sample=sample)
    if not result.is_match:
        _refuse(user=user, target_level=4, error=InvalidInput("人脸核验未通过，请重试", code="face_mismatch"))
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        previous = locked.assurance_level
        locked.assurance_level = max(previous, AssuranceLevel.FACE_VERIFIED)
        locked.assurance_verified_at = timezone.now()
        locked.save(update_fields=["assurance_level", "assurance_verified_at"])
        record_event(
            action=AuditAction.ASSURANCE_RAISED,
            actor=locked,
            target=locked,
            subject=locked.id_number,
            details={
                "from": previous,
                "to": locked.assurance_level,
                "method": "face",
                "reference": result.reference,
            },
        )
    return locked
