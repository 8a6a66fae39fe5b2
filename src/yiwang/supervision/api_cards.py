"""/api/v1/supervision: yellow and red cards and predicted overdue cases (staff: session or bearer token
with supervision:read / supervision:write).

A card is visible to its recipients and to whoever's supervision scope covers it; anyone else gets 404
``card_not_found``, as for a card that does not exist. Only a recipient acknowledges (403
``not_a_recipient``); a red card needs the reason (400 ``reason_required``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from yiwang.core.api_auth import bearer_scope
from yiwang.core.pagination import PageIn
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, page_of, render_page

from .models import Card, OverduePrediction
from .selectors import cards as selectors
from .services import cards as services

READ = bearer_scope("supervision:read")
WRITE = bearer_scope("supervision:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut}
MAX_ID = 2**63 - 1
CardId = Path(..., ge=1, le=MAX_ID, description="黄红牌编号")

router = Router(tags=["效能监察"])


class CardQuery(PageIn):
    mine: bool = Field(False, description="只看发给本人的")
    color: Literal["yellow", "red"] | None = None
    department_id: int | None = Field(None, ge=1, le=MAX_ID)
    state: Literal["open", "acknowledged"] | None = None


class CardOut(Schema):
    id: int
    color: str
    kind: str
    reason: str
    case_number: str
    stage: str | None
    department_id: int
    department_name: str
    region_code: str
    due_on: dt.date
    raised_on: dt.date
    days_left: int
    acknowledged: bool


class RecipientOut(Schema):
    role: str
    name: str
    acknowledged_at: dt.datetime | None
    note: str


class CardDetailOut(CardOut):
    recipients: list[RecipientOut]
    my_pending_roles: list[str]


class AcknowledgeIn(Schema):
    note: str = Field("", max_length=500, description="签收说明；红牌须说明超期原因")


class PredictionQuery(PageIn):
    department_id: int | None = Field(None, ge=1, le=MAX_ID)


class PredictionOut(Schema):
    case_number: str
    department_id: int
    department_name: str
    predicted_on: dt.date
    promised_due: dt.date
    stage: str
    queue_length: int
    reason: str


def card_out(card: Card) -> dict[str, Any]:
    return {
        "id": card.pk,
        "color": card.color,
        "kind": card.kind,
        "reason": card.reason,
        "case_number": card.case.number,
        "stage": card.task.name if card.task_id else None,
        "department_id": card.department_id,
        "department_name": card.department.name,
        "region_code": card.region_id,
        "due_on": card.due_on,
        "raised_on": card.raised_on,
        "days_left": card.days_left,
        "acknowledged": card.acknowledged_at is not None,
    }


def _detail(card: Card, actor: Any) -> dict[str, Any]:
    return {
        **card_out(card),
        "recipients": [
            {
                "role": row.role,
                "name": row.user.full_name or row.user.username,
                "acknowledged_at": row.acknowledged_at,
                "note": row.note,
            }
            for row in selectors.card_recipients(card=card)
        ],
        "my_pending_roles": selectors.pending_roles_of(card=card, actor=actor),
    }


def prediction_out(prediction: OverduePrediction) -> dict[str, Any]:
    return {
        "case_number": prediction.case.number,
        "department_id": prediction.department_id,
        "department_name": prediction.department.name,
        "predicted_on": prediction.predicted_on,
        "promised_due": prediction.promised_due,
        "stage": prediction.stage,
        "queue_length": prediction.queue_length,
        "reason": prediction.reason,
    }


@router.get(
    "/supervision/cards",
    response={200: page_of(CardOut), **ERRORS},
    auth=READ,
    summary="黄红牌：发给本人的与本人监察范围内的，新的在前",
)
def list_cards(request: HttpRequest, query: Query[CardQuery]):
    page = selectors.list_cards(
        actor=request.auth,
        mine=query.mine,
        color=query.color or "",
        department_id=query.department_id,
        state=query.state or "",
        cursor=query.cursor,
        limit=query.limit,
    )
    return render_page(page, card_out)


@router.get(
    "/supervision/cards/{card_id}",
    response={200: CardDetailOut, **ERRORS},
    auth=READ,
    summary="黄红牌详情：办件、环节、剩余工作日、接收人及签收情况",
)
def card_detail(request: HttpRequest, card_id: int = CardId):
    card = selectors.access_card(actor=request.auth, card_id=card_id)
    return _detail(card, request.auth)


@router.post(
    "/supervision/cards/{card_id}/acknowledge",
    response={200: CardDetailOut, **ERRORS},
    auth=WRITE,
    summary="签收黄红牌（红牌须说明超期原因）",
)
def acknowledge(request: HttpRequest, payload: AcknowledgeIn, card_id: int = CardId):
    card = selectors.access_card(actor=request.auth, card_id=card_id)
    services.acknowledge(actor=request.auth, card_id=card.pk, note=payload.note)
    return _detail(selectors.access_card(actor=request.auth, card_id=card_id), request.auth)


@router.get(
    "/supervision/predictions",
    response={200: page_of(PredictionOut), **ERRORS},
    auth=READ,
    summary="超期预测：按历史用时与排队情况，可能超过承诺时限的办件",
)
def list_predictions(request: HttpRequest, query: Query[PredictionQuery]):
    page = selectors.list_predictions(
        actor=request.auth, department_id=query.department_id, cursor=query.cursor, limit=query.limit
    )
    return render_page(page, prediction_out)
