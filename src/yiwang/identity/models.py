"""Accounts: citizens, legal representatives, agents and staff share one user model."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .constants import AssuranceLevel


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
