"""The cascading region picker (province → city → county → town → village) the portal shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from yiwang.core.errors import NotFound
from yiwang.regions.constants import RegionLevel
from yiwang.regions.models import Region
from yiwang.regions.selectors import get_region, list_child_regions, list_region_ancestors

MAX_DEPTH = 5


@dataclass(frozen=True)
class PickerLevel:
    """One select of the picker: the children of the region chosen one level up."""

    field: str
    label: str
    options: list[Region]
    selected: str


def build_picker(*, selected: Region | None) -> list[PickerLevel]:
    """The selects to show: one per chosen level, plus the next level if it has regions."""
    chain = list_region_ancestors(region=selected) if selected else []
    levels: list[PickerLevel] = []
    parent: Region | None = None
    for depth in range(MAX_DEPTH):
        options = list(list_child_regions(region=parent).only("code", "name", "level"))
        if not options:
            break
        chosen = chain[depth] if depth < len(chain) else None
        label = RegionLevel(options[0].level).label
        levels.append(PickerLevel(f"l{depth + 1}", label, options, chosen.code if chosen else ""))
        if chosen is None:
            break
        parent = chosen
    return levels


def region_from_picker(params: Mapping[str, str]) -> Region | None:
    """The deepest region the picker's fields name consistently (a changed upper level drops the rest)."""
    chosen: Region | None = None
    for depth in range(1, MAX_DEPTH + 1):
        code = (params.get(f"l{depth}") or "").strip()
        if not code:
            break
        try:
            region = get_region(code=code)
        except NotFound:
            break
        if region.parent_id != (chosen.code if chosen else None):
            break
        chosen = region
    return chosen
