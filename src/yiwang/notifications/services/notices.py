"""In-app notices: raised by any app for a department's administrators, and marked read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.regions.models import Department

from ..constants import NoticeKind
from ..models import Notice


@transaction.atomic
def mark_notices_read(*, notices: Iterable[Notice]) -> int:
    """Mark unread ``notices`` (the caller scoped them to what the reader may see) read now; how many."""
    ids = [notice.pk for notice in notices]
    return Notice.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def raise_notice(
    *,
    department: Department,
    title: str,
    body: str = "",
    kind: str = NoticeKind.ALERT,
    recipient: Any = None,
) -> Notice:
    """Alert ``department``'s data administrators (and ``recipient``) in the app, in this transaction."""
    return Notice.objects.create(
        kind=kind, department=department, recipient=recipient, title=title[:200], body=body
    )
