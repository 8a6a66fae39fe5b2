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


# Statuses the claimer picks up when their next attempt is due.
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
# The request headers of a delivery (a receiver reads the same values, signed, in the body).
HEADER_EVENT_ID = "Yiwang-Event-Id"
HEADER_TOPIC = "Yiwang-Topic"
HEADER_TIMESTAMP = "Yiwang-Timestamp"
HEADER_SIGNATURE = "Yiwang-Signature"
HEADER_ATTEMPT = "Yiwang-Delivery-Attempt"
HEADER_SIGNATURE_KEY = "Yiwang-Signature-Key"
