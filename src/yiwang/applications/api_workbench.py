"""/api/v1/workbench: the staff's queue and case actions (受理, 不予受理, 一次性告知, 特别程序, 延长,
签收, 转交, 办理, 决定).

Each action first opens the case through the staff gate (``application.view`` in the case's department
and region, else ``404 case_not_found`` as for a missing case), then calls the one service of the action,
which checks the action's own permission (``403 not_in_scope``: e.g. an approver accepting), the case's
status (``409 invalid_status``), the task's claim (``409 task_claimed_by_other``) and, when
``expected_revision`` is given, that nobody changed the case meanwhile (``409 stale_revision``). The
service writes the audit entry, the timeline and the outbox event in its transaction.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import NotFound
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, page_of, render_page
from yiwang.identity.selectors import get_user_by_public_id

from . import presenters, selectors
from .models import Case, CaseTask
from .schemas import (
    MAX_ID,
    CaseNumber,
    CaseStateOut,
    CompleteIn,
    DecideIn,
    ExtendIn,
    HandOverIn,
    QueueQuery,
    QueueTaskOut,
    RefuseIn,
    RevisionIn,
    SupplementRequestIn,
    SuspendIn,
)
from .services import cases

READ = bearer_scope("workbench:read")
WRITE = bearer_scope("workbench:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
TaskId = Path(..., ge=1, le=MAX_ID, description="环节编号（办件详情 tasks[].id）")

router = Router(tags=["办件工作台"])


def _case(request: HttpRequest, number: CaseNumber) -> Case:
    return selectors.access_case_for_staff(actor=request.auth, number=number)


def _task(case: Case, task_id: int) -> CaseTask:
    task = case.tasks.filter(pk=task_id).first()
    if task is None:
        raise NotFound("未找到该办件环节", code="task_not_found")
    return task


def _revision(payload: RevisionIn | None) -> int | None:
    """The optional body of an action that needs nothing else (an empty body is fine)."""
    return payload.expected_revision if payload is not None else None


def _state(case: Case) -> dict[str, Any]:
    case.refresh_from_db()
    return presenters.case_state_out(case)


def _action(path: str, summary: str, **extra: Any):
    return router.post(path, response={200: CaseStateOut, **ERRORS}, auth=WRITE, summary=summary, **extra)


@router.get(
    "/workbench/tasks",
    response={200: page_of(QueueTaskOut), **ERRORS},
    auth=READ,
    summary="待办队列：本人角色、部门与区划内的待办环节，期限近的在前",
)
def queue(request: HttpRequest, query: Query[QueueQuery]):
    """Non-staff get an empty page. Keyset pages by (due date, id): page N costs what page 1 costs."""
    page = selectors.staff_queue(
        actor=request.auth,
        department_id=query.department_id,
        claimed=query.claimed,
        escalations_only=query.escalations_only,
        cursor=query.cursor,
        limit=query.limit,
    )
    return render_page(page, presenters.queue_task_out)


@_action("/workbench/cases/{number}/accept", "受理（窗口人员）")
def accept(request: HttpRequest, number: CaseNumber, payload: RevisionIn | None = None):
    case = cases.accept(actor=request.auth, case=_case(request, number), expected_revision=_revision(payload))
    return _state(case)


@_action("/workbench/cases/{number}/refuse-to-accept", "不予受理（写明理由与法律依据）")
def refuse_to_accept(request: HttpRequest, number: CaseNumber, payload: RefuseIn):
    case = cases.refuse_to_accept(
        actor=request.auth,
        case=_case(request, number),
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/request-supplement", "一次性告知补正（暂停计时）")
def request_supplement(request: HttpRequest, number: CaseNumber, payload: SupplementRequestIn):
    case = _case(request, number)
    cases.request_supplement(
        actor=request.auth,
        case=case,
        items=[item.dict() for item in payload.items],
        note=payload.note,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/suspend", "启动特别程序（专家评审、听证、公示、现场勘验；暂停计时）")
def suspend(request: HttpRequest, number: CaseNumber, payload: SuspendIn):
    case = _case(request, number)
    cases.suspend(
        actor=request.auth,
        case=case,
        kind=payload.kind,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        unit=payload.unit,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/resume", "结束特别程序（恢复计时）")
def resume(request: HttpRequest, number: CaseNumber, payload: RevisionIn | None = None):
    case = _case(request, number)
    cases.resume(actor=request.auth, case=case, expected_revision=_revision(payload))
    return _state(case)


@_action("/workbench/cases/{number}/extend", "延长办理时限（两个办结日期顺延）")
def extend(request: HttpRequest, number: CaseNumber, payload: ExtendIn):
    case = _case(request, number)
    cases.extend(
        actor=request.auth,
        case=case,
        days=payload.days,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        unit=payload.unit,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/tasks/{task_id}/claim", "签收环节")
def claim(request: HttpRequest, number: CaseNumber, task_id: int = TaskId, payload: RevisionIn | None = None):
    case = _case(request, number)
    cases.claim_task(
        actor=request.auth, case=case, task=_task(case, task_id), expected_revision=_revision(payload)
    )
    return _state(case)


@_action("/workbench/cases/{number}/tasks/{task_id}/hand-over", "转交环节（写明原因）")
def hand_over(request: HttpRequest, number: CaseNumber, payload: HandOverIn, task_id: int = TaskId):
    case = _case(request, number)
    task = _task(case, task_id)
    cases.hand_over_task(
        actor=request.auth,
        case=case,
        task=task,
        to_user=get_user_by_public_id(public_id=payload.to_user),
        reason=payload.reason,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/tasks/{task_id}/complete", "办理环节（审查、会签等）")
def complete(request: HttpRequest, number: CaseNumber, payload: CompleteIn, task_id: int = TaskId):
    case = _case(request, number)
    cases.complete_task(
        actor=request.auth,
        case=case,
        task=_task(case, task_id),
        data=payload.data,
        expected_revision=payload.expected_revision,
    )
    return _state(case)


@_action("/workbench/cases/{number}/decide", "作出决定（准予或不予，写明理由与法律依据）")
def decide(request: HttpRequest, number: CaseNumber, payload: DecideIn):
    case = _case(request, number)
    cases.decide(
        actor=request.auth,
        case=case,
        decision=payload.decision,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        task=_task(case, payload.task_id) if payload.task_id is not None else None,
        expected_revision=payload.expected_revision,
        result_surface=payload.result_surface,
    )
    return _state(case)
