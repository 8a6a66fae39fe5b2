"""In-app notices: marked read."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from ..models import Notice


@transaction.atomic
def mark_notices_read(*, notices: Iterable[Notice]) -> int:
    """Mark unread ``notices`` (the caller scoped them to what the reader may see) read now; how many."""
    ids = [notice.pk for notice in notices]
    return Notice.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())
