"""Efficiency supervision (效能监察): the card rule, cards and whom they reach, predictions, anomalies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import (
    DEFAULT_YELLOW_DAYS_LEFT,
    DEFAULT_YELLOW_PERCENT_LEFT,
    AnomalyKind,
    CardColor,
    CardKind,
    RecipientRole,
)


class CardRule(models.Model):
    """When a case turns yellow: the platform default (department empty) or one department's own rule."""

    department = models.OneToOneField(
        "regions.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    yellow_days_left = models.PositiveSmallIntegerField(
        _("剩余工作日不多于"), default=DEFAULT_YELLOW_DAYS_LEFT
    )
    yellow_percent_left = models.PositiveSmallIntegerField(
        _("剩余时限比例不高于（%）"), default=DEFAULT_YELLOW_PERCENT_LEFT
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        constraints = [
            models.UniqueConstraint(
                fields=["department"],
                condition=models.Q(department__isnull=True),
                name="card_rule_one_default",
            )
        ]

    def __str__(self) -> str:
        return str(self.department or _("默认"))


class Card(models.Model):
    """A yellow or red card on a case (or one of its stages): raised once per kind, kept for good."""

    case = models.ForeignKey("applications.Case", on_delete=models.PROTECT, related_name="+")
    # No index of its own: card_once_per_task (task, kind) serves every lookup by stage.
    task = models.ForeignKey(
        "applications.CaseTask",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    color = models.CharField(_("颜色"), max_length=10, choices=CardColor.choices)
    kind = models.CharField(_("类型"), max_length=20, choices=CardKind.choices)
    reason = models.CharField(_("原因"), max_length=300)
    due_on = models.DateField(_("期限"))
    raised_on = models.DateField(_("发牌日期"))
    days_left = models.SmallIntegerField(_("剩余工作日"))
    # No index of its own: card_department_idx (department, color, raised_on) leads with it.
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Keeps its own indexes: the varchar_pattern_ops one serves the supervisors' region-prefix LIKE.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the whole card is answered: every recipient acknowledged it.
    acknowledged_at = models.DateTimeField(_("签收完毕"), null=True, blank=True)

    class Meta:
        verbose_name = _("黄红牌")
        verbose_name_plural = _("黄红牌")
        ordering = ["-raised_on", "-pk"]
        constraints = [
            # The sweep may run any number of times: one card of a kind per case (per stage for overruns).
            models.UniqueConstraint(
                fields=["case", "kind"], condition=models.Q(task__isnull=True), name="card_once_per_case"
            ),
            models.UniqueConstraint(
                fields=["task", "kind"], condition=models.Q(task__isnull=False), name="card_once_per_task"
            ),
        ]
        indexes = [
            models.Index(fields=["department", "color", "raised_on"], name="card_department_idx"),
            models.Index(fields=["region", "color", "raised_on"], name="card_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_color_display()} {self.case_id}"


class CardRecipient(models.Model):
    """One person a card reaches (handler, department head, supervisor), and their acknowledgment."""

    # Neither foreign key has an index of its own: card_recipient_once (card, user, role) leads with the
    # card, card_recipient_inbox_idx (user, acknowledged_at) with the user.
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="recipients", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    role = models.CharField(_("身份"), max_length=16, choices=RecipientRole.choices)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    note = models.CharField(_("签收说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("黄红牌接收人")
        verbose_name_plural = _("黄红牌接收人")
        ordering = ["card_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["card", "user", "role"], name="card_recipient_once")]
        indexes = [models.Index(fields=["user", "acknowledged_at"], name="card_recipient_inbox_idx")]

    def __str__(self) -> str:
        return f"{self.card_id} {self.user_id} {self.role}"


class StageDuration(models.Model):
    """How long a stage (a BPMN user task) has taken in a department: what predictions rest on."""

    department = models.ForeignKey("regions.Department", on_delete=models.CASCADE, related_name="+")
    bpmn_id = models.CharField(_("环节标识"), max_length=100)
    name = models.CharField(_("环节"), max_length=200, blank=True)
    samples = models.PositiveIntegerField(_("样本数"), default=0)
    median_days = models.FloatField(_("中位用时（工作日）"), default=0)
    p80_days = models.FloatField(_("80%用时（工作日）"), default=0)
    daily_throughput = models.FloatField(_("日均办结"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("环节历史用时")
        verbose_name_plural = _("环节历史用时")
        constraints = [
            models.UniqueConstraint(fields=["department", "bpmn_id"], name="stage_duration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.bpmn_id}"


class OverduePrediction(models.Model):
    """A case likely to miss its promised date before it turns yellow, and why (stage, queue)."""

    case = models.OneToOneField("applications.Case", on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    predicted_on = models.DateField(_("预计办结日期"))
    promised_due = models.DateField(_("承诺办结日期"))
    stage = models.CharField(_("瓶颈环节"), max_length=200, blank=True)
    queue_length = models.PositiveIntegerField(_("排队件数"), default=0)
    reason = models.CharField(_("原因"), max_length=300)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("超期预测")
        verbose_name_plural = _("超期预测")
        ordering = ["predicted_on", "pk"]
        indexes = [models.Index(fields=["department", "predicted_on"], name="prediction_department_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.predicted_on}"


class Anomaly(models.Model):
    """Something the seeds name as suspicious: found once per key, reviewed by a supervisor."""

    kind = models.CharField(_("类型"), max_length=30, choices=AnomalyKind.choices)
    key = models.CharField(_("标识"), max_length=200, help_text=_("同一异常只记一次：类型 + 标识唯一"))
    description = models.CharField(_("说明"), max_length=500)
    department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    implementation = models.ForeignKey(
        "catalog.Implementation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "applications.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    found_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("处理说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("异常")
        verbose_name_plural = _("异常")
        ordering = ["-found_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="anomaly_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
