"""Accounts: citizens, legal representatives, agents and staff share one user model."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import TimeStampedModel

from .constants import AssuranceLevel, PhoneCodePurpose, PrincipalKind, StaffRole


class User(AbstractUser):
    """A person with an account; real-name facts are copied here only once checked."""

    public_id = models.UUIDField(_("公开标识"), default=uuid.uuid4, unique=True, editable=False)
    id_number = models.CharField(_("公民身份号码"), max_length=18, unique=True, null=True, blank=True)
    surname = models.CharField(_("姓"), max_length=30, blank=True)
    given_name = models.CharField(_("名"), max_length=30, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    phone_verified_at = models.DateTimeField(_("手机验证时间"), null=True, blank=True)
    assurance_level = models.PositiveSmallIntegerField(
        _("实名等级"),
        choices=AssuranceLevel.choices,
        default=AssuranceLevel.REGISTERED,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    assurance_verified_at = models.DateTimeField(_("实名核验时间"), null=True, blank=True)
    is_staff_member = models.BooleanField(_("政府工作人员"), default=False)
    privacy_notice_version = models.CharField(_("已同意的隐私政策版本"), max_length=20, blank=True)
    privacy_accepted_at = models.DateTimeField(_("同意隐私政策时间"), null=True, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assurance_level__gte=1, assurance_level__lte=5),
                name="user_assurance_level_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        """Chinese order: surname then given name, no space."""
        return f"{self.surname}{self.given_name}"


class StaffAssignment(TimeStampedModel):
    """A staff member's role in one department, scoped to a region (the department's by default)."""

    user = models.ForeignKey(
        User, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="staff_assignments"
    )
    department = models.ForeignKey(
        "regions.Department",
        verbose_name=_("部门"),
        on_delete=models.PROTECT,
        related_name="staff_assignments",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("管辖区划"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=30, choices=StaffRole.choices)

    class Meta:
        verbose_name = _("工作人员角色")
        verbose_name_plural = _("工作人员角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"], name="staff_role_once_per_department"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.department} {self.get_role_display()}"


class Enterprise(TimeStampedModel):
    """A legal person bound to the platform by its legal representative, checked against the register."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    representative = models.ForeignKey(
        User, verbose_name=_("法定代表人"), on_delete=models.PROTECT, related_name="represented_enterprises"
    )

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mandate(TimeStampedModel):
    """An authorization (委托) for an agent to act for an enterprise or a person, within a scope and dates."""

    principal_kind = models.CharField(_("委托方类型"), max_length=20, choices=PrincipalKind.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("委托企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    granted_by = models.ForeignKey(
        User, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="mandates_given"
    )
    agent = models.ForeignKey(
        User, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="mandates_received"
    )
    covers_all_items = models.BooleanField(_("全部事项"), default=False)
    items = models.ManyToManyField(
        "catalog.ServiceItem", verbose_name=_("授权事项"), blank=True, related_name="+"
    )
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("授权委托")
        verbose_name_plural = _("授权委托")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="mandate_dates_in_order"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(principal_kind="enterprise", enterprise__isnull=False)
                    | models.Q(principal_kind="person", enterprise__isnull=True)
                ),
                name="mandate_principal_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal_label} → {self.agent}"

    @property
    def principal_label(self) -> str:
        return self.enterprise.name if self.enterprise_id else str(self.granted_by)


class PhoneCode(models.Model):
    """A one-time code sent to a phone; only its hash is kept."""

    phone = models.CharField(_("手机号码"), max_length=20, db_index=True)
    purpose = models.CharField(_("用途"), max_length=20, choices=PhoneCodePurpose.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)

    class Meta:
        verbose_name = _("手机验证码")
        verbose_name_plural = _("手机验证码")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone} {self.get_purpose_display()}"


class FavouriteService(models.Model):
    """A service guide (an item as implemented in a region) a person keeps in 我的空间 (收藏)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="favourite_services")
    implementation = models.ForeignKey(
        "catalog.Implementation", verbose_name=_("办事指南"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("收藏时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收藏的服务")
        verbose_name_plural = _("收藏的服务")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "implementation"], name="favourite_once_per_guide")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.implementation_id}"


from .oidc.models import ClientKey, ClientProfile, ClientSession  # noqa: E402  (models of the OIDC sub-package)
from .terminal_login.models import TerminalLoginChallenge  # noqa: E402  (the terminal's QR logins)

__all__ = [
    "ClientKey",
    "ClientProfile",
    "ClientSession",
    "Enterprise",
    "FavouriteService",
    "Mandate",
    "PhoneCode",
    "StaffAssignment",
    "TerminalLoginChallenge",
    "User",
]
