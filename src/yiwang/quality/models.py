"""Data quality (rules, runs, findings returned to the source, scores) and citizens' objections (数据异议)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .constants import FindingStatus, ObjectionStatus, RuleKind


class RuleSetting(models.Model):
    """A resource's configuration of one quality rule: off, its parameters, its time to fix.

    A rule without a row runs with its defaults; a row only says how this resource differs.
    """

    resource = models.ForeignKey(
        "exchange.Resource", verbose_name=_("资源"), on_delete=models.CASCADE, related_name="+"
    )
    rule_id = models.CharField(_("规则"), max_length=80)
    is_enabled = models.BooleanField(_("启用"), default=True)
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    deadline_working_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"), null=True, blank=True)

    class Meta:
        verbose_name = _("质量规则配置")
        verbose_name_plural = _("质量规则配置")
        constraints = [
            models.UniqueConstraint(fields=["resource", "rule_id"], name="quality_rule_setting_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.rule_id}"


class QualityRun(models.Model):
    """One check of a resource by its rules: what was checked, what was found, the score."""

    resource = models.ForeignKey(
        "exchange.Resource", verbose_name=_("资源"), on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(_("触发方式"), max_length=20)
    rule_ids = models.JSONField(_("运行的规则"), default=list)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"))
    records_checked = models.PositiveIntegerField(_("检查记录数"), default=0)
    failing_records = models.PositiveIntegerField(_("问题记录数"), default=0)
    violations = models.PositiveIntegerField(_("发现问题数"), default=0)
    findings_new = models.PositiveIntegerField(_("新增问题数"), default=0)
    findings_fixed = models.PositiveIntegerField(_("复核已整改数"), default=0)
    score = models.DecimalField(_("质量评分"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("质量检查")
        verbose_name_plural = _("质量检查")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["resource", "-started_at"], name="quality_run_resource_idx")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.started_at:%Y-%m-%d %H:%M} {self.score}"


class Finding(models.Model):
    """A rule's finding about one item of one register record: a work item of the department holding it."""

    resource = models.ForeignKey(
        "exchange.Resource", verbose_name=_("资源"), on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(QualityRun, verbose_name=_("发现于"), on_delete=models.PROTECT, related_name="+")
    last_run = models.ForeignKey(
        QualityRun, verbose_name=_("最近检出"), on_delete=models.PROTECT, related_name="+"
    )
    rule_id = models.CharField(_("规则"), max_length=80)
    kind = models.CharField(_("规则类别"), max_length=20, choices=RuleKind.choices)
    register = models.CharField(_("基础库"), max_length=30)
    record_id = models.PositiveBigIntegerField(_("记录标识"))
    # The record's key (ID number, credit code, account number): shown in full only to its department.
    record_key = models.CharField(_("记录主键"), max_length=40)
    item = models.CharField(_("信息项"), max_length=60)
    message = models.CharField(_("问题说明"), max_length=300)
    department = models.ForeignKey(
        "regions.Department", verbose_name=_("整改部门"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=FindingStatus.choices)
    found_at = models.DateTimeField(_("发现时间"))
    due_on = models.DateField(_("整改期限"))
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    explanation = models.TextField(_("说明"), blank=True)
    recheck_failed_at = models.DateTimeField(_("复核未通过时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("质量问题")
        verbose_name_plural = _("质量问题")
        ordering = ["due_on", "pk"]
        constraints = [
            # A re-run finds the open finding again instead of adding a second one.
            models.UniqueConstraint(
                fields=["rule_id", "register", "record_id", "item"],
                condition=models.Q(status="open"),
                name="quality_finding_open_unique",
            )
        ]
        indexes = [models.Index(fields=["department", "status", "due_on"], name="quality_finding_dept_idx")]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.register}#{self.record_id} {self.item}"


def _evidence_path(instance: Objection, filename: str) -> str:
    # Never the uploader's file name: a random name under a per-month folder, outside any served URL.
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"objections/{timezone.now():%Y%m}/{secrets.token_hex(16)}.{suffix}"


class Objection(models.Model):
    """A citizen's statement that an item of their register record is wrong, with the correct value."""

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    register = models.CharField(_("基础库"), max_length=30)
    record_key = models.CharField(_("记录主键"), max_length=40)
    item = models.CharField(_("信息项"), max_length=60)
    current_value = models.CharField(_("登记值"), max_length=2000, blank=True)
    proposed_value = models.CharField(_("正确值"), max_length=200)
    description = models.TextField(_("异议说明"))
    evidence_text = models.TextField(_("证明材料说明"), blank=True)
    evidence_file = models.FileField(_("证明材料"), upload_to=_evidence_path, blank=True)
    evidence_type = models.CharField(_("材料类型"), max_length=40, blank=True)
    department = models.ForeignKey(
        "regions.Department", verbose_name=_("处理部门"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=ObjectionStatus.choices)
    submitted_at = models.DateTimeField(_("提交时间"))
    due_on = models.DateField(_("办理期限"))
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("处理意见"), blank=True)
    applied_value = models.CharField(_("更正后的值"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("数据异议")
        verbose_name_plural = _("数据异议")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["citizen", "-submitted_at"], name="quality_objection_citizen_idx"),
            models.Index(fields=["department", "status", "due_on"], name="quality_objection_dept_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.register} {self.item} {self.get_status_display()}"
