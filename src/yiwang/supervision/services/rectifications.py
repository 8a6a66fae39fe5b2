"""差评整改: the ticket a bad review opens, the department's measures, the 100% revisit, the appeal.

Every function is one transaction with its audit entry. Who may act is asked of identity's selectors:
``supervision.respond`` in the ticket's department (the department head) records measures and appeals;
``supervision.oversee`` over the ticket's region (a supervisor) revisits and decides appeals.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.core.workdays import add_working_days
from yiwang.identity.selectors import (
    assignment_covering_region,
    assignment_with_permission,
    list_holders_of_permission,
)
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify

from ..constants import (
    RECTIFICATION_WORKING_DAYS,
    AppealDecision,
    AuditAction,
    RectificationStatus,
    RevisitResult,
)
from ..models import Evaluation, Rectification, ReviewAppeal, Revisit
from ..selectors.evaluations import scorecard_cache_key
from ..selectors.scope import OVERSEE, RESPOND

MAX_TEXT = 2000
# Revisit results that close the ticket ("dissatisfied" sends it back, "unreachable" waits for a retry).
CLOSING_RESULTS = frozenset({RevisitResult.SATISFIED, RevisitResult.BASICALLY_SATISFIED})


def forget_scorecard(item_code: str) -> None:
    """After commit: the item's public scorecard is recomputed on its next view."""
    if item_code:
        key = scorecard_cache_key(item_code)
        cache.delete(key)
        transaction.on_commit(lambda: cache.delete(key))  # a read meanwhile may have cached the old figures


def _facts(assignment: Any) -> dict[str, Any]:
    return {
        "actor_role": assignment.role,
        "actor_department": assignment.department,
        "actor_region_code": assignment.region_id,
    }


def _text(value: str | None, *, field: str, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("请填写%(field)s") % {"field": field}, code="text_required")
    if len(text) > MAX_TEXT:
        raise InvalidInput(_("内容过长（最多 %(n)d 字）") % {"n": MAX_TEXT}, code="text_too_long")
    return text


def _department_head(actor: Any, rectification: Rectification) -> Any:
    assignment = assignment_with_permission(
        actor=actor,
        permission=RESPOND,
        department_id=rectification.department_id,
        region_code=rectification.region_id,
    )
    if assignment is None:
        raise PermissionDenied(_("仅责任部门负责人可以办理整改与申诉"), code="not_department_head")
    return assignment


def _supervisor(actor: Any, rectification: Rectification) -> Any:
    assignment = assignment_covering_region(
        actor=actor, permission=OVERSEE, region_code=rectification.region_id
    )
    if assignment is None:
        raise PermissionDenied(_("仅本区域效能监察人员可以回访和裁定申诉"), code="not_supervisor")
    return assignment


RECTIFICATION_TITLE = gettext_noop("差评整改：请于 {due} 前提交整改措施")
RECTIFICATION_BODY = gettext_noop("“{item}”收到一条差评，整改工单 {ticket} 须于 {due} 前办理。")


def _tell_department_heads(rectification: Rectification) -> int:
    """A rectification-due message to each head of the ticket's department (the caller's transaction)."""
    heads = {
        assignment.user_id: assignment.user
        for assignment in list_holders_of_permission(permission=RESPOND, region_code=rectification.region_id)
        if assignment.department_id == rectification.department_id
    }
    evaluation = rectification.evaluation
    context = {
        "due": rectification.due_on.isoformat(),
        "item": evaluation.implementation.name if evaluation.implementation else evaluation.item_code,
        "ticket": rectification.pk,
    }
    for head in heads.values():
        notify(
            recipient=head,
            topic=MessageTopic.RECTIFICATION_DUE,
            title=RECTIFICATION_TITLE,
            body=RECTIFICATION_BODY,
            context=context,
            link=reverse("supervision:rectification", args=[rectification.pk]),
            department=rectification.department,
        )
    return len(heads)


def _locked(rectification: Rectification) -> Rectification:
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .select_related("evaluation", "department")
        .filter(pk=rectification.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("未找到该整改工单"), code="rectification_not_found")
    return locked


def _audit(
    *, action: str, actor: Any, rectification: Rectification, assignment: Any = None, **details: Any
) -> None:
    record_event(
        action=action,
        actor=actor,
        target=rectification,
        department=rectification.department,
        details={"evaluation": rectification.evaluation_id, "status": rectification.status, **details},
        **(_facts(assignment) if assignment is not None else {}),
    )


def open_rectification(*, evaluation: Evaluation, actor: Any = None) -> Rectification:
    """Open the ticket of a bad review, due in 15 working days; in the caller's transaction (the review's)."""
    with transaction.atomic():
        existing = Rectification.objects.filter(evaluation=evaluation).first()
        if existing is not None:
            return existing
        rectification = Rectification.objects.create(
            evaluation=evaluation,
            department_id=evaluation.department_id,
            region_id=evaluation.region_id,
            due_on=add_working_days(timezone.localdate(), RECTIFICATION_WORKING_DAYS),
        )
        _audit(
            action=AuditAction.RECTIFICATION_OPENED,
            actor=actor,
            rectification=rectification,
            due_on=rectification.due_on.isoformat(),
            level=evaluation.level,
        )
        _tell_department_heads(rectification)
        forget_scorecard(evaluation.item_code)
    return rectification


