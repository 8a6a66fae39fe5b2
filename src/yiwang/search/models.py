"""What the search app keeps: the queries that found nothing, and the words curators learned from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.catalog.models import Implementation

from .constants import IndexChangeKind, MissKind, Resolution


class SearchMiss(models.Model):
    """A normalized query that returned no result, counted per region (零结果搜索).

    A never-clicked query (``kind`` NO_CLICK) gets a row only when a curator acts on it, so that its
    resolution is kept; what lists it is ``SearchQueryDay``.
    """

    query = models.CharField(_("搜索词"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=MissKind.choices, default=MissKind.NO_RESULT)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, default="")
    count = models.PositiveIntegerField(_("次数"), default=0)
    first_seen = models.DateTimeField(_("首次出现"), default=timezone.now)
    last_seen = models.DateTimeField(_("最近出现"), default=timezone.now, db_index=True)
    resolution = models.CharField(
        _("处理结果"), max_length=16, choices=Resolution.choices, blank=True, default=""
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("零结果搜索")
        verbose_name_plural = _("零结果搜索")
        ordering = ["-count", "-last_seen"]
        constraints = [
            models.UniqueConstraint(fields=["query", "region_code", "kind"], name="search_miss_unique")
        ]
        indexes = [models.Index(fields=["-count"], name="search_miss_count")]

    def __str__(self) -> str:
        return self.query


class SearchQueryDay(models.Model):
    """How often a normalized query showed results, and how often one was followed, per region and day.

    No person is recorded: the query text (as for misses), the region searched from, and two counts.
    """

    query = models.CharField(_("搜索词"), max_length=200)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, default="")
    day = models.DateField(_("日期"))
    searches = models.PositiveIntegerField(_("有结果的搜索次数"), default=0)
    clicks = models.PositiveIntegerField(_("点击结果次数"), default=0)

    class Meta:
        verbose_name = _("搜索词每日统计")
        verbose_name_plural = _("搜索词每日统计")
        ordering = ["-day", "-searches"]
        constraints = [
            models.UniqueConstraint(fields=["query", "region_code", "day"], name="search_query_day_unique")
        ]
        indexes = [models.Index(fields=["day"], name="search_query_day_day")]

    def __str__(self) -> str:
        return f"{self.query} {self.day}"


class LearnedSynonym(models.Model):
    """An everyday phrase a search curator mapped to the catalog's words (beside data/synonyms.tsv)."""

    phrase = models.CharField(_("群众说法"), max_length=200, unique=True)
    official = models.CharField(_("规范说法"), max_length=60)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        verbose_name = _("搜索同义词")
        verbose_name_plural = _("搜索同义词")
        ordering = ["phrase"]

    def __str__(self) -> str:
        return f"{self.phrase} → {self.official}"


class LearnedKeyword(models.Model):
    """A word people search with, added to one implementation's search document by a search curator."""

    implementation = models.ForeignKey(
        Implementation, verbose_name=_("实施清单"), on_delete=models.CASCADE, related_name="+"
    )
    keyword = models.CharField(_("检索关键词"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    added_at = models.DateTimeField(_("添加时间"), default=timezone.now)

    class Meta:
        verbose_name = _("事项检索关键词")
        verbose_name_plural = _("事项检索关键词")
        ordering = ["implementation_id", "keyword"]
        constraints = [
            models.UniqueConstraint(fields=["implementation", "keyword"], name="search_keyword_unique")
        ]

    def __str__(self) -> str:
        return self.keyword


class SearchChange(models.Model):
    """One entry of the durable, ordered change log every node's index follows (ADR 0013).

    Written in the transaction of the change it describes; each node remembers in its index directory
    which entries it applied and applies the newer ones. An entry names what changed, never its content:
    applying it re-reads the database, so applying twice or out of order gives the same index.
    """

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(_("类型"), max_length=16, choices=IndexChangeKind.choices)
    payload = models.JSONField(_("内容"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("索引变更记录")
        verbose_name_plural = _("索引变更记录")
        ordering = ["id"]
        indexes = [models.Index(fields=["kind", "id"], name="search_change_kind")]

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"
