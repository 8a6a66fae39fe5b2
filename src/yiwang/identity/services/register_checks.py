"""Checks of people and enterprises against the authoritative registers, as a plugin identity asks.

Identity sits below the registers (the registers' gate asks identity who may read), so identity may not
import them. It asks the plugin the ``IDENTITY_REGISTER_CHECKS`` setting names; the registers app
registers the one that reads the population and legal-person registers through their logged gate
(``yiwang.registers.identity_checks``, loaded in its ``AppConfig.ready``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from yiwang.core.registry import Registry

from ..models import User

# The platform system named in the registers' access log for identity's checks.
IDENTITY_SYSTEM = "yiwang.identity"


@dataclass(frozen=True)
class LegalPersonRecord:
    name: str
    legal_representative_id_number: str
    is_active: bool


class RegisterChecks(ABC):
    """What identity needs from the registers; each call is logged by the registers' gate."""

    @abstractmethod
    def person_name_matches(self, *, requested_by: User, id_number: str, name: str, purpose: str) -> bool:
        """Whether the population register holds this ID number under this name (yes or no, no data)."""

    @abstractmethod
    def legal_person(self, *, requested_by: User, credit_code: str, purpose: str) -> LegalPersonRecord | None:
        """The enterprise's registration, or None when the legal-person register does not hold it."""


register_checks: Registry[RegisterChecks] = Registry(
    "identity-register-checks", setting="IDENTITY_REGISTER_CHECKS", default="registers"
)
