"""/api/v1/feedback (citizens), /api/v1/public/feedback (by query code) and /api/v1/supervision/feedback
(staff): 投诉、咨询、建议.

A citizen files with the header ``Idempotency-Key`` (the same key again answers ``200`` with the first
filing, without the query code). Only the filer sees their feedback; anyone with the number and the
query code sees its public part (throttled after failures). Staff see what their supervision scope or
``complaint.handle`` covers; everyone else gets ``404 feedback_not_found``, like a missing number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status

from yiwang.core.api_auth import bearer_scope
from yiwang.core.errors import NotFound, Throttled
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page
from yiwang.regions.selectors import get_department

from .constants import FeedbackKind, FeedbackSubject
from .models import Feedback
from .selectors import feedback as selectors
from .services import feedback as services

READ = bearer_scope("feedback:read")
WRITE = bearer_scope("feedback:write")
STAFF_READ = bearer_scope("supervision:read")
STAFF_WRITE = bearer_scope("supervision:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,100}$"

router = Router(tags=["投诉咨询建议"])


class FeedbackIn(Schema):
    kind: FeedbackKind
    subject: FeedbackSubject
    title: str = Field(..., max_length=100)
    body: str = Field(..., max_length=5000)
    item_code: str = Field("", max_length=64, description="subject=item 时必填：事项编码")
    case_number: str = Field("", max_length=40, description="subject=case 时必填：本人的办件编号")
    department_code: str = Field("", max_length=18, description="subject=department：部门统一社会信用代码")
    region_code: str = Field("", max_length=12, description="所在区划（按事项分派时用），默认平台默认区划")
    contact_name: str = Field("", max_length=50)
    phone: str = Field("", max_length=20, description="联系电话，默认账号手机号")
    publish_allowed: bool = Field(False, description="（咨询）同意脱敏后公开答复")


class EventOut(Schema):
    kind: str
    label: str
    text: str
    from_department: str | None
    to_department: str | None
    expected_on: dt.date | None
    at: dt.datetime


class FeedbackOut(Schema):
    number: str
    kind: str
    subject: str
    status: str
    status_label: str
    title: str
    body: str
    item_code: str | None
    department: str
    expected_on: dt.date
    answer: str
    answered_at: dt.datetime | None
    reopen_count: int
    publish_allowed: bool
    created_at: dt.datetime
    events: list[EventOut]


class FiledOut(FeedbackOut):
    query_code: str | None = Field(None, description="查询码，仅在首次提交的应答中出现一次")


class FeedbackSummaryOut(Schema):
    number: str
    kind: str
    status: str
    title: str
    department: str
    expected_on: dt.date
    created_at: dt.datetime


class StaffFeedbackOut(FeedbackOut):
    contact_name: str
    phone: str
    region_code: str
    published_at: dt.datetime | None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=1000)


class AnswerIn(Schema):
    answer: str = Field(..., max_length=5000)


class TransferIn(Schema):
    department_code: str = Field(..., max_length=18, description="转办目标部门的统一社会信用代码")
    reason: str = Field(..., max_length=1000)


class PublishIn(Schema):
    question: str = Field("", max_length=5000, description="公开的问题（留空用原文；一律再脱敏）")
    answer: str = Field("", max_length=5000)


class PublicQuery(Schema):
    code: str = Field(..., max_length=40, description="查询码")


class QueueQuery(PageQuery):
    include_closed: bool = False


def _events(feedback: Feedback, *, internal: bool = False) -> list[dict[str, Any]]:
    events = feedback.events.select_related("from_department", "to_department")
    return [
        {
            "kind": event.kind,
            "label": event.get_kind_display(),
            "text": event.text,
            "from_department": event.from_department.name if event.from_department else None,
            "to_department": event.to_department.name if event.to_department else None,
            "expected_on": event.expected_on,
            "at": event.at,
        }
        for event in events
        if internal or event.is_public
    ]


def feedback_out(feedback: Feedback, *, internal: bool = False) -> dict[str, Any]:
    return {
        "number": feedback.number,
        "kind": feedback.kind,
        "subject": feedback.subject,
        "status": feedback.status,
        "status_label": feedback.get_status_display(),
        "title": feedback.title,
        "body": feedback.body,
        "item_code": feedback.item.code if feedback.item_id else None,
        "department": feedback.department.name,
        "expected_on": feedback.expected_on,
        "answer": feedback.answer,
        "answered_at": feedback.answered_at,
        "reopen_count": feedback.reopen_count,
        "publish_allowed": feedback.publish_allowed,
        "created_at": feedback.created_at,
        "events": _events(feedback, internal=internal),
    }


def staff_out(feedback: Feedback) -> dict[str, Any]:
    return {
        **feedback_out(feedback, internal=True),
        "contact_name": feedback.contact_name,
        "phone": feedback.phone,
        "region_code": feedback.region_id,
        "published_at": feedback.published_at,
    }


def summary_out(feedback: Feedback) -> dict[str, Any]:
    return {
        "number": feedback.number,
        "kind": feedback.kind,
        "status": feedback.status,
        "title": feedback.title,
        "department": feedback.department.name,
        "expected_on": feedback.expected_on,
        "created_at": feedback.created_at,
    }


# Citizens ------------------------------------------------------------------------------------------------


@router.post(
    "/feedback", response={201: FiledOut, 200: FiledOut, **ERRORS}, auth=WRITE, summary="提交投诉、咨询或建议"
)
def file_feedback(
    request: HttpRequest,
    payload: FeedbackIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN),
):
    """Routed at once: a case to its department, an item to its implementation in ``region_code``, a
    department to itself, else the region's government service office. Errors: ``title_required``,
    ``body_required``, ``item_required``, ``unknown_item``, ``case_not_found``, ``unknown_department``,
    ``no_responsible_department``, ``invalid_phone``, ``citizens_only`` (403)."""
    filing = services.file_feedback(actor=request.auth, idempotency_key=idempotency_key, **payload.dict())
    body = {**feedback_out(filing.feedback), "query_code": filing.query_code}
    return Status(201 if filing.created else 200, body)


@router.get(
    "/feedback", response={200: page_of(FeedbackSummaryOut), **ERRORS}, auth=READ, summary="我的投诉咨询建议"
)
def list_mine(request: HttpRequest, query: Query[PageQuery]):
    page = selectors.list_my_feedback(actor=request.auth, cursor=query.cursor, limit=query.limit)
    return render_page(page, summary_out)


@router.get(
    "/feedback/{number}", response={200: FeedbackOut, **ERRORS}, auth=READ, summary="投诉咨询建议详情"
)
def get_mine(request: HttpRequest, number: str):
    return feedback_out(selectors.access_feedback_by_number(actor=request.auth, number=number))


@router.post(
    "/feedback/{number}/reopen",
    response={200: FeedbackOut, **ERRORS},
    auth=WRITE,
    summary="答复未解决，申请重新办理",
)
def reopen(request: HttpRequest, number: str, payload: ReasonIn):
    feedback = selectors.access_feedback_by_number(actor=request.auth, number=number)
    return feedback_out(
        services.reopen_feedback(actor=request.auth, feedback=feedback, reason=payload.reason)
    )


@router.post(
    "/feedback/{number}/accept", response={200: FeedbackOut, **ERRORS}, auth=WRITE, summary="认可答复，办结"
)
def accept(request: HttpRequest, number: str):
    feedback = selectors.access_feedback_by_number(actor=request.auth, number=number)
    return feedback_out(services.accept_answer(actor=request.auth, feedback=feedback))


@router.get(
    "/public/feedback/{number}",
    response={200: FeedbackOut, **ERROR_RESPONSES, 429: ErrorOut},
    auth=None,
    summary="凭编号与查询码查看投诉咨询建议（免登录）",
)
def public_feedback(request: HttpRequest, number: str, query: Query[PublicQuery]):
    """A wrong number or code answers ``404 feedback_not_found`` alike; repeated failures ``429``."""
    ip_address = request.META.get("REMOTE_ADDR") or None
    if services.query_throttled(ip_address=ip_address, number=number):
        raise Throttled(
            _("查询失败次数过多，请 %(minutes)s 分钟后再试")
            % {"minutes": services.QUERY_WINDOW_SECONDS // 60}
        )
    try:
        feedback = selectors.access_feedback_by_code(number=number, query_code=query.code)
    except NotFound:
        services.count_query_failure(ip_address=ip_address, number=number)
        raise
    return feedback_out(feedback)


# Staff ---------------------------------------------------------------------------------------------------


@router.get(
    "/supervision/feedback",
    response={200: page_of(FeedbackSummaryOut), **ERRORS},
    auth=STAFF_READ,
    summary="待办投诉咨询建议（按预计答复日期）",
)
def queue(request: HttpRequest, query: Query[QueueQuery]):
    page = selectors.list_department_queue(
        actor=request.auth, include_closed=query.include_closed, cursor=query.cursor, limit=query.limit
    )
    return render_page(page, summary_out)


@router.get(
    "/supervision/feedback/{number}",
    response={200: StaffFeedbackOut, **ERRORS},
    auth=STAFF_READ,
    summary="投诉咨询建议详情（工作人员）",
)
def staff_detail(request: HttpRequest, number: str):
    return staff_out(selectors.access_feedback_for_staff(actor=request.auth, number=number))


@router.post(
    "/supervision/feedback/{number}/answer",
    response={200: StaffFeedbackOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="答复",
)
def answer(request: HttpRequest, number: str, payload: AnswerIn):
    feedback = selectors.access_feedback_for_staff(actor=request.auth, number=number)
    return staff_out(services.answer_feedback(actor=request.auth, feedback=feedback, answer=payload.answer))


@router.post(
    "/supervision/feedback/{number}/transfer",
    response={200: StaffFeedbackOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="转办（须说明原因）",
)
def transfer(request: HttpRequest, number: str, payload: TransferIn):
    feedback = selectors.access_feedback_for_staff(actor=request.auth, number=number)
    to_department = get_department(credit_code=payload.department_code)
    feedback = services.transfer_feedback(
        actor=request.auth, feedback=feedback, to_department=to_department, reason=payload.reason
    )
    return staff_out(feedback)


@router.post(
    "/supervision/feedback/{number}/publish",
    response={200: StaffFeedbackOut, **ERRORS},
    auth=STAFF_WRITE,
    summary="公开咨询答复（脱敏）",
)
def publish(request: HttpRequest, number: str, payload: PublishIn):
    feedback = selectors.access_feedback_for_staff(actor=request.auth, number=number)
    feedback = services.publish_answer(
        actor=request.auth, feedback=feedback, question=payload.question, answer=payload.answer
    )
    return staff_out(feedback)
