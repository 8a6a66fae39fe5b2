"""Start-up check: say so when fees go to the sandbox on a production deployment."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

from .base import payment_providers


@register()
def check_sandbox_payments(app_configs=None, **kwargs):
    """The sandbox takes no money: under the production settings it is a configuration mistake."""
    if (
        not getattr(settings, "IS_PRODUCTION", False)
        or payment_providers.configured_id() not in payment_providers.ids()
    ):
        return []  # an unknown id is yiwang.E001's
    if not payment_providers.configured().is_sandbox:
        return []
    return [
        CheckWarning(
            "缴费使用沙箱支付渠道：不收取真实费用，票据无效。正式环境请设置 YIWANG_PAYMENT_PROVIDER。",
            hint="APPLICATIONS_PAYMENT_PROVIDER names a sandbox provider under the production settings",
            id="yiwang.W002",
        )
    ]
