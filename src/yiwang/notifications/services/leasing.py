"""Claiming due rows under a lease, shared by the webhook deliverer and the message deliverer.

A claim moves each row's ``next_attempt_at`` a lease ahead and counts the attempt, under
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take disjoint batches; on SQLite
one process delivers. A worker that dies mid-send leaves its rows to be claimed again when the lease ends.
The rows need ``next_attempt_at``, ``attempts`` and ``last_attempt_at``.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet
from django.utils import timezone


@transaction.atomic
def claim(due: QuerySet, *, limit: int, now: dt.datetime, lease: dt.timedelta) -> list[int]:
    """The ids of up to ``limit`` rows of ``due`` (ordered, filtered to what is due), now leased to the
    caller until ``now + lease`` with their attempt counted."""
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    ids = list(due.values_list("id", flat=True)[:limit])
    due.model.objects.filter(id__in=ids).update(
        next_attempt_at=now + lease, attempts=F("attempts") + 1, last_attempt_at=now
    )
    return ids


@transaction.atomic
def release(model: type[Model], ids: list[int]) -> None:
    """Hand back claimed rows not tried before the lease would run out: due now, attempt uncounted."""
    model._default_manager.filter(id__in=ids).update(
        next_attempt_at=timezone.now(), attempts=F("attempts") - 1
    )


def sending_deadline(*, lease: dt.timedelta, timeout: float) -> float:
    """When (monotonic) to stop starting sends: one timeout before the lease ends, so none outlives it."""
    return time.monotonic() + max(lease.total_seconds() - timeout, 0)
