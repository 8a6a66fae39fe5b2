"""The licenses domain's audit trail, written inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from yiwang.licenses.models import LicenseAuditEvent


def record_event(*, actor, action: str, target: str, **details: Any) -> LicenseAuditEvent:
    """Append one audit event (call inside the service's transaction)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return LicenseAuditEvent.objects.create(actor=user, action=action, target=target[:64], details=details)
