"""The facts the one audit log records about a license event: the license, the staff role, the mandate."""

from __future__ import annotations

from typing import Any

from yiwang.audit.constants import GroundKind
from yiwang.identity.models import StaffAssignment
from yiwang.identity.selectors import LicenseScope, mandate_grounds

from .models import License

# Object types as the log names them; licenses by identifier, keys by key id, types by code.
LICENSE_OBJECT = "licenses.license"
KEY_OBJECT = "licenses.signingkey"
LICENSE_TYPE_OBJECT = "licenses.licensetype"


def license_facts(license: License) -> dict[str, Any]:
    """The license as the log's object: its issuing department owns it, its holder is the subject."""
    return {
        "object_type": LICENSE_OBJECT,
        "object_id": license.identifier,
        "department": license.issuer,
        "subject": license.holder_code,
    }


def staff_facts(actor, department, role: str | None = None) -> dict[str, Any]:
    """The actor's staff assignment in ``department`` (of ``role`` if given), or nothing for non-staff."""
    if not getattr(actor, "is_authenticated", False) or department is None:
        return {}
    assignments = StaffAssignment.objects.filter(user=actor, department=department)
    if role is not None:
        assignments = assignments.filter(role=role)
    assignment = assignments.order_by("pk").first()
    if assignment is None:
        return {}
    return {
        "actor_role": assignment.role,
        "actor_department": department,
        "actor_region_code": assignment.region_id,
    }


def mandate_facts(actor, holder_code: str, *, scope: LicenseScope | None = None) -> dict[str, Any]:
    """The mandate in force under which the actor acts for ``holder_code``, or nothing.

    ``scope``: the actor's ``license_scope_for`` computed in this transaction, which found the same
    mandates (no second look-up)."""
    if not getattr(actor, "is_authenticated", False):
        return {}
    grounds = scope.mandates if scope is not None else mandate_grounds(actor)
    ground = grounds.get(holder_code)
    if ground is None:
        return {}
    mandate_id, label = ground
    return {
        "mandate_id": mandate_id,
        "on_behalf_of": label,
        "ground_kind": GroundKind.MANDATE,
        "ground_ref": str(mandate_id),
    }
