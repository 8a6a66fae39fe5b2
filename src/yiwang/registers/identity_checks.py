"""The registers' answer to identity's register checks: real names and legal representatives."""

from __future__ import annotations

from yiwang.core.errors import NotFound
from yiwang.identity.models import User
from yiwang.identity.services.register_checks import (
    IDENTITY_SYSTEM,
    LegalPersonRecord,
    RegisterChecks,
    register_checks,
)

from .constants import LegalPersonStatus
from .selectors import access_legal_person_by_credit_code, verify_person_name


@register_checks.register("registers")
class PlatformRegisterChecks(RegisterChecks):
    """Reads the population and legal-person registers through their gate, as the identity system."""

    def person_name_matches(self, *, requested_by: User, id_number: str, name: str, purpose: str) -> bool:
        return verify_person_name(
            actor=None,
            system=IDENTITY_SYSTEM,
            requested_by=requested_by,
            id_number=id_number,
            name=name,
            purpose=purpose,
        )

    def legal_person(self, *, requested_by: User, credit_code: str, purpose: str) -> LegalPersonRecord | None:
        try:
            record = access_legal_person_by_credit_code(
                actor=None,
                system=IDENTITY_SYSTEM,
                requested_by=requested_by,
                credit_code=credit_code,
                fields=["name", "legal_representative_id_number", "status"],
                purpose=purpose,
            )
        except NotFound:
            return None
        return LegalPersonRecord(
            name=record["name"],
            legal_representative_id_number=record["legal_representative_id_number"],
            is_active=record["status"] == LegalPersonStatus.ACTIVE,
        )
