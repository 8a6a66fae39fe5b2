"""Escalation of overdue share requests: past their 5-working-day deadline, still undecided.

Each overdue request is escalated once (``escalated_at`` is set under a row lock and never again): the
platform administrators whose region covers the provider are alerted in the app, and the audit log
records it. The deadline itself (``decision_due``) was counted in working days when the request came in.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from yiwang.audit.services import record_event
from yiwang.identity.selectors import list_holders_of_permission
from yiwang.notifications.services.notices import raise_notice

from ..constants import SENSITIVE_PERMISSION, RequestStatus
from ..models import ShareRequest

if TYPE_CHECKING:
    from yiwang.identity.models import StaffAssignment

REQUEST_ESCALATED = "exchange.request_escalated"
# Requests the provider has not decided: its own step (the second approval is the platform's own).
UNDECIDED = (RequestStatus.PENDING,)


def _alert_platform_administrators(share: ShareRequest) -> int:
    """One notice per platform administrator covering the provider's region (else every one of them)."""
    provider = share.resource.provider
    holders = list_holders_of_permission(permission=SENSITIVE_PERMISSION, region_code=provider.region_id)
    holders = holders or list_holders_of_permission(permission=SENSITIVE_PERMISSION)
    title = f"共享申请逾期未审核：{share.resource.name}（{share.consumer.name}）"
    body = (
        f"{share.consumer.name}于{timezone.localtime(share.submitted_at):%Y-%m-%d}申请{provider.name}的"
        f"“{share.resource.name}”，审核期限{share.decision_due:%Y-%m-%d}已过，仍未审核。"
    )
    recipients: dict[int, StaffAssignment] = {}
    for assignment in holders:
        recipients.setdefault(assignment.user_id, assignment)
    for assignment in recipients.values():
        raise_notice(department=assignment.department, recipient=assignment.user, title=title, body=body)
    if not recipients:  # nobody holds the role: at least the provider's administrators are told
        raise_notice(department=provider, title=title, body=body)
    return len(recipients)


@transaction.atomic
def escalate_overdue_requests(*, now: dt.datetime | None = None) -> list[ShareRequest]:
    """Escalate each undecided request whose deadline passed before today, once; the ones escalated now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = (
        ShareRequest.objects.select_for_update(of=("self",))
        .filter(status__in=UNDECIDED, decision_due__lt=today, escalated_at__isnull=True)
        .select_related("resource__provider", "consumer")
        .order_by("pk")
    )
    escalated = []
    for share in overdue:
        share.escalated_at = now
        share.save(update_fields=["escalated_at"])
        alerted = _alert_platform_administrators(share)
        record_event(
            action=REQUEST_ESCALATED,
            target=share,
            department=share.resource.provider,
            reason="overdue",
            details={"decision_due": share.decision_due.isoformat(), "alerted": alerted},
        )
        escalated.append(share)
    return escalated
