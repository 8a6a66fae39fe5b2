"""Who may read a register record: platform systems, the subject, and the holding department's staff.

The answer is a ``ReadDecision``: whether the read is allowed, on what authority (the subject's own read,
or the staff role identity says grants it), and, when refused, why (the reason the audit log keeps and
the alerts follow: a clerk of the holding department reading outside their region is not the same as a
stranger).
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.audit.constants import AlertReason
from yiwang.identity.models import StaffAssignment, User
from yiwang.identity.selectors import assignment_with_permission

from .constants import RegisterCode

_SELF_READ_MIN_LEVEL = 3
READ_PERMISSION = "register.read"
NOT_PERMITTED = "not_permitted"


@dataclass(frozen=True)
class ReadDecision:
    allowed: bool
    is_own_record: bool = False
    assignment: StaffAssignment | None = None
    reason: str = ""


def _is_subject(actor: User, register: str, subject: str) -> bool:
    if register == RegisterCode.LEGAL_PERSON:
        return actor.represented_enterprises.filter(credit_code=subject).exists()
    return (
        bool(actor.id_number) and actor.id_number == subject and actor.assurance_level >= _SELF_READ_MIN_LEVEL
    )


def reading_assignment(
    *, actor: User, department_id: int | None, region_code: str | None
) -> StaffAssignment | None:
    """The actor's role in the register's holding department that lets them read a record of the region.

    ``region_code=None`` asks whether any of the department's read roles is held, whatever its region.
    """
    if department_id is None:
        return None
    return assignment_with_permission(
        actor=actor, permission=READ_PERMISSION, department_id=department_id, region_code=region_code
    )


def decide_read(
    *,
    actor: User | None,
    register: str,
    department_id: int | None,
    subject: str,
    region_code: str,
    system: str | None,
) -> ReadDecision:
    """Whether this actor (or, with no person behind it, this platform system) may read the record."""
    if actor is None or not actor.is_authenticated:
        return ReadDecision(allowed=bool(system), reason="" if system else NOT_PERMITTED)
    if not actor.is_active:
        return ReadDecision(allowed=False, reason=NOT_PERMITTED)
    if _is_subject(actor, register, subject):
        return ReadDecision(allowed=True, is_own_record=True)
    assignment = reading_assignment(actor=actor, department_id=department_id, region_code=region_code)
    if assignment is not None:
        return ReadDecision(allowed=True, assignment=assignment)
    elsewhere = reading_assignment(actor=actor, department_id=department_id, region_code=None)
    if elsewhere is not None:
        return ReadDecision(allowed=False, assignment=elsewhere, reason=AlertReason.OUTSIDE_REGION)
    return ReadDecision(allowed=False, reason=NOT_PERMITTED)