def record_measures(*, actor: Any, rectification: Rectification, measures: str) -> Rectification:
    """The department head states what was done. A real-name review then waits for its revisit; an
    anonymous one (nobody to call back) is closed."""
    text = _text(measures, field=_("整改措施"))
    with transaction.atomic():
        rectification = _locked(rectification)
        assignment = _department_head(actor, rectification)
        if rectification.status != RectificationStatus.OPEN:
            raise Conflict(_("该工单当前不能提交整改"), code="invalid_status", status=rectification.status)
        real_name = rectification.evaluation.real_name
        rectification.measures = text
        rectification.rectified_by = actor
        rectification.rectified_at = timezone.now()
        rectification.status = RectificationStatus.RECTIFIED if real_name else RectificationStatus.CLOSED
        rectification.save(update_fields=["measures", "rectified_by", "rectified_at", "status"])
        _audit(action=AuditAction.RECTIFIED, actor=actor, rectification=rectification, assignment=assignment)
        forget_scorecard(rectification.evaluation.item_code)
    return rectification


def record_revisit(*, actor: Any, rectification: Rectification, result: str, note: str = "") -> Revisit:
    """回访 by a supervisor of the region after the measures: satisfied closes the ticket; dissatisfied
    sends it back to the department with a new due date; unreachable is recorded and the ticket waits."""
    if result not in RevisitResult.values:
        raise InvalidInput(_("请选择回访结果"), code="invalid_result")
    text = _text(note, field=_("回访记录"), required=False)
    with transaction.atomic():
        rectification = _locked(rectification)
        assignment = _supervisor(actor, rectification)
        if rectification.status != RectificationStatus.RECTIFIED:
            raise Conflict(_("整改措施提交后才能回访"), code="invalid_status", status=rectification.status)
        revisit = Revisit.objects.create(
            rectification=rectification, result=result, note=text, revisited_by=actor
        )
        fields = ["status"]
        if result in CLOSING_RESULTS:
            rectification.status = RectificationStatus.CLOSED
        elif result == RevisitResult.DISSATISFIED:
            rectification.status = RectificationStatus.OPEN
            rectification.due_on = add_working_days(timezone.localdate(), RECTIFICATION_WORKING_DAYS)
            fields.append("due_on")
        rectification.save(update_fields=fields)
        if result == RevisitResult.DISSATISFIED:
            _tell_department_heads(rectification)
        _audit(
            action=AuditAction.REVISITED,
            actor=actor,
            rectification=rectification,
            assignment=assignment,
            result=result,
            due_on=rectification.due_on.isoformat(),
        )
        forget_scorecard(rectification.evaluation.item_code)
    return revisit


def appeal(*, actor: Any, rectification: Rectification, reason: str) -> ReviewAppeal:
    """The department appeals a review it believes wrongful (once per ticket); a supervisor decides."""
    text = _text(reason, field=_("申诉理由"))
    with transaction.atomic():
        rectification = _locked(rectification)
        assignment = _department_head(actor, rectification)
        if rectification.status not in (RectificationStatus.OPEN, RectificationStatus.RECTIFIED):
            raise Conflict(_("该工单当前不能申诉"), code="invalid_status", status=rectification.status)
        if ReviewAppeal.objects.filter(rectification=rectification).exists():
            raise Conflict(_("该工单已申诉过，不能再次申诉"), code="appeal_exists")
        appeal_row = ReviewAppeal.objects.create(rectification=rectification, reason=text, appealed_by=actor)
        rectification.status = RectificationStatus.APPEALED
        rectification.save(update_fields=["status"])
        _audit(action=AuditAction.APPEALED, actor=actor, rectification=rectification, assignment=assignment)
    return appeal_row


def decide_appeal(*, actor: Any, rectification: Rectification, decision: str, reason: str) -> ReviewAppeal:
    """Upheld: the review stops counting and the ticket is withdrawn. Rejected: the ticket goes back to
    where it was (open, or rectified and waiting for its revisit)."""
    if decision not in AppealDecision.values:
        raise InvalidInput(_("请选择裁定结果"), code="invalid_decision")
    text = _text(reason, field=_("裁定理由"))
    with transaction.atomic():
        rectification = _locked(rectification)
        assignment = _supervisor(actor, rectification)
        appeal_row = ReviewAppeal.objects.filter(rectification=rectification).first()
        if rectification.status != RectificationStatus.APPEALED or appeal_row is None or appeal_row.decision:
            raise Conflict(_("该工单没有待裁定的申诉"), code="invalid_status", status=rectification.status)
        appeal_row.decision, appeal_row.decision_reason = decision, text
        appeal_row.decided_by, appeal_row.decided_at = actor, timezone.now()
        appeal_row.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
        if decision == AppealDecision.UPHELD:
            rectification.status = RectificationStatus.WITHDRAWN
            Evaluation.objects.filter(pk=rectification.evaluation_id).update(counted=False)
        elif rectification.rectified_at is not None:
            rectification.status = RectificationStatus.RECTIFIED
        else:
            rectification.status = RectificationStatus.OPEN
        rectification.save(update_fields=["status"])
        _audit(
            action=AuditAction.APPEAL_DECIDED,
            actor=actor,
            rectification=rectification,
            assignment=assignment,
            decision=decision,
        )
        forget_scorecard(rectification.evaluation.item_code)
    return appeal_row
