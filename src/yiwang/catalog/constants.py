"""Codes of the national item catalog standards (see docs/CONTEXT.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.workdays import DayUnit

__all__ = ["DayUnit"]  # every time limit of a guide carries one (ADR 0008)


class ItemType(models.IntegerChoices):
    """National item-type codes (事项类型)."""

    LICENSING = 1, _("行政许可")
    PENALTY = 2, _("行政处罚")
    COERCION = 3, _("行政强制")
    LEVY = 4, _("行政征收")
    BENEFIT = 5, _("行政给付")
    INSPECTION = 6, _("行政检查")
    CONFIRMATION = 7, _("行政确认")
    REWARD = 8, _("行政奖励")
    ADJUDICATION = 9, _("行政裁决")
    OTHER_POWER = 10, _("其他行政权力")
    PUBLIC_SERVICE = 20, _("公共服务")


class ItemKind(models.TextChoices):
    """Position in the hierarchy: basic item (主项) → sub-item (子项) → handling item (业务办理项)."""

    BASIC = "basic", _("基本目录（主项）")
    SUB = "sub", _("子项")
    HANDLING = "handling", _("业务办理项")


class HandlingType(models.TextChoices):
    NONE = "", _("—")
    NEW = "new", _("新设")
    CHANGE = "change", _("变更")
    RENEWAL = "renewal", _("延续")
    CANCELLATION = "cancellation", _("注销")
    OTHER = "other", _("其他")


class ExerciseLevel(models.IntegerChoices):
    NATIONAL = 0, _("国家级")
    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级")
    TOWN = 4, _("乡级（镇、街道）")
    VILLAGE = 5, _("村级（社区）")


class Audience(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人")


class OnlineDepth(models.IntegerChoices):
    """Online-processing depth (网上办理深度)."""

    INFORMATION = 1, _("一级：信息公开与办事指南")
    DOWNLOAD = 2, _("二级：表格下载")
    ONLINE_SUBMISSION = 3, _("三级：网上预审、在线提交")
    FULLY_ONLINE = 4, _("四级：全程网办")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")


class MaterialMedium(models.TextChoices):
    PAPER = "paper", _("纸质")
    ELECTRONIC = "electronic", _("电子")
    BOTH = "both", _("纸质或电子")


class MaterialRequirement(models.TextChoices):
    REQUIRED = "required", _("必要")
    BY_SITUATION = "by_situation", _("根据情形需要")
    OPTIONAL = "optional", _("非必要（容缺）")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    INTERMEDIARY = "intermediary", _("中介机构出具")
    OTHER = "other", _("其他")


class TopicKind(models.TextChoices):
    THEME = "theme", _("主题")
    LIFE_EVENT = "life_event", _("人生事件 / 企业生命周期")


# Guide elements an implementation must have to be complete (办事指南要素), with their weights.
GUIDE_ELEMENTS: dict[str, str] = {
    "legal_basis": "设定依据与实施依据",
    "conditions": "受理条件",
    "materials": "申请材料",
    "process": "办理流程",
    "time_limits": "法定与承诺办结时限",
    "consistency": "时限与材料前后一致（指南自洽检查无错误）",
    "fees": "收费标准及依据",
    "place": "办理地点",
    "hours": "办理时间",
    "phone": "咨询电话",
    "online_depth": "网上办理深度",
    "visits": "到现场次数",
    "complaint": "监督投诉渠道",
    "faq": "常见问题",
    "result": "审批结果",
}
