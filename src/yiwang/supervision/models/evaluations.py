"""好差评: invitations, evaluations and their additions, rectification tickets, revisits and appeals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import (
    AppealDecision,
    EvaluationChannel,
    EvaluationLevel,
    EvaluationStage,
    RectificationStatus,
    RevisitResult,
)


class EvaluationInvitation(models.Model):
    """An invitation to rate a closed case (or a window visit): by web notice, SMS link or window device.

    The SMS link carries a token; only its keyed hash is stored. An invitation is used once.
    """

    case = models.ForeignKey("applications.Case", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(_("评价对象"), max_length=16, choices=EvaluationStage.choices)
    channel = models.CharField(_("渠道"), max_length=16, choices=EvaluationChannel.choices)
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评价邀请")
        verbose_name_plural = _("评价邀请")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.channel}"


class Evaluation(models.Model):
    """One rating of a case's stage (一事一评 online, 一次一评 at the window); never by its handlers."""

    case = models.ForeignKey("applications.Case", on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("评价对象"), max_length=16, choices=EvaluationStage.choices)
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=EvaluationLevel.choices)
    indicators = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.TextField(_("评价内容"), blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=EvaluationChannel.choices)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    real_name = models.BooleanField(_("实名评价"), default=True)
    # Denormalized from the case: the rates by item, department and region read only this table.
    implementation = models.ForeignKey(
        "catalog.Implementation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    item_code = models.CharField(_("事项编码"), max_length=40, blank=True, db_index=True)
    department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    counted = models.BooleanField(_("计入统计"), default=True, help_text=_("申诉成立的评价不计入"))
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["case", "stage"], name="evaluation_once_per_stage")]
        indexes = [
            models.Index(fields=["item_code", "created_at"], name="evaluation_item_idx"),
            models.Index(fields=["department", "created_at"], name="evaluation_department_idx"),
            models.Index(fields=["region", "created_at"], name="evaluation_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.level}"


class EvaluationAddition(models.Model):
    """追评: what the rater adds later (a new level counts from then on, the first stays on record)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="additions")
    level = models.PositiveSmallIntegerField(
        _("评价等级"), choices=EvaluationLevel.choices, null=True, blank=True
    )
    comment = models.TextField(_("追加内容"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("追加评价")
        verbose_name_plural = _("追加评价")
        ordering = ["evaluation_id", "created_at"]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.created_at:%Y-%m-%d}"


class Rectification(models.Model):
    """The ticket a bad review opens for the responsible department: rectified within 15 working days."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="rectification")
    department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    due_on = models.DateField(_("整改期限"))
    measures = models.TextField(_("整改措施"), blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rectified_at = models.DateTimeField(_("整改时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("差评整改")
        verbose_name_plural = _("差评整改")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["department", "status", "due_on"], name="rectification_queue_idx")]

    def __str__(self) -> str:
        return f"{self.evaluation_id} {self.status}"


class Revisit(models.Model):
    """回访: every real-name bad review is called back after rectification, and the result recorded."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="revisits")
    result = models.CharField(_("回访结果"), max_length=24, choices=RevisitResult.choices)
    note = models.TextField(_("回访记录"), blank=True)
    revisited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revisited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["rectification_id", "revisited_at"]

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.result}"


class ReviewAppeal(models.Model):
    """A department's appeal against a review it believes wrongful, decided by a supervisor."""

    rectification = models.OneToOneField(Rectification, on_delete=models.CASCADE, related_name="appeal")
    reason = models.TextField(_("申诉理由"))
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appealed_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(_("裁定"), max_length=10, choices=AppealDecision.choices, blank=True)
    decision_reason = models.TextField(_("裁定理由"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("差评申诉")
        verbose_name_plural = _("差评申诉")
        ordering = ["-appealed_at"]

    def __str__(self) -> str:
        return f"{self.rectification_id} {self.decision or '-'}"
