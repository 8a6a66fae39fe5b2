"""What every case action writes, in the action's transaction: the lock, the revision, the timeline row,
the audit entry and the outbox event."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event
from yiwang.core import changes, sql
from yiwang.core.errors import Conflict
from yiwang.notifications.services import enqueue_event

from ...models import Case, CaseEvent

_EVENT_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4d55-9a0e-0a6c0b1e7a10")


def lock_case(case: Case, *, expected_revision: int | None = None) -> Case:
    """The case row, locked until the transaction ends; refused if someone changed it meanwhile.

    A part of a bundle locks its parent first. Every path locks a bundle's parent before any of its parts:
    a withdrawal locks the parent, then the parts; a part's action reaches its parent (the one clock, the
    parent's closing) and so takes the parent's lock before its own. No two actions on one bundle wait for
    each other in opposite orders (a deadlock on PostgreSQL); they take turns. The lock is FOR NO KEY UPDATE:
    rows that only point at the case (a payment's timeline entry, an audit row's foreign key) take a key-share
    lock on it and must not wait for, or deadlock with, an action holding the case (a refund on withdrawal
    locks the payment that a provider's notification holds while it writes the case's timeline).
    """
    if case.parent_id is not None:
        list(
            Case.objects.select_for_update(no_key=True).filter(pk=case.parent_id).values_list("pk", flat=True)
        )
    locked = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .select_related("implementation__item", "bundle", "parent", "department")
        .get(pk=case.pk)
    )
    if expected_revision is not None and locked.revision != expected_revision:
        raise Conflict(
            _("办件已被他人更新，请刷新后重试"),
            code="stale_revision",
            revision=locked.revision,
            expected=expected_revision,
        )
    return locked


def case_payload(case: Case, **extra: Any) -> dict[str, Any]:
    """The event body departmental systems receive: what happened to which case, no personal data."""
    implementation = case.implementation
    return {
        "number": case.number,
        "status": case.status,
        "revision": case.revision,
        "item": implementation.item.code if implementation else None,
        "implementation": implementation.code if implementation else None,
        "bundle": case.bundle.code if case.bundle_id and case.bundle else None,
        "parent": case.parent.number if case.parent_id and case.parent else None,
        "department": case.department.credit_code,
        "region": case.region_id,
        "channel": case.channel,
        "statutory_due": case.statutory_due.isoformat() if case.statutory_due else None,
        "promised_due": case.promised_due.isoformat() if case.promised_due else None,
        **extra,
    }


def record_case_action(
    *,
    case: Case,
    actor: Any,
    action: str,
    topic: str,
    text: str,
    changed: tuple[str, ...] = (),
    is_public: bool = True,
    details: dict[str, Any] | None = None,
    published: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
) -> CaseEvent:
    """Bump the revision and save ``changed``; write the timeline row, the audit entry and the event.

    ``details`` go to the audit entry only; ``published`` are added to the event's payload (facts such as
    dates and kinds, never free text about the holder). ``facts`` are the audit facts of the authority
    the actor acted on (staff role, mandate).
    """
    case.revision += 1
    # one UPDATE and one INSERT whose texts are made once (core.sql, ADR 0014): every case action writes them
    sql.update(case, sorted({*changed, "revision", "updated_at"}))
    user = actor if getattr(actor, "is_authenticated", False) else None
    facts = dict(facts or {})
    event = sql.insert(
        CaseEvent(
            case=case,
            kind=topic,
            text=text[:500],
            actor=user,
            department=facts.get("actor_department"),
            is_public=is_public,
        )
    )
    record_event(
        action=action,
        actor=user,
        target=case,
        department=case.department,
        subject=case.holder_code,
        details={"number": case.number, "revision": case.revision, **(details or {})},
        **facts,
    )
    occurred_at = timezone.now()
    enqueue_event(
        topic=topic,
        payload=case_payload(case, **(published or {})),
        department_id=case.department_id,
        event_id=uuid.uuid5(_EVENT_NAMESPACE, f"{case.number}/{case.revision}/{topic}"),
        occurred_at=occurred_at,
    )
    changes.announce_now(
        changes.CASE_CHANGED,
        case_id=case.pk,
        event=topic,
        actor_id=user.pk if user is not None else None,
        occurred_at=occurred_at.isoformat(),
        region_code=case.region_id,
        item_id=case.implementation.item_id if case.implementation is not None else None,
    )
    return event
