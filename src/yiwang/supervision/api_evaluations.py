"""/api/v1: 好差评 for citizens (feedback:read / feedback:write) and rectification tickets for staff
(supervision:read / supervision:write).

A rating is posted once per case (``Idempotency-Key`` required: the same key and body again answer the
same rating with ``200``; the same key with another body ``409 idempotency_key_reused``). Staff who
handled the case are refused ``403 handler_cannot_evaluate`` (and the refusal is audited); anybody else
who is not the case's applicant gets ``404 case_not_found``. Tickets outside the staff member's
supervision scope answer ``404 rectification_not_found``, as missing ones do.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from django.core.cache import cache
from django.http import HttpRequest
from ninja import Field, Header, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import StrictInt, StringConstraints

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import Conflict
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page

from .models import Evaluation, EvaluationAddition, Rectification
from .selectors import evaluations as selectors
from .services import evaluations, rectifications

FEEDBACK_READ = bearer_scope("feedback:read")
FEEDBACK_WRITE = bearer_scope("feedback:write")
STAFF_READ = bearer_scope("supervision:read")
STAFF_WRITE = bearer_scope("supervision:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
MAX_ID = 2**63 - 1
REPLAY_SECONDS = 24 * 3600

CaseNumber = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")]
ShortText = Annotated[str, StringConstraints(max_length=2000)]
TicketId = Path(..., ge=1, le=MAX_ID, description="整改工单编号")

router = Router(tags=["好差评"])


class EvaluationIn(Schema):
    level: StrictInt = Field(
        ..., description="评价等级：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意"
    )
    indicators: dict[str, StrictInt] = Field(
        default_factory=dict,
        description="分项评价（efficiency、guide_accuracy、convenience、ease_of_use），各 1–5",
    )
    comment: ShortText = Field("", description="评价内容（最多 1000 字）")


class AdditionIn(Schema):
    comment: ShortText = Field(..., description="追加评价内容")
    level: StrictInt | None = Field(None, description="新的评价等级（可选；此后按新等级统计）")


class AdditionOut(Schema):
    level: int | None
    comment: str
    created_at: str


class RevisitOut(Schema):
    result: str
    note: str
    revisited_at: str


class TicketSummaryOut(Schema):
    id: int
    status: str
    status_label: str
    due_on: str
    measures: str
    revisits: list[RevisitOut]


class EvaluationOut(Schema):
    case_number: str
    stage: str
    level: int
    level_label: str
    current_level: int
    indicators: dict[str, int]
    comment: str
    channel: str
    counted: bool
    created_at: str
    additions: list[AdditionOut]
    rectification: TicketSummaryOut | None


class AppealOut(Schema):
    reason: str
    appealed_at: str
    decision: str
    decision_reason: str
    decided_at: str | None


class RectificationOut(Schema):
    id: int
    case_number: str
    item_code: str
    department: str
    region: str
    level: int
    comment: str
    real_name: bool
    status: str
    status_label: str
    due_on: str
    measures: str
    rectified_at: str | None
    revisits: list[RevisitOut]
    appeal: AppealOut | None


class RectificationQuery(PageQuery):
    status: str | None = Field(
        None, max_length=20, description="按状态筛选：open、rectified、closed、appealed、withdrawn"
    )


class MeasuresIn(Schema):
    measures: ShortText


class RevisitIn(Schema):
    result: str = Field(
        ..., max_length=24, description="satisfied、basically_satisfied、dissatisfied、unreachable"
    )
    note: ShortText = ""


class AppealIn(Schema):
    reason: ShortText


class DecisionIn(Schema):
    decision: str = Field(..., max_length=10, description="upheld（申诉成立）或 rejected（不成立）")
    reason: ShortText


# Presenters ---------------------------------------------------------------------------------------------


def _revisits(rectification: Rectification) -> list[dict[str, Any]]:
    return [
        {"result": row.result, "note": row.note, "revisited_at": row.revisited_at.isoformat()}
        for row in rectification.revisits.all()
    ]


def _ticket_summary(evaluation: Evaluation) -> dict[str, Any] | None:
    ticket = getattr(evaluation, "rectification", None)  # the reverse one-to-one: absent for most ratings
    if ticket is None:
        return None
    return {
        "id": ticket.pk,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "due_on": ticket.due_on.isoformat(),
        "measures": ticket.measures,
        "revisits": _revisits(ticket),
    }


def _addition(row: EvaluationAddition) -> dict[str, Any]:
    return {"level": row.level, "comment": row.comment, "created_at": row.created_at.isoformat()}


def evaluation_out(evaluation: Evaluation) -> dict[str, Any]:
    additions = list(evaluation.additions.all())
    levels = [row.level for row in additions if row.level is not None]
    return {
        "case_number": evaluation.case.number,
        "stage": evaluation.stage,
        "level": evaluation.level,
        "level_label": evaluation.get_level_display(),
        "current_level": levels[-1] if levels else evaluation.level,
        "indicators": evaluation.indicators,
        "comment": evaluation.comment,
        "channel": evaluation.channel,
        "counted": evaluation.counted,
        "created_at": evaluation.created_at.isoformat(),
        "additions": [_addition(row) for row in additions],
        "rectification": _ticket_summary(evaluation),
    }


def rectification_out(ticket: Rectification) -> dict[str, Any]:
    evaluation = ticket.evaluation
    appeal = getattr(ticket, "appeal", None)  # the reverse one-to-one: absent unless appealed
    return {
        "id": ticket.pk,
        "case_number": evaluation.case.number,
        "item_code": evaluation.item_code,
        "department": ticket.department.name,
        "region": ticket.region_id,
        "level": evaluation.level,
        "comment": evaluation.comment,
        "real_name": evaluation.real_name,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "due_on": ticket.due_on.isoformat(),
        "measures": ticket.measures,
        "rectified_at": ticket.rectified_at.isoformat() if ticket.rectified_at else None,
        "revisits": _revisits(ticket),
        "appeal": None
        if appeal is None
        else {
            "reason": appeal.reason,
            "appealed_at": appeal.appealed_at.isoformat(),
            "decision": appeal.decision,
            "decision_reason": appeal.decision_reason,
            "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
        },
    }


# Idempotent replays -------------------------------------------------------------------------------------


def _replay_key(actor: Any, key: str) -> str:
    return f"supervision:evaluation:{actor.public_id}:{hashlib.sha256(key.encode()).hexdigest()}"


def _fingerprint(number: str, payload: EvaluationIn) -> str:
    body = json.dumps({"number": number, **payload.dict()}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


# Citizens -----------------------------------------------------------------------------------------------


@router.post(
    "/cases/{number}/evaluation",
    response={201: EvaluationOut, 200: EvaluationOut, **ERRORS},
    auth=FEEDBACK_WRITE,
    summary="评价办结的办件（好差评，须带 Idempotency-Key）",
)
def evaluate(
    request: HttpRequest,
    number: CaseNumber,
    payload: EvaluationIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", pattern=r"^[!-~]{1,100}$"),
):
    """Errors: ``case_not_found`` (404), ``handler_cannot_evaluate`` (403, audited), ``case_not_closed``,
    ``already_evaluated``, ``idempotency_key_reused`` (409), ``invalid_level``, ``invalid_indicators``,
    ``comment_too_long`` (400)."""
    actor = request.auth
    replay_key, fingerprint = _replay_key(actor, idempotency_key), _fingerprint(number, payload)
    kept = cache.get(replay_key)
    if kept is not None and kept["fingerprint"] != fingerprint:
        raise Conflict("该幂等键已用于另一次评价", code="idempotency_key_reused")
    case = selectors.case_to_rate(actor=actor, number=number)
    evaluation, created = evaluations.evaluate(
        actor=actor, case=case, level=payload.level, indicators=payload.indicators, comment=payload.comment
    )
    cache.set(replay_key, {"fingerprint": fingerprint, "evaluation": evaluation.pk}, REPLAY_SECONDS)
    return Status(201 if created else 200, evaluation_out(evaluation))


@router.post(
    "/cases/{number}/evaluation/additions",
    response={201: EvaluationOut, **ERRORS},
    auth=FEEDBACK_WRITE,
    summary="追加评价（仅原评价人）",
)
def add(request: HttpRequest, number: CaseNumber, payload: AdditionIn):
    evaluation = selectors.access_own_evaluation(actor=request.auth, number=number)
    evaluations.add_to_evaluation(
        actor=request.auth, evaluation=evaluation, comment=payload.comment, level=payload.level
    )
    return Status(201, evaluation_out(evaluation))


@router.get(
    "/evaluations",
    response={200: page_of(EvaluationOut), **ERRORS},
    auth=FEEDBACK_READ,
    summary="我的评价（含追评与整改进展），新的在前",
)
def my_evaluations(request: HttpRequest, query: Query[PageQuery]):
    page = selectors.list_my_evaluations(actor=request.auth, cursor=query.cursor, limit=query.limit)
    return render_page(page, evaluation_out)


# Staff --------------------------------------------------------------------------------------------------


@router.get(
    "/supervision/rectifications",
    response={200: page_of(RectificationOut), **ERRORS},
    auth=STAFF_READ,
    summary="差评整改工单（部门负责人：本部门；效能监察人员：本区域），期限近的在前",
)
def list_rectifications(request: HttpRequest, query: Query[RectificationQuery]):
    page = selectors.list_rectifications(
        actor=request.auth, status=query.status, cursor=query.cursor, limit=query.limit
    )
    return render_page(page, rectification_out)


def _ticket(request: HttpRequest, rectification_id: int) -> Rectification:
    return selectors.access_rectification(actor=request.auth, rectification_id=rectification_id)


def _fresh(request: HttpRequest, rectification_id: int) -> dict[str, Any]:
    return rectification_out(_ticket(request, rectification_id))


@router.post(
    "/supervision/rectifications/{rectification_id}/measures",
    response={200: RectificationOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="提交整改措施（责任部门负责人）",
)
def measures(request: HttpRequest, payload: MeasuresIn, rectification_id: int = TicketId):
    ticket = _ticket(request, rectification_id)
    rectifications.record_measures(actor=request.auth, rectification=ticket, measures=payload.measures)
    return _fresh(request, rectification_id)


@router.post(
    "/supervision/rectifications/{rectification_id}/revisits",
    response={201: RectificationOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="记录回访结果（本区域效能监察人员）",
)
def revisit(request: HttpRequest, payload: RevisitIn, rectification_id: int = TicketId):
    ticket = _ticket(request, rectification_id)
    rectifications.record_revisit(
        actor=request.auth, rectification=ticket, result=payload.result, note=payload.note
    )
    return Status(201, _fresh(request, rectification_id))


@router.post(
    "/supervision/rectifications/{rectification_id}/appeal",
    response={201: RectificationOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="申诉差评（责任部门负责人）",
)
def appeal(request: HttpRequest, payload: AppealIn, rectification_id: int = TicketId):
    ticket = _ticket(request, rectification_id)
    rectifications.appeal(actor=request.auth, rectification=ticket, reason=payload.reason)
    return Status(201, _fresh(request, rectification_id))


@router.post(
    "/supervision/rectifications/{rectification_id}/appeal/decision",
    response={200: RectificationOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="裁定申诉（本区域效能监察人员；成立则该评价不计入统计）",
)
def decide(request: HttpRequest, payload: DecisionIn, rectification_id: int = TicketId):
    ticket = _ticket(request, rectification_id)
    rectifications.decide_appeal(
        actor=request.auth, rectification=ticket, decision=payload.decision, reason=payload.reason
    )
    return _fresh(request, rectification_id)
