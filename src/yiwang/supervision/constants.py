"""The enumerations of supervision: cards, 好差评 levels and channels, rectification, complaints."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Defaults of the card rule (CardRule rows override them per department): yellow when at most this many
# working days, or at most this share of the limit, are left; red when overdue.
DEFAULT_YELLOW_DAYS_LEFT = 2
DEFAULT_YELLOW_PERCENT_LEFT = 20
# A bad review is rectified within this many working days (国办发〔2019〕51号).
RECTIFICATION_WORKING_DAYS = 15
# A complaint is answered within this many working days unless its kind says otherwise.
COMPLAINT_ANSWER_WORKING_DAYS = {"complaint": 5, "consultation": 3, "suggestion": 10}


class CardColor(models.TextChoices):
    YELLOW = "yellow", _("黄牌")
    RED = "red", _("红牌")


class CardKind(models.TextChoices):
    """Why a card was raised (one card of each kind per case, or per stage for a stage overrun)."""

    NEARLY_DUE = "nearly_due", _("临近承诺时限")
    STAGE_OVERRUN = "stage_overrun", _("环节超时")
    OVERDUE = "overdue", _("超过承诺时限")


class RecipientRole(models.TextChoices):
    HANDLER = "handler", _("经办人")
    HEAD = "head", _("部门负责人")
    SUPERVISOR = "supervisor", _("效能监察人员")


class AnomalyKind(models.TextChoices):
    ONLINE_NEVER_APPLIED = "online_never_applied", _("可网办事项无网上申报")
    LATE_ACCEPTANCE = "late_acceptance", _("受理严重滞后")
    REPEATED_REFUSAL = "repeated_refusal", _("同一申请人多次被拒")


class EvaluationLevel(models.IntegerChoices):
    """政务服务"好差评" (国办发〔2019〕51号): five levels."""

    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASICALLY_SATISFIED = 3, _("基本满意")
    DISSATISFIED = 2, _("不满意")
    VERY_DISSATISFIED = 1, _("非常不满意")


BAD_LEVELS = frozenset({EvaluationLevel.DISSATISFIED, EvaluationLevel.VERY_DISSATISFIED})
GOOD_LEVELS = frozenset({EvaluationLevel.VERY_SATISFIED, EvaluationLevel.SATISFIED})


class EvaluationChannel(models.TextChoices):
    WEB = "web", _("网上评价")
    PHONE = "phone", _("电话评价")
    WINDOW_DEVICE = "window_device", _("窗口评价器")
    SMS = "sms", _("短信评价")


class EvaluationStage(models.TextChoices):
    """What is rated: the whole online service (一事一评) or one visit at the window (一次一评)."""

    SERVICE = "service", _("办件服务")
    WINDOW_VISIT = "window_visit", _("窗口服务")


# The indicators of an online service (国办发〔2019〕51号): each rated 1–5 besides the overall level.
EVALUATION_INDICATORS = {
    "efficiency": _("办事效率"),
    "guide_accuracy": _("指南准确性"),
    "convenience": _("办事便捷度"),
    "ease_of_use": _("系统易用性"),
}


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFIED = "rectified", _("已整改，待回访")
    CLOSED = "closed", _("已回访，已办结")
    APPEALED = "appealed", _("申诉中")
    WITHDRAWN = "withdrawn", _("申诉成立，评价不计入")


class RevisitResult(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically_satisfied", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    UNREACHABLE = "unreachable", _("未能联系")


class AppealDecision(models.TextChoices):
    UPHELD = "upheld", _("申诉成立")
    REJECTED = "rejected", _("申诉不成立")


class FeedbackKind(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    CONSULTATION = "consultation", _("咨询")
    SUGGESTION = "suggestion", _("建议")


class FeedbackSubject(models.TextChoices):
    ITEM = "item", _("事项")
    CASE = "case", _("办件")
    DEPARTMENT = "department", _("部门")


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    ANSWERED = "answered", _("已答复")
    REOPENED = "reopened", _("重新办理")
    CLOSED = "closed", _("已办结")


class FeedbackEventKind(models.TextChoices):
    FILED = "filed", _("提交")
    ROUTED = "routed", _("分派")
    TRANSFERRED = "transferred", _("转办")
    ANSWERED = "answered", _("答复")
    REOPENED = "reopened", _("未解决，重新办理")
    REMINDED = "reminded", _("催办")
    CLOSED = "closed", _("办结")
    PUBLISHED = "published", _("公开")
    OFFERED_TO_FAQ = "offered_to_faq", _("推荐为常见问题")


class FaqOfferStatus(models.TextChoices):
    PENDING = "pending", _("待采纳")
    ACCEPTED = "accepted", _("已采纳")
    DECLINED = "declined", _("未采纳")


class AuditAction(models.TextChoices):
    """Past-tense names of every state change the supervision services make."""

    CARD_RAISED = "supervision.card_raised", _("发出黄红牌")
    CARD_ACKNOWLEDGED = "supervision.card_acknowledged", _("签收黄红牌")
    CARD_RULE_CHANGED = "supervision.card_rule_changed", _("修改预警规则")
    ANOMALY_FOUND = "supervision.anomaly_found", _("发现异常")
    EVALUATED = "supervision.evaluated", _("评价")
    EVALUATION_ADDED = "supervision.evaluation_added", _("追加评价")
    EVALUATION_REFUSED = "supervision.evaluation_refused", _("评价被拒绝")
    RECTIFICATION_OPENED = "supervision.rectification_opened", _("生成整改工单")
    RECTIFIED = "supervision.rectified", _("提交整改")
    REVISITED = "supervision.revisited", _("回访")
    APPEALED = "supervision.appealed", _("申诉差评")
    APPEAL_DECIDED = "supervision.appeal_decided", _("裁定申诉")
    FEEDBACK_FILED = "supervision.feedback_filed", _("提交投诉咨询建议")
    FEEDBACK_TRANSFERRED = "supervision.feedback_transferred", _("转办投诉咨询建议")
    FEEDBACK_ANSWERED = "supervision.feedback_answered", _("答复投诉咨询建议")
    FEEDBACK_REOPENED = "supervision.feedback_reopened", _("重新办理投诉咨询建议")
    FEEDBACK_REMINDED = "supervision.feedback_reminded", _("催办投诉咨询建议")
    FEEDBACK_CLOSED = "supervision.feedback_closed", _("办结投诉咨询建议")
    FEEDBACK_PUBLISHED = "supervision.feedback_published", _("公开咨询答复")
    FAQ_OFFERED = "supervision.faq_offered", _("推荐常见问题")
    STATS_EXPORTED = "supervision.stats_exported", _("导出统计")
