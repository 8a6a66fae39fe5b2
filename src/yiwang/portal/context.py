"""Template context every portal page gets."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from yiwang.notifications.selectors import unread_count

from .preferences import current_region, is_elder_mode

# Catalog data (names, guides) is Chinese whatever the interface language: in the English interface
# such text is marked so screen readers switch voice (WCAG 3.1.2 language of parts).
_CHINESE_PART = mark_safe(' lang="zh-Hans"')


def portal_context(request: HttpRequest) -> dict:
    return {
        "elder_mode": is_elder_mode(request),
        "current_region": current_region(request),
        "data_lang": "" if (get_language() or "zh-hans").startswith("zh") else _CHINESE_PART,
        "unread_messages": SimpleLazyObject(lambda: _unread_messages(request)),
    }


def _unread_messages(request: HttpRequest) -> int:
    """The header's unread-messages badge: one COUNT, at most once per request, only when a page shows it."""
    cached = getattr(request, "_unread_messages", None)
    if cached is None:
        user = getattr(request, "user", None)
        cached = unread_count(user=user) if user is not None and user.is_authenticated else 0
        request._unread_messages = cached  # type: ignore[attr-defined]
    return cached


def forget_unread_messages(request: HttpRequest) -> None:
    """A page that marked messages read shows the new count in its header."""
    request._unread_messages = None  # type: ignore[attr-defined]
