"""What part of the log an actor may see, decided by identity and handed to the audit selectors.

The audit app sits below identity, so it cannot ask who the actor is; ``identity`` answers with an
``AuditScope`` (``identity.selectors.audit_scope.audit_scope_for``) and every audit read takes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .subjects import subject_hash

SELF = "self"  # how pages and the API name the actor's own ID number (never put in a URL)


@dataclass(frozen=True)
class AuditScope:
    """The data subjects whose data uses the actor may see, and the departments they audit."""

    subject_codes: frozenset[str] = frozenset()
    department_ids: frozenset[int] = frozenset()
    own_code: str = field(default="", repr=False)  # the actor's own ID number, if in subject_codes

    @cached_property
    def hashes(self) -> dict[str, str]:
        """Subject hash → the name the actor knows it by: ``self`` or the enterprise's credit code."""
        return {subject_hash(code): (SELF if code == self.own_code else code) for code in self.subject_codes}

    def hashes_for(self, subject: str | None) -> list[str]:
        """The hashes a ``subject`` filter selects (``self``, a credit code, or all when empty)."""
        if not subject:
            return list(self.hashes)
        return [digest for digest, name in self.hashes.items() if name == subject]

    @property
    def is_auditor(self) -> bool:
        return bool(self.department_ids)
