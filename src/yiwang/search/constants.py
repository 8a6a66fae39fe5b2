"""Constants of the search app: the permission of search curators and the actions they record."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The staff permission (identity.constants.ROLE_PERMISSIONS) to turn a missed query into a synonym or keyword.
SEARCH_CURATE = "search.curate"


class AuditAction(models.TextChoices):
    SYNONYM_ADDED = "search.synonym_added", _("新增搜索同义词")
    KEYWORD_ADDED = "search.keyword_added", _("新增事项检索关键词")


class Resolution(models.TextChoices):
    """What became of a missed query."""

    SYNONYM = "synonym", _("已设为同义词")
    KEYWORD = "keyword", _("已加为事项关键词")


class MissKind(models.TextChoices):
    """Why a query reaches the search-miss screen."""

    NO_RESULT = "no_result", _("零结果")
    NO_CLICK = "no_click", _("无人点击")


class ResultKind(models.TextChoices):
    """What a followed search result is (the ``k`` of the portal's result links)."""

    IMPLEMENTATION = "i", _("事项")
    BUNDLE = "b", _("一件事")


# A query searched with results at least this many times within the last UNCLICKED_DAYS days, and not once
# followed to a result, is listed as never clicked (无人点击).
UNCLICKED_MIN_SEARCHES = 5
UNCLICKED_DAYS = 30


class IndexChangeKind(models.TextChoices):
    """What a row of the search change log asks every node's index to do (ADR 0013)."""

    CATALOG = "catalog", _("目录变更")  # re-read these implementations and bundles (upsert or remove)
    POPULARITY = "popularity", _("浏览量")  # their view counts changed (batched per process)
    SYNONYMS = "synonyms", _("同义词")  # learned synonyms changed: reload them, suggest the phrases
    REBUILD = "rebuild", _("重建索引")  # too many rows for one change: every node rebuilds
    PRUNED = "pruned", _("已清理")  # entries up to payload["through"] were pruned: a node behind it rebuilds
