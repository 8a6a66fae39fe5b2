"""The enumerations of applications and case handling."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FormStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class ProcessStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("启用")
    RETIRED = "retired", _("停用")


class CaseStatus(models.TextChoices):
    """Where a case stands (GB/T 39047-style 办件状态)."""

    SUBMITTED = "submitted", _("已提交，待受理")
    SUPPLEMENT = "supplement", _("待补正")
    ACCEPTED = "accepted", _("已受理，办理中")
    SUSPENDED = "suspended", _("特别程序中")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    APPROVED = "approved", _("准予许可，已办结")
    REFUSED = "refused", _("不予许可，已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATUSES = frozenset(
    {CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED}
)
CLOSED_STATUSES = frozenset(
    {CaseStatus.NOT_ACCEPTED, CaseStatus.APPROVED, CaseStatus.REFUSED, CaseStatus.WITHDRAWN}
)


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申报")
    WINDOW = "window", _("窗口受理")
    API = "api", _("接口申报")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("个人")
    ENTERPRISE = "enterprise", _("企业")


class MaterialSource(models.TextChoices):
    """How a required material was satisfied, from most to least trusted."""

    LICENSE = "license", _("电子证照（免提交）")
    VAULT = "vault", _("材料库（此前已提交或签发）")
    UPLOAD = "upload", _("在线上传")
    PAPER_SCAN = "paper_scan", _("窗口扫描纸质材料")
    SHARED_DATA = "shared_data", _("部门共享数据（免提交）")


class TrustLevel(models.IntegerChoices):
    SIGNED = 3, _("签名核验（电子证照）")
    VERIFIED = 2, _("共享数据核验")
    DECLARED = 1, _("申请人提交")


class TaskState(models.TextChoices):
    READY = "ready", _("待办")
    COMPLETED = "completed", _("已办")
    CANCELLED = "cancelled", _("已取消")


class ClockStopKind(models.TextChoices):
    """Why the clock stops (特别程序 and 补正), or an extension (延长) that adds days to the limit."""

    SUPPLEMENT = "supplement", _("补正材料")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    HEARING = "hearing", _("听证")
    PUBLIC_NOTICE = "public_notice", _("公示")
    INSPECTION = "inspection", _("现场勘验")
    EXTENSION = "extension", _("延长办理时限")


class Decision(models.TextChoices):
    APPROVE = "approve", _("准予")
    REFUSE = "refuse", _("不予")


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待缴费")
    PAID = "paid", _("已缴费")
    REFUND_PENDING = "refund_pending", _("退费中")
    REFUNDED = "refunded", _("已退费")
    FAILED = "failed", _("缴费失败")
    CANCELLED = "cancelled", _("已取消")


# Event topics written to the outbox (notifications.enqueue_event) in the same transaction as the change.
CASE_SUBMITTED = "case.submitted"
CASE_ACCEPTED = "case.accepted"
CASE_NOT_ACCEPTED = "case.not_accepted"
CASE_SUPPLEMENT_REQUESTED = "case.supplement_requested"
CASE_RESUBMITTED = "case.resubmitted"
CASE_SUSPENDED = "case.suspended"
CASE_RESUMED = "case.resumed"
CASE_DECIDED = "case.decided"
CASE_WITHDRAWN = "case.withdrawn"
CASE_FLAGGED = "case.flagged"
CASE_PAID = "case.paid"
CASE_REFUNDED = "case.refunded"
CASE_EXTENDED = "case.extended"
CASE_CLOSED = "case.closed"
CASE_TASK_CLAIMED = "case.task_claimed"
CASE_TASK_HANDED_OVER = "case.task_handed_over"
CASE_TASK_COMPLETED = "case.task_completed"
CASE_RESULT_ISSUED = "case.result_issued"
CASE_REFUSAL_NOTIFIED = "case.refusal_notified"
CASE_RESULT_DELIVERED = "case.result_delivered"
CASE_ESCALATED = "case.escalated"
CASE_TOPICS = (
    CASE_SUBMITTED,
    CASE_ACCEPTED,
    CASE_NOT_ACCEPTED,
    CASE_SUPPLEMENT_REQUESTED,
    CASE_RESUBMITTED,
    CASE_SUSPENDED,
    CASE_RESUMED,
    CASE_DECIDED,
    CASE_WITHDRAWN,
    CASE_FLAGGED,
    CASE_PAID,
    CASE_REFUNDED,
    CASE_EXTENDED,
    CASE_CLOSED,
    CASE_TASK_CLAIMED,
    CASE_TASK_HANDED_OVER,
    CASE_TASK_COMPLETED,
    CASE_RESULT_ISSUED,
    CASE_REFUSAL_NOTIFIED,
    CASE_RESULT_DELIVERED,
    CASE_ESCALATED,
)


class AuditAction(models.TextChoices):
    """Past-tense names of the case actions in the one audit log."""

    CASE_SUBMITTED = "applications.case_submitted", _("提交申请")
    CASE_ACCEPTED = "applications.case_accepted", _("受理")
    CASE_NOT_ACCEPTED = "applications.case_not_accepted", _("不予受理")
    SUPPLEMENT_REQUESTED = "applications.supplement_requested", _("一次性告知补正")
    CASE_RESUBMITTED = "applications.case_resubmitted", _("补正后重新提交")
    CASE_SUSPENDED = "applications.case_suspended", _("启动特别程序")
    CASE_RESUMED = "applications.case_resumed", _("特别程序结束")
    CASE_EXTENDED = "applications.case_extended", _("延长办理时限")
    CASE_WITHDRAWN = "applications.case_withdrawn", _("撤回申请")
    TASK_CLAIMED = "applications.task_claimed", _("签收环节")
    TASK_HANDED_OVER = "applications.task_handed_over", _("转交环节")
    TASK_COMPLETED = "applications.task_completed", _("办理环节")
    CASE_DECIDED = "applications.case_decided", _("作出决定")
    CASE_CLOSED = "applications.case_closed", _("办结")
    CASE_FLAGGED = "applications.case_flagged", _("办件提示")
    RESULT_ISSUED = "applications.result_issued", _("签发办理结果")
    REFUSAL_NOTIFIED = "applications.refusal_notified", _("出具不予决定书")
    RESULT_DELIVERED = "applications.result_delivered", _("送达办理结果")
    CASE_ESCALATED = "applications.case_escalated", _("超期督办")
    BUNDLE_FANNED_OUT = "applications.bundle_fanned_out", _("一件事分送各部门")
    QUERY_CODE_RESET = "applications.query_code_reset", _("重置查询码")
    CASE_READ = "applications.case_read", _("查看办件")
    PAYMENT_CREATED = "applications.payment_created", _("生成缴款单")
    PAYMENT_NOTIFIED = "applications.payment_notified", _("收到支付通知")
    PAYMENT_CANCELLED = "applications.payment_cancelled", _("取消缴款单")
    REFUND_REQUESTED = "applications.refund_requested", _("申请退费")
    PAYMENT_REFUNDED = "applications.payment_refunded", _("已退费")
    PAYMENTS_RECONCILED = "applications.payments_reconciled", _("支付对账")
    SANDBOX_PAYMENT_SETTLED = "applications.sandbox_payment_settled", _("沙箱支付模拟付款")
    PROCESS_IMPORTED = "applications.process_imported", _("导入审批流程")
    PROCESS_IMPORT_REFUSED = "applications.process_import_refused", _("审批流程导入被拒绝")
    PROCESS_ACTIVATED = "applications.process_activated", _("启用流程版本")
    PROCESS_BOUND = "applications.process_bound", _("设置流程适用的实施清单")
    CASE_MIGRATED = "applications.case_migrated", _("办件迁移到新版本流程")
    CASE_MIGRATION_REFUSED = "applications.case_migration_refused", _("办件不能迁移到新版本流程")
    TIMERS_FIRED = "applications.timers_fired", _("流程定时器到期")


# Rights stated on every refusal (行政复议法 第二十条: 60 days; 行政诉讼法 第四十六条: 6 months).
RECONSIDERATION_DAYS = 60
LITIGATION_MONTHS = 6
