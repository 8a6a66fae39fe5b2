"""In-app notices: marked read by the person who read them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import Notice


@transaction.atomic
def mark_notices_read(*, notices: Iterable[Notice], reader: Any) -> int:
    """Mark unread ``notices`` (already scoped to what ``reader`` may see) as read now; returns how many."""
    ids = [notice.pk for notice in notices]
    return Notice.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
