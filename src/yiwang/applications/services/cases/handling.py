"""Handling (审查、决定): claim and hand over tasks, complete them, decide; and the applicant's withdrawal."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.audit.services import record_event
from yiwang.core.errors import Conflict, InvalidInput

from ...constants import (
    CASE_DECIDED,
    CASE_TASK_CLAIMED,
    CASE_TASK_COMPLETED,
    CASE_TASK_HANDED_OVER,
    CASE_WITHDRAWN,
    OPEN_STATUSES,
    AuditAction,
    CaseStatus,
    ClockStopKind,
    Decision,
)
from ...models import Case, CaseTask
from ...selectors import staff_facts
from .. import numbers, runtime
from .parties import require_applicant_side, require_staff
from .recording import lock_case, record_case_action
from .steps import (
    cancel_open_tasks,
    check_claim,
    close_case,
    lock_task,
    ready_task,
    refund,
    require_status,
    task_permission,
    worker_assignment,
)

DECIDE = "application.decide"
# Steps that have their own service (with their own rules): not completed through ``complete_task``.
_OWN_SERVICE = ("accept", "decide")


@transaction.atomic
def claim_task(*, actor: Any, case: Case, task: CaseTask, expected_revision: int | None = None) -> CaseTask:
    """Claim a ready task (签收): it is then the actor's until completed or handed over."""
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, *OPEN_STATUSES)
    task = lock_task(case, task)
    assignment = worker_assignment(actor=actor, case=case, task=task)
    check_claim(task, actor)
    if task.claimed_by_id == actor.pk:
        return task
    task.claimed_by = actor
    task.save(update_fields=["claimed_by"])
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.TASK_CLAIMED,
        topic=CASE_TASK_CLAIMED,
        text=f"{task.name}环节已签收",
        is_public=False,
        details={"task": task.task_id, "bpmn_id": task.bpmn_id},
        published={"task": task.bpmn_id},
        facts=staff_facts(assignment),
    )
    return task


