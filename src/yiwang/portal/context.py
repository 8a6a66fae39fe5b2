"""Template context every portal page gets."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from .preferences import current_region, is_elder_mode

# Catalog data (names, guides) is Chinese whatever the interface language: in the English interface
# such text is marked so screen readers switch voice (WCAG 3.1.2 language of parts).
_CHINESE_PART = mark_safe(' lang="zh-Hans"')


def portal_context(request: HttpRequest) -> dict:
    return {
        "elder_mode": is_elder_mode(request),
        "current_region": current_region(request),
        "data_lang": "" if (get_language() or "zh-hans").startswith("zh") else _CHINESE_PART,
    }
