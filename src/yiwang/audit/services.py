"""Recording into the one audit log: ``record_event`` for state changes, ``record_read`` for reads of data.

Both are plain inserts made inside the caller's transaction (so an entry exists exactly when its change
does); sealing into the Merkle tree happens later, in batches, without a lock per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from . import context
from .constants import EntryKind, GroundKind, Outcome
from .models import AuditEntry
from .subjects import subject_hash, subject_kind_of


def _clip(text: str | None, length: int) -> str:
    return (text or "")[:length]


def _object_of(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    identifier = getattr(target, "public_id", None) or target.pk
    return target._meta.label_lower, str(identifier)


def record_event(
    *,
    action: str,
    actor: Any = None,
    outcome: str = Outcome.ALLOWED,
    reason: str = "",
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    department: Any = None,
    subject: str = "",
    subject_kind: str = "",
    fields: Iterable[str] = (),
    purpose: str = "",
    ground_kind: str = GroundKind.NONE,
    ground_ref: str = "",
    on_behalf_of: str = "",
    mandate_id: int | None = None,
    system: str = "",
    actor_role: str = "",
    actor_department: Any = None,
    actor_region_code: str = "",
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    kind: str = EntryKind.WRITE,
) -> AuditEntry:
    """Append one entry. ``subject`` is the ID number or credit code; only its keyed hash is stored.

    ``target`` fills ``object_type``/``object_id`` from a model instance; ``department`` is the department
    whose data or object it is (auditors of that department see the entry).
    """
    if target is not None:
        object_type, object_id = _object_of(target)
    call = context.current()
    return AuditEntry.objects.create(
        kind=kind,
        action=_clip(action, 60),
        outcome=outcome,
        reason=_clip(reason, 60),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_role=_clip(actor_role, 30),
        actor_department=actor_department,
        actor_region_code=_clip(actor_region_code, 12),
        system=_clip(system or call.system, 100),
        mandate_id=mandate_id,
        on_behalf_of=_clip(on_behalf_of, 200),
        object_type=_clip(object_type, 60),
        object_id=_clip(object_id, 64),
        department=department,
        subject_hash=subject_hash(subject),
        subject_kind=subject_kind or subject_kind_of(subject),
        fields=sorted(set(fields)),
        purpose=_clip(purpose, 200),
        ground_kind=ground_kind,
        ground_ref=_clip(ground_ref, 100),
        channel=call.channel,
        request_id=call.request_id,
        ip_address=ip_address or call.ip_address,
        details=details or {},
    )


def record_read(
    *, action: str, subject: str, fields: Iterable[str], purpose: str, **facts: Any
) -> AuditEntry:
    """Append one read of personal or enterprise data (allowed or refused) with what was read and why."""
    return record_event(
        action=action, subject=subject, fields=fields, purpose=purpose, kind=EntryKind.READ, **facts
    )
