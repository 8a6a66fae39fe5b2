"""Applications and case handling: forms, drafts, cases, their materials, tasks, clock, payments, processes.

One case is one application for one implementation; a bundle application (一件事) is a parent case whose
sub-cases (one per implementation) are handled in parallel. The workflow's state is kept in the case
(``state_json``, without its spec: the spec lives once in ``ProcessVersion``, ADR 0009); queues and
pages read the ``CaseTask`` projection and never deserialize a workflow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.signing.platform_keys import PlatformKey
from yiwang.core.workdays import DayUnit

from .constants import (
    ApplicantKind,
    CaseStatus,
    Channel,
    ClockStopKind,
    Decision,
    FormStatus,
    MaterialSource,
    PaymentStatus,
    ProcessStatus,
    TaskState,
    TrustLevel,
)


class ApplicationForm(models.Model):
    """One version of an implementation's application form (fields, validation, conditions, prefill).

    ``schema`` is the form definition checked by ``services.forms`` (docs/applications.md). A case keeps
    the version it was filled in; a new version never changes a submitted case.
    """

    implementation = models.ForeignKey(
        "catalog.Implementation",
        verbose_name=_("实施清单"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=16, choices=FormStatus.choices, default=FormStatus.DRAFT)
    title = models.CharField(_("表单名称"), max_length=200)
    schema = models.JSONField(_("表单定义"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申请表单")
        verbose_name_plural = _("申请表单")
        ordering = ["implementation_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["implementation", "version"], name="application_form_version_unique"
            ),
            models.UniqueConstraint(
                fields=["implementation"],
                condition=models.Q(status="active"),
                name="application_form_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ProcessDefinition(models.Model):
    """A handling process (BPMN process id) and the implementations that run it."""

    key = models.CharField(_("流程标识"), max_length=100, unique=True)
    name = models.CharField(_("流程名称"), max_length=200)
    implementations = models.ManyToManyField(
        "catalog.Implementation", verbose_name=_("适用实施清单"), blank=True, related_name="+"
    )
    is_default = models.BooleanField(
        _("默认流程"), default=False, help_text=_("未绑定流程的实施清单使用默认流程")
    )

    class Meta:
        verbose_name = _("审批流程")
        verbose_name_plural = _("审批流程")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_process",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProcessVersion(models.Model):
    """One imported version of a process: its BPMN file and its parsed spec (ADR 0009)."""

    definition = models.ForeignKey(ProcessDefinition, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ProcessStatus.choices, default=ProcessStatus.DRAFT
    )
    bpmn_xml = models.TextField(_("BPMN 文件"))
    sha256 = models.CharField(_("文件摘要"), max_length=64)
    spec_json = models.JSONField(_("流程规格"))
    serializer_version = models.CharField(_("序列化版本"), max_length=16)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("流程版本")
        verbose_name_plural = _("流程版本")
        ordering = ["definition_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="process_version_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="active"),
                name="process_one_active_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition.key} v{self.number}"


class Draft(models.Model):
    """A form being filled (草稿), saved and resumed; submitting turns it into a case and deletes it."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    implementation = models.ForeignKey(
        "catalog.Implementation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    bundle = models.ForeignKey(
        "catalog.Bundle", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    applicant_kind = models.CharField(
        max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON
    )
    holder_code = models.CharField(_("申请主体证件号码"), max_length=18)
    mandate = models.ForeignKey(
        "identity.Mandate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    situation = models.JSONField(_("情形答案"), default=dict, blank=True)
    data = models.JSONField(_("已填内容"), default=dict, blank=True)
    materials = models.JSONField(_("材料选择"), default=dict, blank=True)
    form_token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("申请草稿")
        verbose_name_plural = _("申请草稿")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.form_token[:8]}"


