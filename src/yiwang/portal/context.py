"""Template context every portal page gets."""

from __future__ import annotations

from django.http import HttpRequest

from .preferences import current_region, is_elder_mode


def portal_context(request: HttpRequest) -> dict:
    return {"elder_mode": is_elder_mode(request), "current_region": current_region(request)}
