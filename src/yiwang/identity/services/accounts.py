"""Citizen registration (assurance level 2) and staff accounts created by administrators."""

from __future__ import annotations

import re

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yiwang.audit.constants import Outcome
from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.core.identifiers import InvalidIdentifier, parse_resident_id
from yiwang.regions.models import Department, Region
from yiwang.regions.selectors import region_covers

from ..constants import AssuranceLevel, AuditAction, StaffRole
from ..masking import mask_id_number
from ..models import StaffAssignment, User
from .admin_access import sync_admin_access

_NAME_PART = re.compile(r"^[\u4e00-\u9fff·]{1,15}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{4,40}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")


REGISTRATION_NOT_POSSIBLE = "无法用所填信息开通新账号。如您此前注册过，请直接登录；忘记密码请联系12345热线。"


def _refuse(
    *,
    action: str,
    error: InvalidInput | Conflict,
    details: dict,
    actor: User | None = None,
    ip_address: str | None = None,
) -> None:
    """Log a refused attempt in its own transaction, then raise the error the caller sees."""
    with transaction.atomic():
        record_event(
            action=action,
            actor=actor,
            outcome=Outcome.REFUSED,
            reason=error.code,
            details={"reason": error.code, **details},
            ip_address=ip_address,
        )
    raise error


def check_name_parts(*, surname: str, given_name: str) -> tuple[str, str]:
    surname, given_name = (surname or "").strip(), (given_name or "").strip()
    if not _NAME_PART.fullmatch(surname) or not _NAME_PART.fullmatch(given_name):
        raise InvalidInput("姓和名应为中文（可含间隔号·）", code="invalid_name")
    return surname, given_name


def check_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if not _PHONE.fullmatch(phone):
        raise InvalidInput("请输入11位中国大陆手机号码", code="invalid_phone")
    return phone


def register_citizen(
    *,
    username: str,
    password: str,
    surname: str,
    given_name: str,
    id_number: str,
    phone: str = "",
    ip_address: str | None = None,
    privacy_notice_version: str = "",
) -> User:
    """Open an account whose name and ID number passed the format check: assurance level 2. The version
    of the privacy notice the person accepted (registration page) is kept on the account."""
    details = {"username": username[:40], "id_number": mask_id_number(id_number)}
    try:
        if not _USERNAME.fullmatch(username or ""):
            raise InvalidInput("用户名为4-40位字母、数字或 _ . @ + -", code="invalid_username")
        surname, given_name = check_name_parts(surname=surname, given_name=given_name)
        id_number = parse_resident_id(id_number).number
        if len(id_number) != 18:
            raise InvalidIdentifier("请使用18位公民身份号码", code="invalid_id_format")
        phone = check_phone(phone) if phone else ""
        candidate = User(username=username, surname=surname, given_name=given_name, id_number=id_number)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise InvalidInput("；".join(error.messages), code="weak_password") from None
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict("该用户名已被使用", code="username_taken")
        if User.objects.filter(id_number=id_number).exists():
            # The caller must not learn that this ID number has an account (enumeration): the message
            # names no cause; the audit entry keeps the real reason.
            raise Conflict(REGISTRATION_NOT_POSSIBLE, code="id_number_registered")
    except (InvalidInput, Conflict) as error:
        _refuse(action=AuditAction.REGISTRATION_REFUSED, error=error, details=details, ip_address=ip_address)
    with transaction.atomic():
        user = User(
            username=username,
            surname=surname,
            given_name=given_name,
            id_number=id_number,
            phone=phone,
            assurance_level=AssuranceLevel.FORMAT_CHECKED,
            assurance_verified_at=timezone.now(),
            privacy_notice_version=privacy_notice_version[:20],
            privacy_accepted_at=timezone.now() if privacy_notice_version else None,
        )
        user.set_password(password)
        user.save()
        record_event(
            action=AuditAction.USER_REGISTERED,
            actor=user,
            target=user,
            subject=user.id_number,
            details={**details, "privacy_notice_version": user.privacy_notice_version},
            ip_address=ip_address,
        )
    return user


