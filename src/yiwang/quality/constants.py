"""Words of data quality (rules, findings returned to the source, scores) and citizens' objections."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.exchange.constants import MANAGE_PERMISSION

# The provider department's data administrators handle findings and objections (no new permission).
HANDLE_PERMISSION = MANAGE_PERMISSION
OBJECTIONS_SCOPE = "objections"  # the OAuth scope of a citizen's token for /api/v1/me/objections
FINDING_WORKING_DAYS = 10  # default time to fix a finding at the source, per rule configurable
OBJECTION_WORKING_DAYS = 5
EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
# Evidence file types, judged by the file's first bytes (never by its name or the browser's word).
EVIDENCE_SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
TEXT_MAX_LENGTH = 2000
VALUE_MAX_LENGTH = 200


class RuleKind(models.TextChoices):
    CHECK_DIGIT = "check_digit", _("校验位")
    REQUIRED = "required", _("必填项")
    DATE_CONSISTENCY = "date_consistency", _("日期一致性")
    CROSS_REGISTER = "cross_register", _("跨库冲突")
    DUPLICATE = "duplicate", _("重复记录")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    FIXED = "fixed", _("已整改")
    FALSE_POSITIVE = "false_positive", _("误报")


class ObjectionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待处理")
    ACCEPTED = "accepted", _("已更正")
    REJECTED = "rejected", _("不予更正")
