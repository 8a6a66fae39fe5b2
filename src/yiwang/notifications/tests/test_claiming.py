"""PostgreSQL: concurrent deliverers claim disjoint batches (SELECT … FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from yiwang.notifications.models import Delivery
from yiwang.notifications.services import enqueue_event
from yiwang.notifications.services.delivery import _claim

from .factories import WebhookEndpointFactory


@pytest.mark.pg
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_take_disjoint_batches_that_cover_every_due_delivery():
    endpoints = [WebhookEndpointFactory() for _ in range(4)]
    for n in range(50):
        enqueue_event(topic="t.changed", payload={"n": n}, endpoints=endpoints)
    claimed: list[list[int]] = []
    start = threading.Barrier(4)

    def claimer() -> None:
        try:
            start.wait()
            batches = []
            while batch := _claim(limit=7, now=timezone.now()):
                batches.extend(batch)
            claimed.append(batches)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    everything = [delivery_id for batch in claimed for delivery_id in batch]
    assert len(everything) == len(set(everything)) == Delivery.objects.count() == 200
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
