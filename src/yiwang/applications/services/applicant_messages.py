"""Messages to a case's applicant (their inbox, SMS, email) through ``notifications.services.notify``.

Each is written in the case action's transaction and links to the applicant's case page. Titles and
bodies are Chinese msgids formatted with the case's facts, so every reader gets them in their language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_noop

from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.models import Notice
from yiwang.notifications.services import notify

from ..models import Case

# topic → (title, body); {number} and {item} are always given, the rest by the caller.
TEMPLATES: dict[str, tuple[str, str]] = {
    MessageTopic.CASE_SUBMITTED: (
        gettext_noop("申请 {number} 已提交"),
        gettext_noop("您申请的“{item}”已提交，等待受理。可在“我的办件”中查看进度。"),
    ),
    MessageTopic.CASE_ACCEPTED: (
        gettext_noop("办件 {number} 已受理"),
        gettext_noop("您申请的“{item}”已受理，承诺办结日期：{due}。"),
    ),
    MessageTopic.CASE_NOT_ACCEPTED: (
        gettext_noop("办件 {number} 不予受理"),
        gettext_noop("您申请的“{item}”不予受理。理由：{reason}"),
    ),
    MessageTopic.CASE_SUPPLEMENT_REQUESTED: (
        gettext_noop("办件 {number} 需要补正材料"),
        gettext_noop("请补正以下 {count} 项后重新提交（补正期间暂停计时）：{listing}"),
    ),
    MessageTopic.CASE_SUSPENDED: (
        gettext_noop("办件 {number} 进入特别程序"),
        gettext_noop("您申请的“{item}”进入特别程序，暂停计时。原因：{reason}"),
    ),
    MessageTopic.CASE_EXTENDED: (
        gettext_noop("办件 {number} 办理时限延长"),
        gettext_noop("您申请的“{item}”经批准延长办理时限，新的承诺办结日期：{due}。"),
    ),
    MessageTopic.CASE_APPROVED: (
        gettext_noop("办件 {number} 准予许可"),
        gettext_noop("您申请的“{item}”已准予许可，办理结果送达后可在办件详情中查看和下载。"),
    ),
    MessageTopic.CASE_REFUSED: (
        gettext_noop("办件 {number} 不予许可"),
        gettext_noop(
            "决定书已送达，载明理由、依据及申请行政复议（{reconsideration_until} 前）、"
            "提起行政诉讼（{litigation_until} 前）的权利和期限，请在办件详情中查看。"
        ),
    ),
    MessageTopic.CASE_RESULT_DELIVERED: (
        gettext_noop("办件 {number} 已办结"),
        gettext_noop("“{item}”的办理结果已送达，可在办件详情中查看和下载。"),
    ),
}


def item_name(case: Case) -> str:
    if case.implementation_id and case.implementation is not None:
        return case.implementation.name
    if case.bundle_id and case.bundle is not None:
        return case.bundle.name
    return case.number


def tell_applicant(*, case: Case, topic: str, context: Mapping[str, Any] | None = None) -> Notice:
    """Write the ``topic`` message to the case's applicant, linking to their case page."""
    title, body = TEMPLATES[topic]
    return notify(
        recipient=case.applicant,
        topic=topic,
        title=title,
        body=body,
        context={"number": case.number, "item": item_name(case), **(context or {})},
        link=reverse("applications:case", args=[case.number]),
        department=case.department,
    )
