"""一件事: the parent's one clock follows its parts.

The applicant of a bundle sees one clock, the bundle's promise (``clock.limits_for`` of the parent). It
starts when the first part is accepted (the application has been accepted, whichever department's
window did it), unless the lead department's window accepted the parent itself before. While any part
waits for the applicant's supplement (补正) the parent's clock stands still too, so its planned end moves
by the days the applicant took; it restarts when the last such part is answered or refused.

Called by the case services inside the part's transaction, with the part locked by ``lock_case``, which
locked the parent before it (a bundle's parent is always locked before its parts); the parent's lock
taken here again does not wait.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ..constants import (
    CASE_ACCEPTED,
    CASE_RESUBMITTED,
    CASE_SUPPLEMENT_REQUESTED,
    OPEN_STATUSES,
    AuditAction,
    CaseStatus,
    ClockStopKind,
)
from ..models import Case, ClockStop
from . import clock
from .cases.recording import record_case_action


def _locked_parent(part: Case) -> Case | None:
    if part.parent_id is None:
        return None
    parent = (
        Case.objects.select_for_update(of=("self",), no_key=True)
        .select_related("bundle")
        .get(pk=part.parent_id)
    )
    return parent if parent.status in OPEN_STATUSES else None


def _where(part: Case) -> str:
    return f"{part.department.name}（办件 {part.number}）"


def start_parent_clock(*, part: Case, actor: Any) -> None:
    """A part was accepted: the parent's one clock starts now, if it has not already."""
    parent = _locked_parent(part)
    if parent is None or parent.accepted_at is not None:
        return
    limits = clock.limits_for(case=parent)
    parent.promised_limit_days, parent.promised_limit_unit = limits.promised_days, limits.promised_unit
    parent.statutory_limit_days, parent.statutory_limit_unit = limits.statutory_days, limits.statutory_unit
    parent.accepted_at = part.accepted_at or timezone.now()
    if parent.status == CaseStatus.SUBMITTED:
        parent.status = CaseStatus.ACCEPTED
    clock.recompute(case=parent)
    text = f"已受理（{_where(part)}首先受理）"
    if parent.promised_due:
        text += f"，承诺于 {parent.promised_due:%Y-%m-%d} 前办结全部事项"
    record_case_action(
        case=parent,
        actor=actor,
        action=AuditAction.CASE_ACCEPTED,
        topic=CASE_ACCEPTED,
        text=text,
        changed=(
            "promised_limit_days",
            "promised_limit_unit",
            "statutory_limit_days",
            "statutory_limit_unit",
            "accepted_at",
            "status",
        ),
        details={"part": part.number},
        published={"accepted_at": parent.accepted_at.isoformat(), "part": part.number},
    )


def hold_parent_clock(*, part: Case, actor: Any) -> None:
    """A part asked the applicant for a supplement: the parent's clock stops with it."""
    parent = _locked_parent(part)
    if parent is None or parent.accepted_at is None:
        return
    if parent.clock_stops.filter(kind=ClockStopKind.SUPPLEMENT, ended_on__isnull=True).exists():
        return  # already stopped by another part's supplement
    ClockStop.objects.create(
        case=parent,
        kind=ClockStopKind.SUPPLEMENT,
        reason=f"{_where(part)}待申请人补正"[:300],
        started_on=timezone.localdate(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    clock.recompute(case=parent)
    record_case_action(
        case=parent,
        actor=actor,
        action=AuditAction.SUPPLEMENT_REQUESTED,
        topic=CASE_SUPPLEMENT_REQUESTED,
        text=f"{_where(part)}请申请人补正，一件事暂停计时",
        details={"part": part.number},
        published={"part": part.number},
    )


def release_parent_clock(*, part: Case, actor: Any) -> None:
    """A part's supplement was answered (or the part closed): the parent's clock restarts unless another
    part still waits for the applicant."""
    parent = _locked_parent(part)
    if parent is None:
        return
    waiting = parent.children.filter(status=CaseStatus.SUPPLEMENT).exclude(pk=part.pk).exists()
    stop = parent.clock_stops.filter(kind=ClockStopKind.SUPPLEMENT, ended_on__isnull=True).first()
    if waiting or stop is None:
        return
    stop.ended_on = timezone.localdate()
    stop.save(update_fields=["ended_on"])
    clock.recompute(case=parent)
    text = "补正已完成，一件事恢复计时"
    if parent.promised_due:
        text += f"，承诺办结日期调整为 {parent.promised_due:%Y-%m-%d}"
    record_case_action(
        case=parent,
        actor=actor,
        action=AuditAction.CASE_RESUBMITTED,
        topic=CASE_RESUBMITTED,
        text=text,
        details={"part": part.number},
        published={"part": part.number},
    )
