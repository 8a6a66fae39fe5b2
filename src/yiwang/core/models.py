"""Shared model bases and the statutory holiday table behind the working-day calendar."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class Holiday(models.Model):
    """One day that differs from the Monday-to-Friday rule: an off day, or a make-up workday (调休)."""

    date = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=50)
    is_off_day = models.BooleanField(_("是否休息"), help_text=_("勾选为放假；不勾选为调休上班"))
    source = models.CharField(_("来源"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}{'休' if self.is_off_day else '班'}"


class HolidayYear(models.Model):
    """Whether a year's official calendar has been loaded; without one the calendar falls back to weekends."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    papers = models.JSONField(_("依据文件"), default=list, blank=True)

    class Meta:
        verbose_name = _("节假日年度")
        verbose_name_plural = _("节假日年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}"
