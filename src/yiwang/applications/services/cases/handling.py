"""Handling (审查、决定): claim and hand over tasks, complete them, decide; and the applicant's withdrawal."""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    TaskState,
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
# The approver's entries for the result license's surface (result_surface): a flat object of short values.
MAX_SURFACE_FIELDS = 50
MAX_SURFACE_VALUE = 2000
_SURFACE_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
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


def _checked_surface(result_surface: Any) -> dict[str, str | int | float]:
    """The approver's surface entries: a flat object of short texts and numbers, keyed like surface fields."""
    if not isinstance(result_surface, Mapping) or len(result_surface) > MAX_SURFACE_FIELDS:
        raise InvalidInput(
            _("结果证照照面信息应为不超过 %(max)d 项的“字段: 值”对象") % {"max": MAX_SURFACE_FIELDS},
            code="invalid_result_surface",
        )
    checked: dict[str, str | int | float] = {}
    for key, value in result_surface.items():
        if not isinstance(key, str) or not _SURFACE_KEY.fullmatch(key):
            raise InvalidInput(
                _("结果证照照面字段名“%(key)s”不正确") % {"key": str(key)[:64]},
                code="invalid_result_surface",
                field=str(key)[:64],
            )
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if number and value == value and abs(value) != float("inf"):
            checked[key] = value
        elif isinstance(value, str) and len(value.strip()) <= MAX_SURFACE_VALUE:
            checked[key] = value.strip()
        else:
            raise InvalidInput(
                _("结果证照照面字段“%(key)s”的值应为不超过 %(max)d 个字符的文字或数字")
                % {"key": key, "max": MAX_SURFACE_VALUE},
                code="invalid_result_surface",
                field=key,
            )
    return checked


def _surface_so_far(case: Case, entered: dict[str, Any]) -> dict[str, Any]:
    """The surface entries recorded at earlier steps (审查), with the decision's own over them."""
    recorded: dict[str, Any] = {}
    done = CaseTask.objects.filter(case=case, state=TaskState.COMPLETED).order_by("completed_at", "pk")
    for outcome in done.values_list("outcome", flat=True):
        earlier = (outcome or {}).get("result_surface") if isinstance(outcome, dict) else None
        if isinstance(earlier, dict):
            recorded.update(earlier)
    return {**recorded, **entered}


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
    result_surface: Mapping[str, Any] | None = None,
) -> Case:
    """Decide (准予 / 不予) with the reason and legal basis; the workflow issues the result or the refusal.

    ``result_surface``: the approver's entries for the result license's surface fields that no form field
    gives (不动产单元号, the tax assessed…), a flat object of short texts and numbers; added to those
    recorded at review and read by ``results.issue_result``.
    """
    if decision not in Decision.values:
        raise InvalidInput(_("决定须为准予或不予"), code="invalid_decision")
    reason, legal_basis = (reason or "").strip(), (legal_basis or "").strip()
    if not reason or not legal_basis:
        raise InvalidInput(_("请填写决定的理由和法律依据"), code="reason_required")
    surface = _checked_surface(result_surface) if result_surface is not None else None
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
    data: dict[str, Any] = {"decision": decision, "reason": reason}
    if surface:
        data["result_surface"] = _surface_so_far(case, surface)
    completed = _run_task(case, task, actor, data)
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
        details={
            "decision": decision,
            "reason": reason,
            "legal_basis": legal_basis,
            "result_surface": sorted(surface or {}),
        },
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
        Case.objects.select_for_update(of=("self",), no_key=True)
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
