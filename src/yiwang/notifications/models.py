"""The outbox (events written with their change), webhook endpoints, deliveries, the platform key, notices."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.signing.platform_keys import PlatformKey

from .constants import FINAL_DISPATCH_STATUSES, Channel, DeliveryStatus, DispatchStatus, NoticeKind


class WebhookKey(PlatformKey):
    """The platform's SM2 key that signs webhook bodies; the private half stays in its signing backend."""

    class Meta(PlatformKey.Meta):
        verbose_name = _("推送签名密钥")
        verbose_name_plural = _("推送签名密钥")


class WebhookEndpoint(models.Model):
    """Where a departmental system receives events: a URL owned by a department (and its system, if any)."""

    department = models.ForeignKey(
        "regions.Department", verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="+"
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("业务系统"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("接收地址"), max_length=500)
    # Space-separated topics this endpoint takes when a caller selects endpoints by topic.
    topics = models.CharField(_("订阅主题"), max_length=500, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("推送地址")
        verbose_name_plural = _("推送地址")

    def __str__(self) -> str:
        return f"{self.name} {self.url}"

    @property
    def topic_set(self) -> set[str]:
        return set(self.topics.split())


class OutboxEvent(models.Model):
    """One event, written in the transaction of the change it reports; its UUID lets receivers deduplicate."""

    event_id = models.UUIDField(_("事件标识"), unique=True, default=uuid.uuid4, editable=False)
    topic = models.CharField(_("主题"), max_length=100, db_index=True)
    payload = models.JSONField(_("内容"))
    occurred_at = models.DateTimeField(_("发生时间"))

    class Meta:
        verbose_name = _("待推送事件")
        verbose_name_plural = _("待推送事件")

    def __str__(self) -> str:
        return f"{self.topic} {self.event_id}"


class Delivery(models.Model):
    """One event to one endpoint: attempts, when the next is due, and how the last one ended."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("上次尝试时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("投递时间"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("上次响应码"), null=True, blank=True)
    last_error = models.CharField(_("上次错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("推送投递")
        verbose_name_plural = _("推送投递")
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_event_endpoint")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} {self.status}"


class Notice(models.Model):
    """One message in the app: to a department's administrators (``recipient`` empty) or to one person.

    A message to a person (``notifications.services.notify``) is their inbox entry; its ``title_template``
    and ``body_template`` are Chinese msgids rendered with ``context`` in the reader's language, and its
    SMS and email copies are ``Dispatch`` rows.
    """

    kind = models.CharField(_("类型"), max_length=30, choices=NoticeKind.choices)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What happened, for channel choices and the API (e.g. "case.supplement_requested").
    topic = models.CharField(_("事项类别"), max_length=100, blank=True, db_index=True)
    title_template = models.CharField(_("标题模板"), max_length=200, blank=True)
    body_template = models.TextField(_("内容模板"), blank=True)
    context = models.JSONField(_("模板参数"), default=dict, blank=True)
    # A path inside the platform where the person acts on it (their case, their license).
    link = models.CharField(_("链接"), max_length=300, blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内提醒")
        verbose_name_plural = _("站内提醒")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notice_inbox")]

    def __str__(self) -> str:
        return self.title

    @property
    def delivery_summary(self) -> list[dict]:
        """How the message's SMS and email copies ended, for the person: one row per channel
        (``channel``, ``channel_label``, ``status``, ``status_label``, ``sent_at``, ``final``).

        Reads ``dispatches.all()``: list pages ``prefetch_related("dispatches")`` to keep one query.
        """
        rows = []
        for dispatch in sorted(self.dispatches.all(), key=lambda row: row.channel):
            rows.append(
                {
                    "channel": dispatch.channel,
                    "channel_label": dispatch.get_channel_display(),
                    "status": dispatch.status,
                    "status_label": dispatch.get_status_display(),
                    "sent_at": dispatch.sent_at,
                    "final": dispatch.status in FINAL_DISPATCH_STATUSES,
                }
            )
        return rows


class Dispatch(models.Model):
    """One message's copy on one channel (SMS or email): at most one per message and channel, so none is
    sent twice; attempts, retries with the webhooks' backoff, and how it ended are kept for the person."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="dispatches")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("地址"), max_length=254, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("上次尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("上次错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The daily digest this (status digested) email went out in; empty until the day's digest collects it.
    digest = models.ForeignKey(
        "Digest",
        verbose_name=_("每日汇总"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatches",
    )

    class Meta:
        verbose_name = _("消息发送")
        verbose_name_plural = _("消息发送")
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="one_dispatch_per_notice_channel")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="dispatch_due")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.channel} {self.status}"


class Digest(models.Model):
    """One person's daily email of the messages they chose to receive as a digest: at most one a day, so
    collecting twice (two workers, a rerun) sends nothing twice. Sent and retried like a ``Dispatch``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("日期"))
    address = models.CharField(_("地址"), max_length=254)
    status = models.CharField(
        _("状态"), max_length=10, choices=DispatchStatus.choices, default=DispatchStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("上次尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    last_error = models.CharField(_("上次错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("每日汇总邮件")
        verbose_name_plural = _("每日汇总邮件")
        constraints = [models.UniqueConstraint(fields=["recipient", "day"], name="one_digest_per_person_day")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="digest_due")]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.day} {self.status}"


class NotificationPreference(models.Model):
    """A person's channel choices: the inbox always; SMS and email on or off; email as a daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    sms = models.BooleanField(_("短信通知"), default=True)
    email = models.BooleanField(_("邮件通知"), default=False)
    daily_digest = models.BooleanField(_("邮件每日汇总"), default=False)
    # Topics the person muted on SMS and email (the inbox keeps everything), space-separated.
    muted_topics = models.CharField(_("不接收的类别"), max_length=1000, blank=True)
    # The language of the person's SMS and email (the inbox follows the page's language).
    language = models.CharField(_("通知语言"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user_id)
