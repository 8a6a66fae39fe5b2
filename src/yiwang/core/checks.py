"""System checks: warn administrators when the working-day calendar lacks this year or the next."""

from __future__ import annotations

import datetime as dt

from django.core.checks import Error, Tags, register
from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError


@register(Tags.database)
def check_holiday_calendar(app_configs=None, **kwargs):
    from .models import HolidayYear

    this_year = dt.date.today().year
    try:
        published = set(
            HolidayYear.objects.filter(is_published=True, year__in=[this_year, this_year + 1]).values_list(
                "year", flat=True
            )
        )
    except DatabaseError:  # not migrated yet
        return []
    return [
        CheckWarning(
            f"{year} 年法定节假日安排尚未导入，工作日按周一至周五计算。请在管理后台“节假日”中维护。",
            id="yiwang.W001",
        )
        for year in (this_year, this_year + 1)
        if year not in published
    ]


@register()
def check_configured_plugins(app_configs=None, **kwargs):
    """Every registry's configured id must name a registered plugin (an empty id means 'none')."""
    from .registry import registries

    errors = []
    for registry in registries():
        configured = registry.configured_id()
        if configured and configured not in registry.ids():
            errors.append(
                Error(
                    f"{registry.kind}: {registry.setting or 'default'} names unknown plugin {configured!r}",
                    hint=f"known: {', '.join(registry.ids())}",
                    id="yiwang.E001",
                )
            )
    return errors
