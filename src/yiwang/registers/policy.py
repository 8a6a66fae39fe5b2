"""Who may read a register record: platform systems, the subject, and the holding department's staff."""

from __future__ import annotations

from yiwang.identity.models import StaffAssignment, User
from yiwang.identity.selectors import assignment_with_permission

from .constants import RegisterCode
from .models import Register

_SELF_READ_MIN_LEVEL = 3
READ_PERMISSION = "register.read"


def _is_subject(actor: User, register: str, subject: str) -> bool:
    if register == RegisterCode.LEGAL_PERSON:
        return actor.represented_enterprises.filter(credit_code=subject).exists()
    return (
        bool(actor.id_number) and actor.id_number == subject and actor.assurance_level >= _SELF_READ_MIN_LEVEL
    )


def reading_assignment(*, actor: User, register: str, region_code: str) -> StaffAssignment | None:
    """The actor's role in the department holding the register that lets them read a record of the region."""
    department_id = Register.objects.filter(code=register).values_list("department_id", flat=True).first()
    if department_id is None:
        return None
    return assignment_with_permission(
        actor=actor, permission=READ_PERMISSION, department_id=department_id, region_code=region_code
    )


def may_read_record(
    *, actor: User | None, register: str, subject: str, region_code: str, system: str | None
) -> bool:
    """Whether this actor (or, with no person behind it, this platform system) may read the record."""
    if actor is None or not actor.is_authenticated:
        return bool(system)
    if not actor.is_active:
        return False
    if _is_subject(actor, register, subject):
        return True
    return reading_assignment(actor=actor, register=register, region_code=region_code) is not None
