"""Alerts raised as an entry is recorded: a staff read without a case or consent, or outside the region.

Each such read alerts the data subject (in the tracker) and the auditors of the department concerned,
in the same transaction as the entry itself.
"""

from __future__ import annotations

from yiwang.core import changes

from .constants import EXPECTED_GROUNDS, AlertReason, EntryKind, Outcome
from .models import AuditEntry, DataUseAlert


def alert_reason_for(entry: AuditEntry) -> str | None:
    """Why this entry needs a look, or None for the ordinary case."""
    if entry.kind != EntryKind.READ or not entry.subject_hash:
        return None
    if entry.outcome == Outcome.REFUSED and entry.reason == AlertReason.OUTSIDE_REGION:
        return AlertReason.OUTSIDE_REGION
    is_staff_read = bool(entry.actor_role) and entry.outcome == Outcome.ALLOWED
    if is_staff_read and entry.ground_kind not in EXPECTED_GROUNDS:
        return AlertReason.NO_GROUND
    return None


def raise_alerts(entry: AuditEntry, *, subject: str = "") -> list[DataUseAlert]:
    """Alert the data subject and the department's auditors when the entry calls for it; ``subject`` (the
    code the entry hashes) is announced after commit so that the person is told in their inbox."""
    reason = alert_reason_for(entry)
    if reason is None:
        return []
    alerts = [DataUseAlert(entry=entry, reason=reason)]  # the subject's: found by the entry's subject hash
    department_id = entry.department_id or entry.actor_department_id
    if department_id is not None:
        alerts.append(DataUseAlert(entry=entry, reason=reason, recipient_department_id=department_id))
    created = DataUseAlert.objects.bulk_create(alerts)
    if subject:
        changes.announce(
            changes.DATA_USE_ALERTED,
            alert_id=created[0].pk,
            entry_id=entry.pk,
            reason=reason,
            subject_code=subject,
        )
    return created
