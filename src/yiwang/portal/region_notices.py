"""Notices saying that a page shows services of another region than the one the visitor chose.

A region without services of its own (a county the catalog has not reached yet, a town) gets its
ancestors' services, and a guide link may lead to another county's implementation; the page must say so
rather than let people travel to the wrong hall (issue 12).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from yiwang.catalog.models import Bundle, Implementation
from yiwang.catalog.selectors import region_scope
from yiwang.regions.models import Region


def _names(rows: Iterable[Implementation | Bundle]) -> str:
    return "、".join(dict.fromkeys(row.region.name for row in rows))


def ancestors_items_notice(
    *, region: Region | None, implementations: list[Implementation], has_own: bool
) -> str:
    """When the chosen region has no services of its own and the list shows its ancestors' instead."""
    if region is None or has_own or not implementations:
        return ""
    return _("%(region)s暂无本级办理的事项，以下为上级地区（%(others)s）的事项。") % {
        "region": region.full_name,
        "others": _names(implementations),
    }


def other_bundles_notice(*, region: Region | None, bundles: list[Bundle], are_local: bool) -> str:
    """When no bundle serves the chosen region and other regions' bundles are shown instead."""
    if region is None or are_local or not bundles:
        return ""
    return _("%(region)s暂无“一件事”，以下为其他地区（%(others)s）的“一件事”，办理地点可能不在本地区。") % {
        "region": region.full_name,
        "others": _names(bundles),
    }


def other_region_guide_notice(*, region: Region | None, implementation: Implementation) -> str:
    """When the guide shown is neither the chosen region's nor one of its ancestors' implementation."""
    if region is None or implementation.region_id in region_scope(region.code):
        return ""
    return _("%(region)s暂无此事项，以下为%(other)s的办事指南，办理地点和要求以%(other)s为准。") % {
        "region": region.full_name,
        "other": implementation.region.full_name,
    }