@transaction.atomic
def hand_over_task(
    *, actor: Any, case: Case, task: CaseTask, to_user: Any, reason: str, expected_revision: int | None = None
) -> CaseTask:
    """Hand a task over (转交) to another staff member holding its role in scope, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写转交原因"), code="reason_required")
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, *OPEN_STATUSES)
    task = lock_task(case, task)
    assignment = worker_assignment(actor=actor, case=case, task=task)
    check_claim(task, actor)
    if to_user is None or to_user.pk == actor.pk:
        raise InvalidInput(_("请选择另一位工作人员"), code="invalid_recipient")
    worker_assignment(actor=to_user, case=case, task=task)  # the recipient must be able to do it
    task.claimed_by = to_user
    task.save(update_fields=["claimed_by"])
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.TASK_HANDED_OVER,
        topic=CASE_TASK_HANDED_OVER,
        text=f"{task.name}环节已转交。原因：{reason}",
        is_public=False,
        details={"task": task.task_id, "to_user": str(to_user.public_id), "reason": reason[:300]},
        published={"task": task.bpmn_id},
        facts=staff_facts(assignment),
    )
    return task


def _run_task(case: Case, task: CaseTask, actor: Any, data: dict[str, Any]) -> bool:
    """Complete the task in the workflow (claiming it on the way); whether the workflow has ended."""
    if task.claimed_by_id is None:
        task.claimed_by = actor
        task.save(update_fields=["claimed_by"])
    snapshot = runtime.complete(case=case, task=task, actor=actor, data=data)
    return bool(snapshot.completed)


@transaction.atomic
def complete_task(
    *, actor: Any, case: Case, task: CaseTask, data: dict[str, Any], expected_revision: int | None = None
) -> Case:
    """Complete a ready task (审查, 会签…) with its outcome; when the workflow ends, the case closes."""
    if task.bpmn_id in _OWN_SERVICE:
        raise InvalidInput(_("受理和决定环节请使用对应的办理操作"), code="use_own_action", step=task.bpmn_id)
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.ACCEPTED)
    task = lock_task(case, task)
    assignment = worker_assignment(actor=actor, case=case, task=task)
    check_claim(task, actor)
    completed = _run_task(case, task, actor, dict(data or {}))
    facts = staff_facts(assignment)
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.TASK_COMPLETED,
        topic=CASE_TASK_COMPLETED,
        text=f"{task.name}环节已办理",
        details={"task": task.task_id, "bpmn_id": task.bpmn_id, "permission": task_permission(task.role)},
        published={"task": task.bpmn_id},
        facts=facts,
    )
    if completed:
        close_case(case=case, actor=actor, facts=facts)
    return case


@transaction.atomic
def decide(
    *,
    actor: Any,
    case: Case,
    decision: str,
    reason: str,
    legal_basis: str,
    task: CaseTask | None = None,
    expected_revision: int | None = None,
) -> Case:
    """Decide (准予 / 不予) with the reason and legal basis; the workflow issues the result or the refusal."""
    if decision not in Decision.values:
        raise InvalidInput(_("决定须为准予或不予"), code="invalid_decision")
    reason, legal_basis = (reason or "").strip(), (legal_basis or "").strip()
    if not reason or not legal_basis:
        raise InvalidInput(_("请填写决定的理由和法律依据"), code="reason_required")
    case = lock_case(case, expected_revision=expected_revision)
    require_status(case, CaseStatus.ACCEPTED)
    assignment = require_staff(actor=actor, case=case, permissions=(DECIDE,))
    task = lock_task(case, task) if task is not None else ready_task(case, bpmn_id="decide", role="approver")
    worker_assignment(actor=actor, case=case, task=task)
    check_claim(task, actor)
    # The result handlers (制证, 送达, 不予许可告知) read the decision from the case, so it is set first.
    case.decision, case.decision_reason, case.decision_basis = decision, reason, legal_basis
    case.decided_by, case.decided_at = actor, timezone.now()
    case.save(update_fields=["decision", "decision_reason", "decision_basis", "decided_by", "decided_at"])
    completed = _run_task(case, task, actor, {"decision": decision, "reason": reason})
    facts = staff_facts(assignment)
    label = Decision(decision).label
    text = f"已作出{label}许可决定" + (
        f"。理由：{reason}；依据：{legal_basis}" if decision == Decision.REFUSE else ""
    )
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_DECIDED,
        topic=CASE_DECIDED,
        text=text,
        details={"decision": decision, "reason": reason, "legal_basis": legal_basis},
        published={"decision": decision, "decided_at": case.decided_at.isoformat()},
        facts=facts,
    )
    if completed:
        close_case(case=case, actor=actor, facts=facts)
    if decision == Decision.REFUSE:
        refund(case, actor=actor, reason="不予许可")
    return case


def _withdraw_one(case: Case) -> None:
    today = timezone.localdate()
    case.clock_stops.filter(ended_on__isnull=True).exclude(kind=ClockStopKind.EXTENSION).update(
        ended_on=today
    )
    cancel_open_tasks(case)
    case.status, case.closed_at = CaseStatus.WITHDRAWN, timezone.now()


@transaction.atomic
def withdraw(*, actor: Any, case: Case, reason: str = "", expected_revision: int | None = None) -> Case:
    """The applicant withdraws an open application (a bundle with all its parts)."""
    case = lock_case(case, expected_revision=expected_revision)
    facts = require_applicant_side(actor=actor, case=case)
    if case.parent_id is not None:
        raise Conflict(_("一件事的部分办件不能单独撤回，请撤回整件申请"), code="withdraw_parent")
    require_status(case, *OPEN_STATUSES)
    children = list(
        Case.objects.select_for_update(of=("self",))
        .select_related("implementation__item", "bundle", "parent", "department")
        .filter(parent=case, status__in=sorted(OPEN_STATUSES))
        .order_by("pk")
    )
    for child in children:
        _withdraw_one(child)
        record_case_action(
            case=child,
            actor=actor,
            action=AuditAction.CASE_WITHDRAWN,
            topic=CASE_WITHDRAWN,
            text="申请人已撤回申请",
            changed=("status", "closed_at", "next_timer_at"),
            facts=facts,
        )
    _withdraw_one(case)
    reason = (reason or "").strip()[:300]
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_WITHDRAWN,
        topic=CASE_WITHDRAWN,
        text="申请人已撤回申请" + (f"。说明：{reason}" if reason else ""),
        changed=("status", "closed_at", "next_timer_at"),
        details={"reason": reason},
        published={"closed_at": case.closed_at.isoformat() if case.closed_at else None},
        facts=facts,
    )
    for one in (case, *children):
        refund(one, actor=actor, reason="申请人撤回")
    return case


@transaction.atomic
def reset_query_code(*, actor: Any, case: Case) -> str:
    """A new query code for the applicant side (the old one stops working); returned once, hash kept."""
    case = lock_case(case)
    facts = require_applicant_side(actor=actor, case=case)
    code = numbers.new_query_code()
    case.query_code_hash = numbers.hash_query_code(code)
    case.save(update_fields=["query_code_hash", "updated_at"])
    record_event(
        action=AuditAction.QUERY_CODE_RESET,
        actor=actor,
        target=case,
        department=case.department,
        subject=case.holder_code,
        **facts,
    )
    return code
