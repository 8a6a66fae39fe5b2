"""``{% item_scorecard code as scorecard %}``: the public 好差评 scorecard of a service item, for the guide
page (the portal includes ``supervision/_scorecard.html`` with ``item_code``; its view stays unchanged)."""

from __future__ import annotations

from django import template

from ..selectors.evaluations import Scorecard
from ..selectors.evaluations import item_scorecard as load_item_scorecard

register = template.Library()


@register.simple_tag
def item_scorecard(item_code: str) -> Scorecard | None:
    if not item_code:
        return None
    return load_item_scorecard(item_code=str(item_code))
