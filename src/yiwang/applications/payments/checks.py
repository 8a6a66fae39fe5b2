"""Start-up check: say so when fees go to the sandbox on a system that is not a development one."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

from .base import payment_providers


@register()
def check_sandbox_payments(app_configs=None, **kwargs):
    """The sandbox takes no money: with DEBUG off it is a demo system, or a configuration mistake."""
    if settings.DEBUG or payment_providers.configured_id() not in payment_providers.ids():
        return []  # an unknown id is yiwang.E001's
    if not payment_providers.configured().is_sandbox:
        return []
    return [
        CheckWarning(
            "缴费使用沙箱支付渠道：不收取真实费用，票据无效。正式环境请设置 YIWANG_PAYMENT_PROVIDER。",
            hint="APPLICATIONS_PAYMENT_PROVIDER names a sandbox provider while DEBUG is off",
            id="yiwang.W002",
        )
    ]
