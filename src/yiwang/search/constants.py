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
