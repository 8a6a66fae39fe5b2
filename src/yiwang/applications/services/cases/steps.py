"""The workflow side of case actions: finding the ready task, who may work on it, closing the case."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.errors import Conflict, InvalidInput, PermissionDenied
from yiwang.identity.models import StaffAssignment
from yiwang.identity.selectors import assignment_with_permission
from yiwang.notifications.constants import MessageTopic

from ...constants import CASE_CLOSED, OPEN_STATUSES, AuditAction, CaseStatus, Decision, TaskState
from ...models import Case, CaseTask
from .. import bundles, payments
from ..applicant_messages import tell_applicant
from .recording import record_case_action

# The lane of a user task is a role code (ADR 0009); working on it takes the role's case permission.
TASK_PERMISSIONS = {
    "window_clerk": "application.accept",
    "approver": "application.decide",
    "supervisor": "supervision.view",
}
DEFAULT_TASK_PERMISSION = "application.decide"

_WAITING = {
    CaseStatus.SUPPLEMENT: gettext_lazy("办件正在等待申请人补正，补正后才能继续办理"),
    CaseStatus.SUSPENDED: gettext_lazy("办件处于特别程序中，请先结束特别程序"),
}


def require_status(case: Case, *allowed: str) -> None:
    if case.status not in allowed:
        waiting = _WAITING.get(CaseStatus(case.status))
        message = (
            str(waiting)
            if waiting
            else _("办件当前为“%(status)s”，不能进行此操作") % {"status": case.get_status_display()}
        )
        raise Conflict(message, code="invalid_status", status=case.status)


def task_permission(role: str) -> str:
    return TASK_PERMISSIONS.get(role, DEFAULT_TASK_PERMISSION)


def lock_task(case: Case, task: CaseTask) -> CaseTask:
    """The task row of this case, locked; refused unless it is ready."""
    locked = CaseTask.objects.select_for_update().filter(pk=task.pk, case=case).first()
    if locked is None:
        raise InvalidInput(_("该环节不属于此办件"), code="task_not_in_case")
    if locked.state != TaskState.READY:
        raise Conflict(_("该环节已办理或已取消"), code="task_not_ready")
    return locked


def ready_task(case: Case, *, bpmn_id: str, role: str) -> CaseTask:
    """The case's ready task of ``bpmn_id`` (or, in a process that names it otherwise, of ``role``)."""
    tasks = CaseTask.objects.select_for_update().filter(case=case, state=TaskState.READY)
    task = tasks.filter(bpmn_id=bpmn_id).order_by("pk").first()
    if task is None:
        candidates = list(tasks.filter(role=role, is_escalation=False).order_by("pk")[:2])
        task = candidates[0] if len(candidates) == 1 else None
    if task is None:
        raise Conflict(_("该办件当前没有待办的此环节"), code="no_ready_task", step=bpmn_id)
    return task


def worker_assignment(*, actor: Any, case: Case, task: CaseTask) -> StaffAssignment:
    """The actor's role allowing work on the task (its lane's permission, in its department and region)."""
    assignment = assignment_with_permission(
        actor=actor,
        permission=task_permission(task.role),
        department_id=task.department_id,
        region_code=task.region_id or case.region_id,
    )
    if assignment is None:
        raise PermissionDenied(_("您在该环节的部门和区划内没有办理权限"), code="not_in_scope")
    return assignment


def check_claim(task: CaseTask, actor: Any) -> None:
    if task.claimed_by_id is not None and task.claimed_by_id != actor.pk:
        raise Conflict(_("该环节已由其他工作人员签收"), code="task_claimed_by_other")


def cancel_open_tasks(case: Case) -> int:
    """Cancel the ready tasks of a case that ends outside its workflow (withdrawn); stop its timers."""
    now = timezone.now()
    cancelled = CaseTask.objects.filter(case=case, state=TaskState.READY).update(
        state=TaskState.CANCELLED, completed_at=now
    )
    case.next_timer_at = None
    return cancelled


def refund(case: Case, *, actor: Any, reason: str) -> None:
    """Refund what the applicant paid for a case that ends in refusal (idempotent: only open payments)."""
    payments.refund_for_case(case=case, actor=actor, reason=reason)


def close_case(*, case: Case, actor: Any, facts: dict[str, Any]) -> None:
    """The workflow has ended: close the case by its decision (办结)."""
    if case.status not in OPEN_STATUSES:
        return
    case.status = CaseStatus.REFUSED if case.decision == Decision.REFUSE else CaseStatus.APPROVED
    case.closed_at = timezone.now()
    case.next_timer_at = None
    text = "已办结：不予许可" if case.status == CaseStatus.REFUSED else "已办结"
    record_case_action(
        case=case,
        actor=actor,
        action=AuditAction.CASE_CLOSED,
        topic=CASE_CLOSED,
        text=text,
        changed=("status", "closed_at", "next_timer_at"),
        published={"closed_at": case.closed_at.isoformat(), "decision": case.decision},
        facts=facts,
    )
    if case.status == CaseStatus.APPROVED:  # a refusal is told with its decision document (notify_refusal)
        tell_applicant(case=case, topic=MessageTopic.CASE_APPROVED)
    parent_closes_when_done(case, actor=actor)


def parent_closes_when_done(case: Case, *, actor: Any) -> None:
    """A part of a bundle has closed: the parent closes once every part has (bundles)."""
    if case.parent_id is not None and case.parent is not None:
        bundles.close_parent_if_done(parent=case.parent, actor=actor)