class Case(models.Model):
    """One application (办件) from submission to closing."""

    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    query_code_hash = models.CharField(_("查询码摘要"), max_length=64)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("一件事主件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    implementation = models.ForeignKey(
        "catalog.Implementation",
        verbose_name=_("实施清单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bundle = models.ForeignKey(
        "catalog.Bundle",
        verbose_name=_("一件事"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    form = models.ForeignKey(
        ApplicationForm,
        verbose_name=_("表单版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "regions.Department", verbose_name=_("受理部门"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    # Who applies, for whom, and through whom.
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_kind = models.CharField(_("申请主体类型"), max_length=16, choices=ApplicantKind.choices)
    holder_code = models.CharField(_("申请主体证件号码"), max_length=18, db_index=True)
    holder_name = models.CharField(_("申请主体名称"), max_length=200)
    mandate = models.ForeignKey(
        "identity.Mandate",
        verbose_name=_("委托授权"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("申报渠道"), max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    window_clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("窗口受理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    visits = models.PositiveSmallIntegerField(_("跑动次数"), default=0)
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True)
    # What was applied for.
    situation = models.JSONField(_("情形答案"), default=dict, blank=True)
    data = models.JSONField(_("申请表内容"), default=dict, blank=True)
    prefilled = models.JSONField(
        _("预填字段"),
        default=dict,
        blank=True,
        help_text=_("字段 → 来源（登记簿资源、电子证照）及核验时间"),
    )
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=CaseStatus.choices,
        default=CaseStatus.SUBMITTED,
        db_index=True,
    )
    # The workflow (ADR 0009): the instance's state without its spec, bound to the version it started on.
    process_version = models.ForeignKey(
        ProcessVersion,
        verbose_name=_("流程版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    state_json = models.JSONField(_("流程状态"), null=True, blank=True)
    serializer_version = models.CharField(max_length=16, blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    next_timer_at = models.DateTimeField(_("下次定时"), null=True, blank=True, db_index=True)
    # The clock (ADR 0008, 0009): limits copied at acceptance, dates recomputed from scratch on each change.
    statutory_limit_days = models.PositiveSmallIntegerField(_("法定时限"), null=True, blank=True)
    statutory_limit_unit = models.CharField(max_length=10, choices=DayUnit.choices, default=DayUnit.WORKING)
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺时限"), null=True, blank=True)
    promised_limit_unit = models.CharField(max_length=10, choices=DayUnit.choices, default=DayUnit.WORKING)
    statutory_due = models.DateField(_("法定办结日期"), null=True, blank=True)
    promised_due = models.DateField(_("承诺办结日期"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(_("提交时间"), db_index=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Decision and result.
    decision = models.CharField(_("决定"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decision_basis = models.TextField(_("法律依据"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    result_license = models.ForeignKey(
        "licenses.License",
        verbose_name=_("结果电子证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_document = models.FileField(_("决定书"), upload_to="applications/decisions/", blank=True)
    flagged_reason = models.CharField(_("提示"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="case_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "promised_due"], name="case_queue_idx"),
            models.Index(fields=["applicant", "-submitted_at"], name="case_applicant_idx"),
            # The dashboards' daily figures (supervision.services.stats) select a day's acceptances and
            # closings: without these the five-minute refresh scans the cases (467–857 → 175–252 ms at 1M).
            models.Index(fields=["accepted_at"], name="case_accepted_at_idx"),
            models.Index(fields=["closed_at"], name="case_closed_at_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class CaseMaterial(models.Model):
    """One required material of a case and what satisfied it (and how far it can be trusted)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey(
        "catalog.Material",
        verbose_name=_("材料"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    key = models.CharField(_("材料编码"), max_length=64)
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=16, choices=MaterialSource.choices)
    trust = models.PositiveSmallIntegerField(_("可信等级"), choices=TrustLevel.choices)
    license = models.ForeignKey(
        "licenses.License",
        verbose_name=_("电子证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    vault_item = models.ForeignKey(
        "applications.VaultItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to="applications/materials/%Y/%m/", blank=True)
    file_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    superseded = models.BooleanField(_("已被补正替换"), default=False)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        ordering = ["case_id", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.name}"


class VaultItem(models.Model):
    """A material in the holder's vault (材料库): uploaded once or issued earlier, reused while valid."""

    holder_code = models.CharField(_("持有人证件号码"), max_length=18, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    material_key = models.CharField(_("材料编码"), max_length=64)
    name = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(upload_to="applications/vault/%Y/%m/", blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    source_case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("材料库材料")
        verbose_name_plural = _("材料库材料")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["holder_code", "material_key"], name="vault_holder_material_idx")]

    def __str__(self) -> str:
        return self.name


class CaseTask(models.Model):
    """A projection of the workflow's user tasks: the queue and the workbench read only this."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    task_id = models.CharField(_("流程任务标识"), max_length=64)
    bpmn_id = models.CharField(_("环节标识"), max_length=100)
    name = models.CharField(_("环节"), max_length=200)
    role = models.CharField(_("角色"), max_length=30)
    department = models.ForeignKey("regions.Department", on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(_("状态"), max_length=16, choices=TaskState.choices, default=TaskState.READY)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_on = models.DateField(_("环节期限"), null=True, blank=True)
    is_escalation = models.BooleanField(_("督办"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.JSONField(_("办理结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("办件环节")
        verbose_name_plural = _("办件环节")
        ordering = ["case_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["case", "task_id"], name="case_task_unique")]
        indexes = [models.Index(fields=["department", "state", "due_on"], name="case_task_queue_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.name}"


class ClockStop(models.Model):
    """A stop of the clock (补正, 特别程序) or an extension of the limit, each with its reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clock_stops")
    kind = models.CharField(_("类型"), max_length=20, choices=ClockStopKind.choices)
    reason = models.CharField(_("原因"), max_length=500)
    legal_basis = models.CharField(_("依据"), max_length=300, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("延长天数"), null=True, blank=True)
    unit = models.CharField(_("计时单位"), max_length=10, choices=DayUnit.choices, default=DayUnit.WORKING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("计时中止与延长")
        verbose_name_plural = _("计时中止与延长")
        ordering = ["case_id", "started_on", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.started_on}"


class SupplementRequest(models.Model):
    """一次性告知: every missing or wrong item in one notice; the clock stops until resubmission."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supplements")
    items = models.JSONField(
        _("补正事项"), help_text=_('[{"kind": "material"|"field", "key": …, "problem": …}]')
    )
    note = models.TextField(_("说明"), blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")
        ordering = ["case_id", "-requested_at"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.requested_at:%Y-%m-%d}"


class CaseEvent(models.Model):
    """The case's timeline, shown to the applicant (public) and to staff (all)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=40)
    text = models.CharField(_("说明"), max_length=500)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "regions.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_public = models.BooleanField(_("申请人可见"), default=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("办件记录")
        verbose_name_plural = _("办件记录")
        ordering = ["case_id", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class CaseSerial(models.Model):
    """The last case number handed out per region and day (numbers are gap-free within a day)."""

    region_code = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "day"], name="case_serial_unique")]

    def __str__(self) -> str:
        return f"{self.region_code} {self.day} {self.last}"


class Payment(models.Model):
    """A fee paid online through a payment provider (sandbox in development), refunded on refusal."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("支付渠道"), max_length=40)
    order_number = models.CharField(_("缴款单号"), max_length=40, unique=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    items = models.JSONField(_("收费项目"), default=list)
    status = models.CharField(
        _("状态"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    provider_reference = models.CharField(_("渠道流水号"), max_length=80, blank=True)
    receipt_number = models.CharField(_("电子票据号码"), max_length=40, blank=True)
    receipt_check_code = models.CharField(_("票据校验码"), max_length=20, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refund_reference = models.CharField(max_length=80, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("缴费")
        verbose_name_plural = _("缴费")
        ordering = ["-created_at"]
        constraints = [
            # One order a payer may still pay or has paid per case: no double charge (services.payments).
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["pending", "paid", "refund_pending"]),
                name="payment_one_open_per_case",
            )
        ]

    def __str__(self) -> str:
        return self.order_number


class PaymentNotification(models.Model):
    """A provider's notification, kept once (idempotent by provider and notification id)."""

    provider = models.CharField(max_length=40)
    notification_id = models.CharField(max_length=80)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    body = models.JSONField()
    signature_valid = models.BooleanField(default=False)
    outcome = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "notification_id"], name="payment_notification_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.notification_id}"


class SandboxPaymentKey(PlatformKey):
    """The sandbox payment provider's SM2 key: it signs the sandbox's notifications (development only)."""

    class Meta(PlatformKey.Meta):
        verbose_name = _("沙箱支付签名密钥")
        verbose_name_plural = _("沙箱支付签名密钥")


class SandboxTransaction(models.Model):
    """The sandbox provider's own ledger (its side, not ours): what it would print on its daily statement."""

    kind = models.CharField(max_length=10)  # "pay" or "refund"
    order_number = models.CharField(max_length=40, db_index=True)
    reference = models.CharField(max_length=80, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    succeeded = models.BooleanField(default=True)
    notification_id = models.CharField(max_length=80, blank=True)
    delivered = models.BooleanField(default=False)
    at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("沙箱支付流水")
        verbose_name_plural = _("沙箱支付流水")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order_number"],
                condition=models.Q(kind="refund"),
                name="sandbox_one_refund_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_number}"
