"""What the platform keeps about each departmental system (client) and the sign-ins to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..constants import AssuranceLevel, TokenAuthMethod


class ClientProfile(models.Model):
    """Platform-specific settings of an OIDC client: its department, scopes, level and logout endpoint."""

    application = models.OneToOneField(
        "oauth2_provider.Application",
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("业务系统"),
    )
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    allowed_scopes = models.CharField(
        _("允许的授权范围"),
        max_length=200,
        default="openid profile",
        help_text=_("空格分隔：openid profile phone id_number"),
    )
    min_assurance_level = models.PositiveSmallIntegerField(
        _("最低实名等级"), choices=AssuranceLevel.choices, default=AssuranceLevel.FORMAT_CHECKED
    )
    backchannel_logout_uri = models.URLField(_("后端通道退出地址"), blank=True)
    token_endpoint_auth_method = models.CharField(
        _("令牌端点认证方式"),
        max_length=32,
        choices=TokenAuthMethod.choices,
        default=TokenAuthMethod.CLIENT_SECRET,
        help_text=_("私钥签名断言（private_key_jwt）的系统不能再用客户端密钥换取令牌；须先登记公钥。"),
    )

    class Meta:
        app_label = "identity"
        verbose_name = _("业务系统设置")
        verbose_name_plural = _("业务系统设置")

    def __str__(self) -> str:
        return str(self.application)

    @property
    def scope_set(self) -> set[str]:
        return set(self.allowed_scopes.split())


class ClientSession(models.Model):
    """One sign-in of a user to a client within a platform session (``sid``), until logout ends it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_sessions"
    )
    application = models.ForeignKey(
        "oauth2_provider.Application", on_delete=models.CASCADE, related_name="+", verbose_name=_("业务系统")
    )
    sid = models.CharField(_("会话标识"), max_length=64, db_index=True)
    code_digest = models.CharField(
        _("授权码摘要"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("SHA-256 of the last authorization code, to put this sid in its id_token"),
    )
    created_at = models.DateTimeField(_("登录时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("退出时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("已通知退出"), null=True, blank=True)
    notify_error = models.CharField(_("通知失败原因"), max_length=200, blank=True)

    class Meta:
        app_label = "identity"
        verbose_name = _("单点登录记录")
        verbose_name_plural = _("单点登录记录")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} → {self.application}"


class ClientKey(models.Model):
    """A public key a system signs its token-endpoint assertions with (private_key_jwt, RFC 7523).

    A system may hold several at once (rotation): the assertion's ``kid`` picks one. The algorithm is
    fixed by the key (ES256 or RS256), never taken from a token. Revoked keys stay for the record.
    """

    application = models.ForeignKey(
        "oauth2_provider.Application",
        on_delete=models.CASCADE,
        related_name="client_keys",
        verbose_name=_("业务系统"),
    )
    kid = models.CharField(_("密钥标识（kid）"), max_length=100)
    algorithm = models.CharField(
        _("签名算法"), max_length=10, choices=[("ES256", "ES256"), ("RS256", "RS256")]
    )
    public_jwk = models.JSONField(_("公钥（JWK）"))
    thumbprint = models.CharField(_("公钥指纹（RFC 7638）"), max_length=64)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        app_label = "identity"
        verbose_name = _("业务系统公钥")
        verbose_name_plural = _("业务系统公钥")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["application", "kid"], name="client_key_kid_unique_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.kid}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
