"""Region scope arithmetic: a region covers another when the other's code starts with its prefix."""

from __future__ import annotations

from yiwang.regions.models import Region

_PREFIX_LENGTH_BY_LEVEL = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}


def region_prefix(region: Region) -> str:
    return region.code[: _PREFIX_LENGTH_BY_LEVEL.get(region.level, 12)]


def region_covers(*, outer: Region, inner_code: str) -> bool:
    """Whether the region ``inner_code`` lies within ``outer`` (or is it)."""
    return inner_code.startswith(region_prefix(outer))
