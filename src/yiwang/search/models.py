"""What the search app keeps in the database: the queries that found nothing."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SearchMiss(models.Model):
    """A normalized query that returned no result, counted per region (零结果搜索)."""

    query = models.CharField(_("搜索词"), max_length=200)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, default="")
    count = models.PositiveIntegerField(_("次数"), default=0)
    first_seen = models.DateTimeField(_("首次出现"), default=timezone.now)
    last_seen = models.DateTimeField(_("最近出现"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("零结果搜索")
        verbose_name_plural = _("零结果搜索")
        ordering = ["-count", "-last_seen"]
        constraints = [models.UniqueConstraint(fields=["query", "region_code"], name="search_miss_unique")]
        indexes = [models.Index(fields=["-count"], name="search_miss_count")]

    def __str__(self) -> str:
        return self.query
