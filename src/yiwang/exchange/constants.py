"""Words of the data-sharing exchange (GB/T 21063 resource catalog, requests, grants, masking)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

EXCHANGE_SCOPE = "exchange"  # the OAuth scope a consuming system's client-credentials token carries
MANAGE_PERMISSION = "exchange.manage"  # a department's data administrator requests and decides
SENSITIVE_PERMISSION = "exchange.approve_sensitive"  # the second approval of grade-4 items
DECISION_WORKING_DAYS = 5
AGGREGATION_LIMIT = 3  # more grade-3 items of one person than this at once counts as grade 4


class SharingType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NOT_SHARED = "not_shared", _("不予共享")


class OpenType(models.TextChoices):
    OPEN = "open", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NOT_OPEN = "not_open", _("不予开放")


class UpdateCycle(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class DataType(models.TextChoices):
    STRING = "C", _("字符型")
    NUMBER = "N", _("数值型")
    DATE = "D", _("日期型")
    BOOLEAN = "B", _("布尔型")


class Grade(models.IntegerChoices):
    """Sensitivity grade of a data item (分级): what it takes to receive it and how it is masked."""

    PUBLIC = 1, _("公开")
    INTERNAL = 2, _("内部")
    SENSITIVE = 3, _("敏感")
    CORE = 4, _("重要核心")


class Mask(models.TextChoices):
    """How a granted item is returned: as it is, partly starred, or not at all."""

    FULL = "full", _("完整")
    PARTIAL = "partial", _("部分脱敏")
    WITHHELD = "withheld", _("不提供")


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待提供部门审核")
    AWAITING_SECOND_APPROVAL = "second_approval", _("待平台安全审批")
    GRANTED = "granted", _("已授权")
    REFUSED = "refused", _("已拒绝")


# The order masks narrow in: a decision may only narrow what a request asked for.
MASK_ORDER: dict[str, int] = {Mask.FULL: 2, Mask.PARTIAL: 1, Mask.WITHHELD: 0}
