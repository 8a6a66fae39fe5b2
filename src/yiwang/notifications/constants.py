"""The states of a webhook delivery, the kinds of in-app notices and the audit actions of notifications."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待投递")
    DELIVERED = "delivered", _("已投递")
    FAILED = "failed", _("投递失败待重试")
    DEAD = "dead", _("已转入死信")


class NoticeKind(models.TextChoices):
    DELIVERY_DEAD = "delivery_dead", _("推送转入死信")
    # Any other app's alert to a department's administrators (e.g. a request past its deadline).
    ALERT = "alert", _("提醒")
    # A message to one person through notifications.services.notify (inbox, SMS, email).
    MESSAGE = "message", _("消息")


class Channel(models.TextChoices):
    """Where a message to a person goes: always the inbox; SMS and email as the person chooses."""

    INBOX = "inbox", _("站内消息")
    SMS = "sms", _("短信")
    EMAIL = "email", _("电子邮件")


class DispatchStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败待重试")
    DEAD = "dead", _("发送失败")
    DIGESTED = "digested", _("并入每日汇总")
    SKIPPED = "skipped", _("未发送（无地址）")


class AuditAction(models.TextChoices):
    """Past-tense names of every state change the notifications services make."""

    ENDPOINT_CREATED = "notifications.endpoint_created", _("创建推送地址")
    ENDPOINT_CHANGED = "notifications.endpoint_changed", _("修改推送地址")
    DELIVERY_DEAD = "notifications.delivery_dead", _("推送转入死信")
    DELIVERIES_REPLAYED = "notifications.deliveries_replayed", _("重新投递推送")
    OUTBOX_PRUNED = "notifications.outbox_pruned", _("清理已投递事件")
    PREFERENCES_CHANGED = "notifications.preferences_changed", _("修改通知偏好")
    MESSAGE_DEAD = "notifications.message_dead", _("消息多次发送失败")


# Statuses the claimer picks up when their next attempt is due.
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
# The same for a message's SMS/email copy and a daily digest; and the statuses that no longer change.
DUE_DISPATCH_STATUSES = (DispatchStatus.PENDING, DispatchStatus.FAILED)
FINAL_DISPATCH_STATUSES = (DispatchStatus.SENT, DispatchStatus.DEAD, DispatchStatus.SKIPPED)
# The request headers of a delivery (a receiver reads the same values, signed, in the body).
HEADER_EVENT_ID = "Yiwang-Event-Id"
HEADER_TOPIC = "Yiwang-Topic"
HEADER_TIMESTAMP = "Yiwang-Timestamp"
HEADER_SIGNATURE = "Yiwang-Signature"
HEADER_ATTEMPT = "Yiwang-Delivery-Attempt"
HEADER_SIGNATURE_KEY = "Yiwang-Signature-Key"


class MessageTopic(models.TextChoices):
    """What a message to a person is about (``notify(topic=…)``): the person mutes SMS/email per topic."""

    CASE_SUBMITTED = "case.submitted", _("申请已提交")
    CASE_ACCEPTED = "case.accepted", _("申请已受理")
    CASE_NOT_ACCEPTED = "case.not_accepted", _("申请不予受理")
    CASE_SUPPLEMENT_REQUESTED = "case.supplement_requested", _("需要补正材料")
    CASE_SUSPENDED = "case.suspended", _("办件进入特别程序")
    CASE_EXTENDED = "case.extended", _("办理时限延长")
    CASE_APPROVED = "case.approved", _("准予许可")
    CASE_REFUSED = "case.refused", _("不予许可")
    CASE_RESULT_DELIVERED = "case.result_delivered", _("办理结果已送达")
    CASE_ESCALATED = "case.escalated", _("办件督办")
    LICENSE_ISSUED = "license.issued", _("电子证照已签发")
    LICENSE_REVOKED = "license.revoked", _("电子证照已吊销")
    DATA_USE_SUSPICIOUS = "data_use.suspicious", _("可疑的数据使用")
    DATA_USE_REPORT_ANSWERED = "data_use.report_answered", _("数据使用举报已处理")
    CARD_ISSUED = "card.issued", _("红黄牌")
    RECTIFICATION_DUE = "rectification.due", _("整改期限")
    FEEDBACK_ANSWERED = "feedback.answered", _("投诉建议已答复")
    EVALUATION_INVITED = "evaluation.invited", _("邀请评价")
    APPOINTMENT_REMINDER = "appointment.reminder", _("预约提醒")


# Topics only staff receive (a card, a rectification due, an escalation): not offered to citizens.
STAFF_MESSAGE_TOPICS = frozenset(
    {MessageTopic.CASE_ESCALATED, MessageTopic.CARD_ISSUED, MessageTopic.RECTIFICATION_DUE}
)
