"""``{% published_answers implementation as answers %}``: the guide page's published consultation answers."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors.feedback import list_published_answers

register = template.Library()


@register.simple_tag
def published_answers(implementation: Any) -> list[Any]:
    if implementation is None:
        return []
    return list_published_answers(item_id=implementation.item_id, region_code=implementation.region_id)
