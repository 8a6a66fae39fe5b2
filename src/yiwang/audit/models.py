"""The one append-only audit log, its Merkle tree (RFC 9162, SM3) and what citizens and auditors do with it.

Entries are plain inserts. The sealer gives them consecutive sequence numbers, hashes them into the tree
and signs a tree head; nothing else ever changes an entry (PostgreSQL refuses UPDATE and DELETE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.signing.platform_keys import PlatformKey

from .constants import AlertReason, Channel, EntryKind, GroundKind, Outcome, ReportStatus, SubjectKind

_USER = settings.AUTH_USER_MODEL


class AuditEntry(models.Model):
    """One state change or one read of personal or enterprise data, allowed or refused."""

    seq = models.BigIntegerField(_("序号"), null=True, blank=True, unique=True, editable=False)
    leaf_hash = models.CharField(_("叶哈希"), max_length=64, blank=True, editable=False)
    occurred_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)
    kind = models.CharField(_("类别"), max_length=10, choices=EntryKind.choices)
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, default=Outcome.ALLOWED)
    reason = models.CharField(_("原因"), max_length=60, blank=True)
    actor = models.ForeignKey(
        _USER, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(_("操作人角色"), max_length=30, blank=True)
    actor_department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("操作人部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_region_code = models.CharField(_("操作人辖区"), max_length=12, blank=True)
    system = models.CharField(_("调用系统"), max_length=100, blank=True)
    mandate_id = models.BigIntegerField(_("依据委托"), null=True, blank=True)
    on_behalf_of = models.CharField(_("代表"), max_length=200, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("数据所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_hash = models.CharField(_("数据主体（密钥哈希）"), max_length=64, blank=True)
    subject_kind = models.CharField(_("主体类别"), max_length=12, choices=SubjectKind.choices, blank=True)
    fields = models.JSONField(_("读取字段"), default=list, blank=True)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    ground_kind = models.CharField(_("依据类别"), max_length=20, choices=GroundKind.choices, blank=True)
    ground_ref = models.CharField(_("依据"), max_length=100, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.SYSTEM)
    request_id = models.CharField(_("请求标识"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]
        indexes = [
            # The data tracker's first page: one subject, newest first.
            models.Index(fields=["subject_hash", "-occurred_at", "-id"], name="audit_subject_time_idx"),
            models.Index(fields=["department", "-occurred_at"], name="audit_department_time_idx"),
            models.Index(fields=["actor_department", "-occurred_at"], name="audit_actor_dept_time_idx"),
            models.Index(fields=["actor", "-occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The sealer's queue: entries not yet in the tree.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq if self.seq is not None else '-'} {self.action} {self.get_outcome_display()}"


class AuditKey(PlatformKey):
    """The platform's SM2 key that signs tree heads; the private half stays in its signing backend."""

    class Meta(PlatformKey.Meta):
        verbose_name = _("审计签名密钥")
        verbose_name_plural = _("审计签名密钥")


class TreeHead(models.Model):
    """A signed statement of the log's size and Merkle root at a moment (RFC 9162 signed tree head)."""

    tree_size = models.BigIntegerField(_("条目数"), unique=True)
    root_hash = models.CharField(_("根哈希"), max_length=64)
    issued_at = models.DateTimeField(_("签发时间"))
    key = models.ForeignKey(AuditKey, verbose_name=_("签名密钥"), on_delete=models.PROTECT, related_name="+")
    signature = models.TextField(_("签名"))

    class Meta:
        verbose_name = _("签名树头")
        verbose_name_plural = _("签名树头")
        ordering = ["-tree_size"]

    def __str__(self) -> str:
        return f"{self.tree_size} {self.root_hash[:16]}…"


class MerkleNode(models.Model):
    """The hash of a complete subtree: level L, index i covers leaves [i·2^L, (i+1)·2^L)."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="audit_merkle_node_unique")]

    def __str__(self) -> str:
        return f"{self.level}/{self.index}"


class DataUseAlert(models.Model):
    """An in-app alert about a read that needs a look: to the data subject's account or to an auditor."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="alerts")
    reason = models.CharField(_("原因"), max_length=20, choices=AlertReason.choices)
    recipient = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    recipient_department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("数据使用提醒")
        verbose_name_plural = _("数据使用提醒")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.entry_id}"


class SuspicionReport(models.Model):
    """A citizen's report that a read of their data looks wrong; handled by that department's auditor."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(_USER, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("说明"), blank=True, max_length=1000)
    status = models.CharField(
        _("状态"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    resolution = models.TextField(_("处理结果"), blank=True, max_length=2000)
    handled_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("可疑读取举报")
        verbose_name_plural = _("可疑读取举报")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "reporter"], name="audit_one_report_per_entry")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"
