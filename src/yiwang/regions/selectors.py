"""Reads of the regions app."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.errors import NotFound

from .models import Department, Region
from .scope import ancestor_codes, pad_region_code, region_contains, region_prefix

__all__ = [
    "ancestor_codes",
    "get_department",
    "get_region",
    "list_child_regions",
    "list_departments",
    "list_region_ancestors",
    "pad_region_code",
    "region_contains",
    "region_covers",
    "region_exists",
    "region_prefix",
    "region_scope_codes",
    "region_subtree_codes",
]


def region_covers(*, outer: Region, inner_code: str) -> bool:
    """Whether the region ``inner_code`` lies within the region ``outer`` (or is it)."""
    return region_contains(outer_code=outer.code, outer_level=outer.level, inner_code=inner_code)


def get_region(*, code: str) -> Region:
    try:
        return Region.objects.select_related("parent").get(code=code)
    except Region.DoesNotExist:
        raise NotFound(f"行政区划代码 {code} 不存在", code="unknown_region") from None


def region_exists(*, code: str) -> bool:
    return Region.objects.filter(code=code).exists()


def list_child_regions(*, region: Region | None) -> QuerySet[Region]:
    """Direct children of a region, or the provinces when ``region`` is None."""
    if region is None:
        return Region.objects.filter(parent__isnull=True)
    return Region.objects.filter(parent=region)


def list_region_ancestors(*, region: Region) -> list[Region]:
    """The chain from the province down to ``region`` itself (one query: codes are prefixes)."""
    codes = {*ancestor_codes(region.code), region.code}
    return list(Region.objects.filter(code__in=codes, level__lte=region.level).order_by("level"))


def region_scope_codes(*, region: Region) -> list[str]:
    """Codes of the region and its ancestors: the implementations that serve a person living there."""
    return [ancestor.code for ancestor in list_region_ancestors(region=region)]


def region_subtree_codes(*, code: str, level: int | None = None) -> QuerySet[Region, str]:
    """Codes of the region and every region within it, as a lazy query: used in ``field__in=`` it is one
    subquery (no parameter per code, so a province's tens of thousands of villages are fine), and lets an
    index on (region, …) be used where ``startswith`` cannot. ``level`` saves looking the region up."""
    if level is None:
        level = Region.objects.filter(code=code).values_list("level", flat=True).first()
    if level is None:
        return Region.objects.none().values_list("code", flat=True)
    return Region.objects.filter(code__startswith=region_prefix(code=code, level=level)).values_list(
        "code", flat=True
    )


def list_departments(*, region_code: str | None = None) -> QuerySet[Department]:
    departments = Department.objects.select_related("region")
    if region_code:
        departments = departments.filter(region_id=region_code)
    return departments.order_by("region_id", "name")


def get_department(*, credit_code: str) -> Department:
    try:
        return Department.objects.select_related("region", "parent").get(credit_code=credit_code)
    except Department.DoesNotExist:
        raise NotFound("部门不存在", code="unknown_department") from None
