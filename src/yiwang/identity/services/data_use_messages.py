"""Tell people about uses of their data, in their inbox (``notifications.services.notify``).

The audit log sits below both notifications and identity: it announces on ``yiwang.core.changes`` and
identity, which knows whose ID number or credit code a subject is, subscribes in its ``AppConfig.ready``
(ADR 0002). A suspicious read reaches the person (or the enterprise's legal representative) whose data
it is; a handled suspicion report reaches the citizen who filed it.
"""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils.translation import gettext_noop

from yiwang.audit.constants import AlertReason, ReportStatus
from yiwang.notifications.constants import MessageTopic
from yiwang.notifications.services import notify

from ..models import User
from ..selectors.holders import list_users_holding

ALERT_TITLE = gettext_noop("您的数据有一次需要关注的使用")
ALERT_BODIES: dict[str, str] = {
    AlertReason.NO_GROUND: gettext_noop(
        "有工作人员在没有办件或授权的情况下读取了您的数据。请查看详情，如有疑问可以举报。"
    ),
    AlertReason.OUTSIDE_REGION: gettext_noop(
        "有工作人员试图在辖区之外读取您的数据，已被拒绝。请查看详情，如有疑问可以举报。"
    ),
}
logger = logging.getLogger(__name__)

REPORT_TITLE = gettext_noop("您对数据使用的举报已有处理结果")
REPORT_BODIES: dict[str, str] = {
    ReportStatus.INVESTIGATING: gettext_noop("审计人员正在核查您举报的数据使用。"),
    ReportStatus.CONFIRMED: gettext_noop("经核查，您举报的数据使用确属违规，已依规处理。"),
    ReportStatus.DISMISSED: gettext_noop("经核查，您举报的数据使用未发现问题。"),
}


def tell_data_use_alert(*, alert_id: int, entry_id: int, reason: str, subject_code: str, **_: object) -> int:
    """After the read committed: a message to each account whose data it was; how many. A failure here is
    logged, never raised: the read and its alert are committed, and the tracker shows the alert anyway."""
    try:
        return _tell_alert(entry_id=entry_id, reason=reason, subject_code=subject_code)
    except Exception:
        logger.exception("data-use alert %s: the message to the data subject was not written", alert_id)
        return 0


def _tell_alert(*, entry_id: int, reason: str, subject_code: str) -> int:
    body = ALERT_BODIES.get(reason)
    if body is None:
        return 0
    recipients = list_users_holding(holder_code=subject_code)
    for recipient in recipients:
        notify(
            recipient=recipient,
            topic=MessageTopic.DATA_USE_SUSPICIOUS,
            title=ALERT_TITLE,
            body=body,
            context={"entry": entry_id},
            link=reverse("portal:data_use_detail", args=[entry_id]),
        )
    return len(recipients)


def tell_report_handled(*, report_id: int, entry_id: int, reporter_id: int, status: str, **_: object) -> None:
    """In the handling's transaction: the reporter learns how their report stands."""
    body = REPORT_BODIES.get(status)
    reporter = User.objects.filter(pk=reporter_id, is_active=True).first()
    if body is None or reporter is None:
        return
    notify(
        recipient=reporter,
        topic=MessageTopic.DATA_USE_REPORT_ANSWERED,
        title=REPORT_TITLE,
        body=body,
        context={"report": report_id},
        link=reverse("portal:data_use_detail", args=[entry_id]),
    )
