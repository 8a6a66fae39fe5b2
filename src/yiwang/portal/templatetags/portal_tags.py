"""Template helpers of the portal: labels, safe links and query strings for paging."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.catalog.constants import Audience, ItemType, MaterialRequirement
from yiwang.core.workdays import DayUnit

register = template.Library()


@register.filter
def audience_labels(audiences: list[str] | None) -> str:
    """["person", "enterprise"] → "自然人、法人"."""
    labels = dict(Audience.choices)
    return _("、").join(str(labels.get(value, value)) for value in audiences or [])


@register.filter
def time_limit(days: int | None, unit: str = DayUnit.WORKING) -> str:
    """A time limit as people read it, in its own unit: "60 个自然日", "5 个工作日"; 0 is "当场办结"."""
    if days is None:
        return ""
    if days == 0:
        return _("当场办结")
    if unit == DayUnit.CALENDAR:
        return ngettext("%(days)s 个自然日", "%(days)s 个自然日", days) % {"days": days}
    return ngettext("%(days)s 个工作日", "%(days)s 个工作日", days) % {"days": days}


@register.filter
def safe_href(url: str | None) -> str:
    """Only web links and site paths may become links (never javascript: or data: URLs)."""
    url = (url or "").strip()
    if url.startswith(("https://", "http://")) or (url.startswith("/") and not url.startswith("//")):
        return url
    return ""


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (for paging links)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return "?" + params.urlencode()


@register.filter
def requirement_label(value: str) -> str:
    return str(dict(MaterialRequirement.choices).get(value, value))


@register.filter
def item_type_label(value: int | str | None) -> str:
    try:
        return str(ItemType(int(value)).label) if value not in (None, "") else ""
    except ValueError:
        return ""
