"""The words of the one audit log: kinds of entry, outcomes, channels and the grounds of a read."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The channel is a fact of the call (core knows it); the log records it, so its words are the log's too.
from yiwang.core.call_context import Channel as Channel


class EntryKind(models.TextChoices):
    WRITE = "write", _("变更")
    READ = "read", _("读取")


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("允许")
    REFUSED = "refused", _("拒绝")


class GroundKind(models.TextChoices):
    """Why a read was lawful: the item being handled, the case, the holder's consent, or a legal basis."""

    NONE = "", _("无")
    ITEM = "item", _("办理事项")
    CASE = "case", _("办件")
    CONSENT = "consent", _("用证授权")
    MANDATE = "mandate", _("委托")
    SELF = "self", _("本人查询")
    LEGAL_BASIS = "legal_basis", _("法定依据")
    GRANT = "grant", _("共享授权")  # an exchange grant (a change notice pushed under it)
    OBJECTION = "objection", _("数据异议")  # a citizen's accepted objection (a register correction)
    DOCUMENT = "document", _("证明文书")  # e.g. a death certificate behind a register change


class SubjectKind(models.TextChoices):
    NONE = "", _("无")
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    INVESTIGATING = "investigating", _("核查中")
    CONFIRMED = "confirmed", _("确认违规")
    DISMISSED = "dismissed", _("未发现问题")


class AlertReason(models.TextChoices):
    NO_GROUND = "no_ground", _("无办件或授权的读取")
    OUTSIDE_REGION = "outside_region", _("工作人员跨辖区读取")


# Grounds that make a staff read of personal data expected; a read without one raises an alert.
EXPECTED_GROUNDS = frozenset({GroundKind.CASE, GroundKind.CONSENT, GroundKind.SELF, GroundKind.MANDATE})
