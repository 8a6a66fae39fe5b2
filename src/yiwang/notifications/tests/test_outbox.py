"""The outbox: an event exists exactly when its change does, once per event id, for the chosen endpoints."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from yiwang.core.errors import InvalidInput
from yiwang.notifications.constants import DeliveryStatus
from yiwang.notifications.models import Delivery, OutboxEvent
from yiwang.notifications.services import enqueue_event

from .factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


class ChangeRolledBack(Exception):
    pass


def test_an_event_written_in_a_rolled_back_change_does_not_exist():
    endpoint = WebhookEndpointFactory()
    # when the caller's transaction fails after enqueueing
    with pytest.raises(ChangeRolledBack), transaction.atomic():
        enqueue_event(topic="registers.person_died", payload={"n": 1}, endpoints=[endpoint])
        raise ChangeRolledBack
    # then neither the event nor its delivery was written
    assert not OutboxEvent.objects.exists()
    assert not Delivery.objects.exists()


def test_an_event_committed_with_its_change_has_one_pending_delivery_per_endpoint():
    first, second = WebhookEndpointFactory(), WebhookEndpointFactory()
    with transaction.atomic():
        event = enqueue_event(topic="registers.person_died", payload={"n": 1}, endpoints=[first, second])
    deliveries = Delivery.objects.filter(event=event)
    assert {delivery.endpoint_id for delivery in deliveries} == {first.id, second.id}
    assert {delivery.status for delivery in deliveries} == {DeliveryStatus.PENDING}
    assert all(delivery.next_attempt_at is not None for delivery in deliveries)


def test_the_same_event_id_enqueued_twice_is_one_event():
    endpoint = WebhookEndpointFactory()
    event_id = uuid.uuid4()
    first = enqueue_event(topic="t.changed", payload={"v": 1}, endpoints=[endpoint], event_id=event_id)
    again = enqueue_event(topic="t.changed", payload={"v": 1}, endpoints=[endpoint], event_id=event_id)
    assert again.pk == first.pk
    assert OutboxEvent.objects.count() == 1
    assert Delivery.objects.count() == 1


def test_without_named_endpoints_the_active_subscribers_of_the_topic_receive_it():
    subscriber = WebhookEndpointFactory(topics="licenses.revoked registers.person_died")
    WebhookEndpointFactory(topics="registers.person_died_extra")  # a longer topic is another topic
    WebhookEndpointFactory(topics="registers.person_died", inactive=True)
    event = enqueue_event(topic="registers.person_died", payload={})
    assert list(Delivery.objects.filter(event=event).values_list("endpoint_id", flat=True)) == [subscriber.id]


def test_an_endpoint_named_twice_gets_one_delivery():
    endpoint = WebhookEndpointFactory()
    event = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint, endpoint])
    assert Delivery.objects.filter(event=event).count() == 1


def test_an_inactive_named_endpoint_gets_no_delivery():
    event = enqueue_event(topic="t.changed", payload={}, endpoints=[WebhookEndpointFactory(inactive=True)])
    assert not Delivery.objects.filter(event=event).exists()


@pytest.mark.parametrize("payload", [{"x": float("nan")}, {"x": object()}])
def test_a_payload_that_could_not_be_signed_is_refused_at_once(payload):
    with pytest.raises(InvalidInput):
        enqueue_event(topic="t.changed", payload=payload, endpoints=[WebhookEndpointFactory()])
    assert not OutboxEvent.objects.exists()


def test_pruning_deletes_old_fully_delivered_events_and_keeps_dead_letters_and_recent_ones():
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from yiwang.audit.models import AuditEntry
    from yiwang.notifications.constants import AuditAction

    endpoint = WebhookEndpointFactory()
    old = timezone.now() - dt.timedelta(days=40)
    delivered = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint], occurred_at=old)
    dead = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint], occurred_at=old)
    recent = enqueue_event(topic="t.changed", payload={}, endpoints=[endpoint])
    Delivery.objects.filter(event__in=[delivered, recent]).update(status=DeliveryStatus.DELIVERED)
    Delivery.objects.filter(event=dead).update(status=DeliveryStatus.DEAD)
    call_command("prune_outbox", "--older-than-days", "30")
    assert set(OutboxEvent.objects.values_list("pk", flat=True)) == {dead.pk, recent.pk}
    assert AuditEntry.objects.get(action=AuditAction.OUTBOX_PRUNED).details["events"] == 1
