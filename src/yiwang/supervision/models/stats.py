"""The dashboards' figures, aggregated per day so they answer in milliseconds at a million cases, and the
regions' time-decayed demand that orders the portal's hot services."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseFigures(models.Model):
    """The figures a day's or a month's row counts (the dashboards add them up over a period)."""

    submitted = models.PositiveIntegerField(_("申报"), default=0)
    submitted_online = models.PositiveIntegerField(_("网上申报"), default=0)
    accepted = models.PositiveIntegerField(_("受理"), default=0)
    closed = models.PositiveIntegerField(_("办结"), default=0)
    closed_on_time = models.PositiveIntegerField(_("按时办结"), default=0)
    closed_fully_online = models.PositiveIntegerField(_("全程网办"), default=0)
    closed_at_most_one_visit = models.PositiveIntegerField(_("最多跑一次"), default=0)
    duration_days_sum = models.FloatField(_("办理用时合计（工作日）"), default=0)
    evaluations = models.PositiveIntegerField(_("评价"), default=0)
    evaluations_good = models.PositiveIntegerField(_("好评"), default=0)
    evaluations_bad = models.PositiveIntegerField(_("差评"), default=0)
    yellow_cards = models.PositiveIntegerField(_("黄牌"), default=0)
    red_cards = models.PositiveIntegerField(_("红牌"), default=0)
    complaints = models.PositiveIntegerField(_("投诉"), default=0)
    exchange_calls = models.PositiveIntegerField(_("数据共享调用"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# The counters' names, in order: what a refresh computes and a period sums.
FIGURE_FIELDS: tuple[str, ...] = tuple(
    field.name for field in CaseFigures._meta.local_fields if field.name != "updated_at"
)


class DailyCaseStat(CaseFigures):
    """One day's figures of one department for one implementation (recomputed for the day, never summed)."""

    day = models.DateField(_("日期"))
    department = models.ForeignKey("regions.Department", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    implementation = models.ForeignKey(
        "catalog.Implementation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    item_code = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("每日办件统计")
        verbose_name_plural = _("每日办件统计")
        constraints = [
            models.UniqueConstraint(fields=["day", "department", "implementation"], name="daily_stat_unique"),
        ]
        indexes = [
            models.Index(fields=["region", "day"], name="daily_stat_region_idx"),
            models.Index(fields=["department", "day"], name="daily_stat_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.department_id}"


class MonthlyCaseStat(CaseFigures):
    """A finished month's figures of one department in one region: the sum of its DailyCaseStat rows over
    the implementations (services.stats rolls a month up whenever its days are refreshed once the month is
    over). A region's or a scope's long view reads these months plus the days at its edges: about a row
    per department and region a month instead of one per department, implementation and day. A
    department's own view (by implementation) keeps reading the days through its index."""

    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    department = models.ForeignKey("regions.Department", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("每月办件统计")
        verbose_name_plural = _("每月办件统计")
        constraints = [
            models.UniqueConstraint(fields=["month", "department", "region"], name="monthly_stat_unique"),
        ]
        indexes = [
            models.Index(fields=["region", "month"], name="monthly_stat_region_idx"),
            models.Index(fields=["department", "month"], name="monthly_stat_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.department_id}"


class DemandScore(models.Model):
    """Time-decayed demand for an item in a region: ``log_score`` = ln(score) + λ·t, so ordering by it is
    ordering by the decayed score at any moment, and adding a view is one update (services.demand)."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="+")
    log_score = models.FloatField(default=0)
    views = models.PositiveIntegerField(default=0)
    applications = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("区域热度")
        verbose_name_plural = _("区域热度")
        constraints = [models.UniqueConstraint(fields=["region", "item"], name="demand_score_unique")]
        indexes = [models.Index(fields=["region", "-log_score"], name="demand_region_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.item_id}"
