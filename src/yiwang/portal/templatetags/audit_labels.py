"""Chinese names for the audit log's codes (actions, staff roles, refusal reasons) on the auditor's pages.

The log stores stable codes; people read labels. The labels come from the apps that own the actions, which
the web layer may import (the audit app itself sits below them).
"""

from __future__ import annotations

from functools import cache

from django import template
from django.utils.translation import gettext as _

from yiwang.audit.constants import AlertReason
from yiwang.identity.constants import AuditAction as IdentityAction
from yiwang.identity.constants import StaffRole
from yiwang.licenses.constants import AuditAction as LicenseAction
from yiwang.registers.constants import RegisterCode

register = template.Library()

_OTHER_ACTIONS = {
    "audit.log_exported": "导出审计日志",
    "audit.suspicion_reported": "举报可疑读取",
    "audit.suspicion_handled": "处理可疑读取举报",
}
_REASONS = {"not_permitted": "无权读取", "not_found": "无此记录", "no_consent": "未获用证授权"}


@cache
def _actions() -> dict[str, str]:
    labels = {choice.value: choice.label for choice in (*IdentityAction, *LicenseAction)}
    for code in RegisterCode:
        noun = "person" if code == RegisterCode.POPULATION else code.value
        labels[f"registers.{noun}_read"] = f"{code.label}：读取"
    return labels


@register.filter
def action_label(code: str) -> str:
    """``registers.person_read`` → 人口库：读取; a catalog edit names its model; unknown codes stay codes."""
    if code in _OTHER_ACTIONS:
        return _(_OTHER_ACTIONS[code])
    if code.startswith("catalog.") and code.endswith(("_changed", "_deleted")):
        return _("事项目录：修改") if code.endswith("_changed") else _("事项目录：删除")
    return str(_actions().get(code, code))


@register.filter
def role_label(code: str) -> str:
    return str(StaffRole(code).label) if code in StaffRole.values else code


@register.filter
def reason_label(code: str) -> str:
    if code in AlertReason.values:
        return str(AlertReason(code).label)
    return _(_REASONS[code]) if code in _REASONS else code
