"""The resource catalog (政务信息资源目录, GB/T 21063 metadata), share requests and the grants they give."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.signing.platform_keys import PlatformKey

from .constants import DataType, Grade, OpenType, RequestStatus, SharingType, UpdateCycle


class Resource(models.Model):
    """A government information resource a provider department shares through the exchange."""

    code = models.CharField(_("资源代码"), max_length=40, unique=True)
    name = models.CharField(_("资源名称"), max_length=200)
    provider = models.ForeignKey(
        "regions.Department", verbose_name=_("提供方"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("资源摘要"))
    source = models.CharField(_("数据来源（基础库）"), max_length=30, blank=True)
    sharing_type = models.CharField(_("共享类型"), max_length=20, choices=SharingType.choices)
    sharing_conditions = models.TextField(_("共享条件"), blank=True)
    legal_basis = models.TextField(_("不予共享依据"), blank=True)
    open_type = models.CharField(_("开放类型"), max_length=20, choices=OpenType.choices)
    update_cycle = models.CharField(_("更新周期"), max_length=20, choices=UpdateCycle.choices)
    data_format = models.CharField(_("信息资源格式"), max_length=40, default="数据库/JSON")
    published_on = models.DateField(_("发布日期"))
    version = models.CharField(_("版本"), max_length=20, default="1.0")

    class Meta:
        verbose_name = _("共享资源")
        verbose_name_plural = _("共享资源")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DataItem(models.Model):
    """One data item (信息项) of a resource, with its sensitivity grade."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("信息项代码"), max_length=60)
    name = models.CharField(_("信息项名称"), max_length=100)
    data_type = models.CharField(_("数据类型"), max_length=1, choices=DataType.choices)
    length = models.PositiveIntegerField(_("数据长度"))
    grade = models.PositiveSmallIntegerField(_("敏感级别"), choices=Grade.choices)
    is_personal = models.BooleanField(_("个人信息"), default=False)
    is_sensitive_personal = models.BooleanField(_("敏感个人信息"), default=False)

    class Meta:
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")
        ordering = ["resource", "pk"]
        constraints = [models.UniqueConstraint(fields=["resource", "code"], name="exchange_item_code_unique")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class ShareRequest(models.Model):
    """A consumer department's request for a resource: purpose, items, consuming system, end date."""

    resource = models.ForeignKey(Resource, verbose_name=_("资源"), on_delete=models.PROTECT, related_name="+")
    consumer = models.ForeignKey(
        "regions.Department", verbose_name=_("使用方"), on_delete=models.PROTECT, related_name="+"
    )
    system = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("使用系统"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("用途"), max_length=200)
    service_item_codes = models.JSONField(_("事项编码"), default=list)
    legal_basis = models.TextField(_("依据"))
    masks = models.JSONField(_("信息项及提供方式"), default=dict)  # item code -> Mask
    ends_on = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=20, choices=RequestStatus.choices)
    needs_second_approval = models.BooleanField(_("需平台安全审批"), default=False)
    submitted_at = models.DateTimeField(_("申请时间"))
    decision_due = models.DateField(_("审核期限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    second_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(_("安全审批时间"), null=True, blank=True)
    refusal_reason = models.TextField(_("拒绝理由"), blank=True)
    # Set once when an overdue request is escalated to the platform administrator (never escalated twice).
    escalated_at = models.DateTimeField(_("逾期上报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.resource.name} → {self.consumer}"


class Grant(models.Model):
    """What a consuming system may call: bound to purpose, items (with masks), system and an end date."""

    request = models.OneToOneField(ShareRequest, on_delete=models.PROTECT, related_name="grant")
    resource = models.ForeignKey(Resource, verbose_name=_("资源"), on_delete=models.PROTECT, related_name="+")
    consumer = models.ForeignKey(
        "regions.Department", verbose_name=_("使用方"), on_delete=models.PROTECT, related_name="+"
    )
    system = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        verbose_name=_("使用系统"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField(_("用途"), max_length=200)
    service_item_codes = models.JSONField(_("事项编码"), default=list)
    masks = models.JSONField(_("信息项及提供方式"), default=dict)
    ends_on = models.DateField(_("截止日期"))
    granted_at = models.DateTimeField(_("授权时间"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-granted_at", "-pk"]
        indexes = [models.Index(fields=["system", "resource"], name="exchange_grant_system_idx")]

    def __str__(self) -> str:
        return f"{self.resource.name} → {self.consumer}"


class ExchangeKey(PlatformKey):
    """The platform's SM2 key that signs exchange responses; the private half stays in its backend."""

    class Meta(PlatformKey.Meta):
        verbose_name = _("交换签名密钥")
        verbose_name_plural = _("交换签名密钥")


class Subscription(models.Model):
    """A consuming system's subscription to change notices of a resource it holds a grant for.

    Notices go to ``endpoint`` (a webhook of the consuming department's system) through the
    notifications outbox, written in the same transaction as the change; only while the grant is live.
    """

    grant = models.ForeignKey(
        Grant, verbose_name=_("授权"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    endpoint = models.ForeignKey(
        "notifications.WebhookEndpoint",
        verbose_name=_("推送地址"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Space-separated change kinds (constants.ChangeKind); empty means every kind the resource announces.
    kinds = models.CharField(_("变更类型"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("订阅时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("变更订阅")
        verbose_name_plural = _("变更订阅")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["grant", "endpoint"],
                condition=models.Q(cancelled_at__isnull=True),
                name="exchange_subscription_live_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grant} → {self.endpoint}"
