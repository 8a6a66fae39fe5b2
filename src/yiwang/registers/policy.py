"""Who may read a register record: platform systems, the subject, and the holding department's staff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .constants import RegisterCode
from .models import Register

if TYPE_CHECKING:
    from yiwang.identity.models import User

_PREFIX_LENGTH_BY_LEVEL = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
_SELF_READ_MIN_LEVEL = 3
READ_PERMISSION = "register.read"


def region_prefix(*, code: str, level: int) -> str:
    """The leading digits every region inside ``code`` shares."""
    return code[: _PREFIX_LENGTH_BY_LEVEL.get(level, 12)]


def _is_subject(actor: User, register: str, subject: str) -> bool:
    if register == RegisterCode.LEGAL_PERSON:
        return actor.represented_enterprises.filter(credit_code=subject).exists()
    return (
        bool(actor.id_number) and actor.id_number == subject and actor.assurance_level >= _SELF_READ_MIN_LEVEL
    )


def _is_holding_staff(actor: User, register: str, region_code: str) -> bool:
    from yiwang.identity.constants import ROLE_PERMISSIONS

    if not actor.is_staff_member:
        return False
    department_id = Register.objects.filter(code=register).values_list("department_id", flat=True).first()
    if department_id is None:
        return False
    assignments = actor.staff_assignments.filter(department_id=department_id).select_related("region")
    return any(
        READ_PERMISSION in ROLE_PERMISSIONS.get(assignment.role, frozenset())
        and region_code.startswith(region_prefix(code=assignment.region.code, level=assignment.region.level))
        for assignment in assignments
    )


def may_read_record(
    *, actor: User | None, register: str, subject: str, region_code: str, system: str | None
) -> bool:
    """Whether this actor (or, with no person behind it, this platform system) may read the record."""
    if actor is None or not actor.is_authenticated:
        return bool(system)
    if not actor.is_active:
        return False
    return _is_subject(actor, register, subject) or _is_holding_staff(actor, register, region_code)
