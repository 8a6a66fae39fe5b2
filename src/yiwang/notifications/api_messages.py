"""/api/v1/messages: a person's inbox (messages:read / messages:write, or the browser session).

Only the person's own messages exist for them: another's answers ``404 message_not_found`` as a missing
one does. Titles and bodies come in the request's language (``Accept-Language``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from yiwang.core.api_auth import bearer_scope
from yiwang.core.schemas import ERROR_RESPONSES, ErrorOut, PageQuery, page_of, render_page

from . import selectors, services
from .constants import MessageTopic
from .models import Notice

MESSAGES_READ = bearer_scope("messages:read")
MESSAGES_WRITE = bearer_scope("messages:write")
ERRORS = {**ERROR_RESPONSES, 401: ErrorOut, 403: ErrorOut}
MAX_ID = 2**63 - 1

router = Router(tags=["消息"])


class DeliveryOut(Schema):
    channel: str = Field(..., description="sms 或 email")
    status: str = Field(..., description="pending / sent / failed / dead / digested / skipped")
    status_label: str
    sent_at: dt.datetime | None


class MessageOut(Schema):
    id: int
    topic: str = Field(..., description="事项类别，如 case.supplement_requested")
    topic_label: str
    title: str
    body: str
    link: str = Field(..., description="平台内可办理或查看的页面路径；可为空")
    created_at: dt.datetime
    read_at: dt.datetime | None
    deliveries: list[DeliveryOut] = Field(..., description="短信、邮件副本的发送情况")


class MessageQuery(PageQuery):
    unread: bool = Field(False, description="只列未读消息")


class MarkedOut(Schema):
    marked: int = Field(..., description="本次标为已读的消息数")


def message_out(notice: Notice) -> dict[str, Any]:
    title = services.render(notice.title_template, notice.context) if notice.title_template else notice.title
    body = services.render(notice.body_template, notice.context) if notice.body_template else notice.body
    topic_label = str(MessageTopic(notice.topic).label) if notice.topic in MessageTopic.values else ""
    return {
        "id": notice.pk,
        "topic": notice.topic,
        "topic_label": topic_label,
        "title": title,
        "body": body,
        "link": notice.link,
        "created_at": notice.created_at,
        "read_at": notice.read_at,
        "deliveries": [
            {
                "channel": row["channel"],
                "status": row["status"],
                "status_label": str(row["status_label"]),
                "sent_at": row["sent_at"],
            }
            for row in notice.delivery_summary
        ],
    }


def _own(request: HttpRequest, message_id: int) -> Notice:
    if not 1 <= message_id <= MAX_ID:  # the same answer as a missing message, not a database error
        return selectors.access_message_by_id(user=request.auth, message_id=0)
    return selectors.access_message_by_id(user=request.auth, message_id=message_id)


@router.get(
    "/messages",
    response={200: page_of(MessageOut), **ERRORS},
    auth=MESSAGES_READ,
    summary="我的消息，新的在前",
)
def list_messages(request: HttpRequest, query: Query[MessageQuery]):
    page = selectors.list_inbox(
        user=request.auth, unread_only=query.unread, cursor=query.cursor, limit=query.limit
    )
    return render_page(page, message_out)


# Before "/messages/{message_id}": ninja would take "read-all" for a message id otherwise.
@router.post(
    "/messages/read-all", response={200: MarkedOut, **ERRORS}, auth=MESSAGES_WRITE, summary="全部标为已读"
)
def mark_all_read(request: HttpRequest):
    return {"marked": services.mark_notices_read(notices=selectors.list_unread_messages(user=request.auth))}


@router.get(
    "/messages/{message_id}", response={200: MessageOut, **ERRORS}, auth=MESSAGES_READ, summary="一条消息"
)
def get_message(request: HttpRequest, message_id: int):
    return message_out(_own(request, message_id))


@router.post(
    "/messages/{message_id}/read",
    response={200: MessageOut, **ERRORS},
    auth=MESSAGES_WRITE,
    summary="标为已读",
)
def mark_read(request: HttpRequest, message_id: int):
    notice = _own(request, message_id)
    services.mark_notices_read(notices=[notice])
    return message_out(_own(request, message_id))
