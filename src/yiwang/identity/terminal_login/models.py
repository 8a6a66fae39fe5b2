"""A QR login shown on a terminal and approved from a logged-in phone."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Defines the card-reader registry while identity's models load, so the start-up check (yiwang.E001)
# sees a misconfigured IDENTITY_TERMINAL_CARD_READER.
from . import base as _card_readers  # noqa: F401


class TerminalLoginChallenge(models.Model):
    """One QR: only the digest of its token is kept; it is approved once and consumed once."""

    token_digest = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    terminal_id = models.CharField(_("终端编号"), max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"), db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    consumed_at = models.DateTimeField(_("登录时间"), null=True, blank=True)

    class Meta:
        app_label = "identity"
        verbose_name = _("自助终端扫码登录")
        verbose_name_plural = _("自助终端扫码登录")

    def __str__(self) -> str:
        return f"{self.terminal_id} #{self.pk}"