def _check_platform_admin(*, actor: User, department: Department) -> None:
    if actor.is_superuser:
        return
    admin_regions = actor.staff_assignments.filter(role=StaffRole.PLATFORM_ADMIN).select_related("region")
    if not any(
        region_covers(outer=assignment.region, inner_code=department.region_id)
        for assignment in admin_regions
    ):
        raise PermissionDenied("只有该地区的平台管理员可以管理工作人员", code="not_platform_admin")


@transaction.atomic
def grant_staff_role(
    *, granted_by: User, user: User, department: Department, role: str, region: Region | None = None
) -> StaffAssignment:
    """Give a staff member a role in a department, scoped to the department's region or a part of it."""
    _check_platform_admin(actor=granted_by, department=department)
    if role not in StaffRole.values:
        raise InvalidInput("未知的工作人员角色", code="unknown_role")
    region = region or department.region
    if not region_covers(outer=department.region, inner_code=region.code):
        raise InvalidInput("管辖区划必须在部门所在区划之内", code="region_outside_department")
    if not user.is_staff_member:
        raise InvalidInput("只能给工作人员账号授予角色", code="not_staff_member")
    _check_separation_of_duties(granted_by=granted_by, user=user, role=role)
    assignment, created = StaffAssignment.objects.get_or_create(
        user=user,
        department=department,
        role=role,
        defaults={"region": region},
    )
    if not created and assignment.region_id != region.code:
        assignment.region = region
        assignment.save(update_fields=["region", "updated_at"])
    record_event(
        action=AuditAction.STAFF_ROLE_GRANTED,
        actor=granted_by,
        target=user,
        department=department,
        details={"department": department.credit_code, "role": role, "region": region.code},
    )
    sync_admin_access(user=user)
    return assignment


# 三员分立 (等保三级): who administers the platform does not audit it; nobody grants themselves a role.
_EXCLUSIVE_ROLES = frozenset({StaffRole.PLATFORM_ADMIN, StaffRole.AUDITOR})


def _check_separation_of_duties(*, granted_by: User, user: User, role: str) -> None:
    if granted_by.pk == user.pk:
        raise PermissionDenied("不能给自己授予角色", code="self_grant_refused")
    if role in _EXCLUSIVE_ROLES:
        other = _EXCLUSIVE_ROLES - {role}
        if user.staff_assignments.filter(role__in=other).exists():
            raise InvalidInput("平台管理员与审计员须由不同的人担任（三员分立）", code="separation_of_duties")


@transaction.atomic
def revoke_staff_role(*, revoked_by: User, assignment: StaffAssignment) -> None:
    _check_platform_admin(actor=revoked_by, department=assignment.department)
    record_event(
        action=AuditAction.STAFF_ROLE_REVOKED,
        actor=revoked_by,
        target=assignment.user,
        department=assignment.department,
        details={"department": assignment.department.credit_code, "role": assignment.role},
    )
    assignment.delete()
    sync_admin_access(user=assignment.user)


@transaction.atomic
def save_user_account(*, saved_by: User, user: User, is_new: bool) -> User:
    """Save an account edited in the back office; a new staff account is logged with its creator."""
    user.save()
    if is_new and user.is_staff_member:
        record_event(action=AuditAction.STAFF_CREATED, actor=saved_by, target=user)
    return user


@transaction.atomic
def create_staff_member(
    *,
    created_by: User,
    username: str,
    password: str,
    surname: str,
    given_name: str,
    department: Department,
    role: str,
    phone: str = "",
    region: Region | None = None,
) -> User:
    """Create a staff account with its first role; the member must enrol a TOTP device at first login."""
    _check_platform_admin(actor=created_by, department=department)
    surname, given_name = check_name_parts(surname=surname, given_name=given_name)
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict("该用户名已被使用", code="username_taken")
    user = User(username=username, surname=surname, given_name=given_name, phone=phone, is_staff_member=True)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput("；".join(error.messages), code="weak_password") from None
    user.set_password(password)
    user.save()
    record_event(
        action=AuditAction.STAFF_CREATED,
        actor=created_by,
        target=user,
        department=department,
        details={"department": department.credit_code, "role": role},
    )
    grant_staff_role(granted_by=created_by, user=user, department=department, role=role, region=region)
    return user
