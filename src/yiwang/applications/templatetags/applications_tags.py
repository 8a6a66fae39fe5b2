"""Template helpers of the citizen pages: a form definition's text in the page's language, and the
"在线申请" entries the portal's guide and bundle pages show when a form is active."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import get_language

from yiwang.applications.constants import FormStatus
from yiwang.applications.models import ApplicationForm

register = template.Library()


@register.filter
def tr(text: Any) -> str:
    """A definition's ``{"zh": …, "en": …}`` in the page's language (Chinese when English is missing)."""
    if isinstance(text, dict):
        language = (get_language() or "zh-hans").lower()
        if language.startswith("en") and text.get("en"):
            return str(text["en"])
        return str(text.get("zh") or text.get("en") or "")
    return "" if text is None else str(text)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.simple_tag
def online_apply_url(implementation: Any) -> str:
    """The online application page of an implementation with an active form, else ""."""
    if implementation is None:
        return ""
    active = ApplicationForm.objects.filter(implementation_id=implementation.pk, status=FormStatus.ACTIVE)
    return reverse("applications:apply", args=[implementation.code]) if active.exists() else ""


@register.simple_tag
def online_apply_bundle_url(bundle: Any) -> str:
    """The online application page of a bundle whose every part has an active form, else ""."""
    if bundle is None:
        return ""
    parts = set(bundle.bundle_items.values_list("implementation_id", flat=True))
    if not parts:
        return ""
    with_form = set(
        ApplicationForm.objects.filter(implementation_id__in=parts, status=FormStatus.ACTIVE).values_list(
            "implementation_id", flat=True
        )
    )
    return reverse("applications:apply_bundle", args=[bundle.code]) if parts <= with_form else ""


@register.simple_tag
def online_apply_item_url(item: Any) -> str:
    """The online application page of a service item's first active implementation with a form."""
    if item is None:
        return ""
    form = (
        ApplicationForm.objects.filter(
            implementation__item_id=item.pk, implementation__is_active=True, status=FormStatus.ACTIVE
        )
        .select_related("implementation")
        .order_by("implementation__code")
        .first()
    )
    return reverse("applications:apply", args=[form.implementation.code]) if form else ""
