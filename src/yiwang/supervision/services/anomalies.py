"""Anomalies the seeds name (异常线索): items listed as online but never applied for online, cases accepted
long after submission, repeated refusals of the same applicant. Each is found once per (kind, key) and
reviewed by a supervisor.

Late acceptance and repeated refusals are watched as cases change (a ``@react`` in the case action's
transaction); items without online applications are found by ``find_idle_online_items`` (the daily task).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.applications.constants import CASE_ACCEPTED, CASE_DECIDED, CASE_NOT_ACCEPTED, CaseStatus, Channel
from yiwang.applications.models import Case
from yiwang.audit.services import record_event
from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.models import Implementation
from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import Conflict, InvalidInput
from yiwang.core.workdays import load_calendar

from ..constants import AnomalyKind, AuditAction
from ..models import Anomaly
from ..selectors.scope import OVERSEE, authority_for
from .subscriptions import react

LATE_ACCEPTANCE_WORKING_DAYS = 3  # accepted more than this many working days after submission
REFUSALS_THRESHOLD = 3  # refused or not accepted this many times …
REFUSALS_WINDOW_DAYS = 90  # … within this many days, for the same item
IDLE_ONLINE_DAYS = 90  # an online item without an online application for this many days
REFUSED = (CaseStatus.REFUSED, CaseStatus.NOT_ACCEPTED)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _found(**fields: Any) -> Anomaly | None:
    """Record the anomaly once (unique kind + key): the new row, or None when it was known."""
    anomaly, created = Anomaly.objects.get_or_create(
        kind=fields.pop("kind"), key=fields.pop("key"), defaults=fields
    )
    if not created:
        return None
    record_event(
        action=AuditAction.ANOMALY_FOUND,
        target=anomaly,
        department=anomaly.department,
        details={"kind": anomaly.kind, "key": anomaly.key, "description": anomaly.description},
    )
    return anomaly


@react
def watch_case(*, case_id: int, event: str, actor_id: Any = None, occurred_at: Any = None, **_: Any) -> None:
    """On acceptance: a late one; on refusal or non-acceptance: the applicant's repeated refusals."""
    if event == CASE_ACCEPTED:
        check_late_acceptance(case_id=case_id)
    elif event in (CASE_DECIDED, CASE_NOT_ACCEPTED):
        check_repeated_refusals(case_id=case_id)


def check_late_acceptance(*, case_id: int) -> Anomaly | None:
    case = Case.objects.filter(pk=case_id).select_related("implementation").first()
    if case is None or case.accepted_at is None:
        return None
    threshold = _setting("SUPERVISION_LATE_ACCEPTANCE_WORKING_DAYS", LATE_ACCEPTANCE_WORKING_DAYS)
    submitted_on = timezone.localdate(case.submitted_at)
    accepted_on = timezone.localdate(case.accepted_at)
    calendar = load_calendar(range(submitted_on.year, accepted_on.year + 1))
    waited = calendar.working_days_between(submitted_on, accepted_on)
    if waited <= threshold:
        return None
    return _found(
        kind=AnomalyKind.LATE_ACCEPTANCE,
        key=f"case:{case.pk}",
        description=f"办件 {case.number} 提交后 {waited} 个工作日才受理（超过 {threshold} 个工作日）",
        department_id=case.department_id,
        region_id=case.region_id,
        implementation_id=case.implementation_id,
        case_id=case.pk,
        details={"working_days": waited, "submitted_on": str(submitted_on), "accepted_on": str(accepted_on)},
    )


def check_repeated_refusals(*, case_id: int) -> Anomaly | None:
    case = Case.objects.filter(pk=case_id).first()
    if case is None or case.status not in REFUSED or case.implementation_id is None:
        return None
    threshold = _setting("SUPERVISION_REFUSALS_THRESHOLD", REFUSALS_THRESHOLD)
    since = timezone.now() - dt.timedelta(days=REFUSALS_WINDOW_DAYS)
    refused = Case.objects.filter(
        holder_code=case.holder_code,
        implementation_id=case.implementation_id,
        status__in=REFUSED,
        submitted_at__gte=since,
    ).count()
    if refused < threshold:
        return None
    return _found(
        kind=AnomalyKind.REPEATED_REFUSAL,
        # the holder's number never in plain: its SM3 digest names the applicant
        key=f"holder:{sm3_hex(case.holder_code.encode())[:40]}:impl:{case.implementation_id}",
        description=f"同一申请人 90 日内就同一事项被不予受理或不予许可 {refused} 次",
        department_id=case.department_id,
        region_id=case.region_id,
        implementation_id=case.implementation_id,
        case_id=case.pk,
        details={"count": refused},
    )


@transaction.atomic
def find_idle_online_items(*, today: dt.date | None = None, days: int | None = None) -> int:
    """Items handleable online (网办深度 ≥ 三级) without any online application in the last ``days``."""
    today = today or timezone.localdate()
    days = days or _setting("SUPERVISION_IDLE_ONLINE_DAYS", IDLE_ONLINE_DAYS)
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time()))
    applied = Case.objects.filter(channel=Channel.ONLINE, submitted_at__gte=since).values("implementation_id")
    idle = (
        Implementation.objects.filter(online_depth__gte=OnlineDepth.ONLINE_SUBMISSION)
        .exclude(pk__in=applied)
        .only("pk", "name", "department_id", "region_id")
    )
    found = 0
    for implementation in idle.iterator():
        anomaly = _found(
            kind=AnomalyKind.ONLINE_NEVER_APPLIED,
            key=f"impl:{implementation.pk}:{today.isoformat()[:7]}",
            description=f"可网办事项“{implementation.name}”近 {days} 日无网上申报",
            department_id=implementation.department_id,
            region_id=implementation.region_id,
            implementation_id=implementation.pk,
            details={"days": days, "checked_on": today.isoformat()},
        )
        found += anomaly is not None
    return found


@transaction.atomic
def review(*, actor: Any, anomaly: Anomaly, note: str) -> Anomaly:
    """A supervisor marks the anomaly reviewed with a note (audited)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写核查说明", code="note_required")
    if len(note) > 500:
        raise InvalidInput("核查说明不能超过 500 个字", code="note_too_long")
    locked = Anomaly.objects.select_for_update().get(pk=anomaly.pk)
    if locked.reviewed_at is not None:
        raise Conflict("该异常已核查", code="already_reviewed")
    locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, timezone.now(), note
    locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    authority = authority_for(
        actor,
        permission=OVERSEE,
        department_id=locked.department_id or 0,
        region_code=locked.region_id or "",
    )
    record_event(
        action=AuditAction.ANOMALY_FOUND + "_reviewed",
        actor=actor,
        target=locked,
        department=locked.department,
        actor_role=authority.role if authority else "",
        actor_department=authority.department if authority else None,
        actor_region_code=authority.region_id if authority else "",
        details={"note": note, "kind": locked.kind},
    )
    return locked
