"""Which part of the audit log an actor may see: their own data, their enterprises', their departments'."""

from __future__ import annotations

from yiwang.audit.selectors import AuditScope

from ..constants import AssuranceLevel
from ..models import Enterprise, User
from .permissions import department_ids_with_permission

AUDIT_VIEW_PERMISSION = "audit.view"


def audit_scope_for(*, actor: User | None) -> AuditScope:
    """The actor's own ID number (once register-verified), the enterprises they represent, and the
    departments where they hold ``audit.view``; nothing for anonymous or inactive users."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return AuditScope()
    own = (
        actor.id_number
        if actor.id_number and actor.assurance_level >= AssuranceLevel.REGISTER_VERIFIED
        else ""
    )
    codes = set(Enterprise.objects.filter(representative=actor).values_list("credit_code", flat=True))
    if own:
        codes.add(own)
    return AuditScope(
        subject_codes=frozenset(codes),
        department_ids=frozenset(department_ids_with_permission(actor, AUDIT_VIEW_PERMISSION)),
        own_code=own,
    )
