"""Recording identity audit events: called inside the service's own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent, Mandate, User


def record_event(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    mandate: Mandate | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one audit event; the mandate, when given, records whom the actor acted for."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        mandate=mandate,
        acting_for=mandate.principal_label if mandate is not None else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "public_id", None) or (target.pk if target is not None else "")),
        details=details or {},
        ip_address=ip_address,
    )
